"""The Channel tab: the form and its file preview; saving, opening and storing the secret."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal

from console import paths
from console.channel import Channel, draft, validate
from console.guide import Recommendation
from console.tui.errors import notify_errors
from console.tui.markup import escape
from console.tui.messages import ChannelChanged, ChannelEdited, ShowTab
from console.tui.widgets.channel_form import ChannelForm
from console.tui.widgets.toml_preview import TomlPreview
from simulator.profile import Profile

if TYPE_CHECKING:
    # tomlkit and the keyring load on first use, after the first screen.
    from console import store


class EditorPane(Horizontal):
    """One channel being edited, and the file it came from or goes to."""

    def __init__(
        self, profiles: Mapping[str, Profile], channel: Channel | None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.profiles = profiles
        self.channel = channel
        self.file: store.ChannelFile | None = None
        self.path: Path | None = None
        self.problem_count = 0
        self.previewing = False  # the preview renders only while the tab is on screen

    def compose(self) -> ComposeResult:
        yield ChannelForm({pid: p.name for pid, p in self.profiles.items()}, id="channel-form")
        yield TomlPreview(id="toml-preview")

    def on_mount(self) -> None:
        if self.channel is not None:
            self.query_one(ChannelForm).fill(self.channel)

    def password(self) -> str:
        """The secret typed in the form, if any."""
        return self.query_one(ChannelForm).password()

    def start_from(self, recommendation: Recommendation) -> bool:
        """Draft a new, unsaved channel from a guide recommendation."""
        profile = self.profiles.get(recommendation.provider)
        if profile is None:
            self.notify(f"No provider profile {recommendation.provider!r}.", severity="error")
            return False
        channel = draft(profile, _unused_name(recommendation.id), **recommendation.overrides())
        self.file, self.path = None, None
        self.query_one(ChannelForm).fill(channel)
        return True

    @on(ChannelEdited)
    def channel_edited(self, message: ChannelEdited) -> None:
        message.stop()  # the screen hears of it once checked, as ChannelChanged
        self.channel = message.channel
        problems = []
        if message.channel is not None:
            profile = self.profiles.get(message.channel.provider)
            if profile is not None:
                problems = validate(message.channel, profile)
        self.update_preview()
        form = self.query_one(ChannelForm)
        self.problem_count = form.show_problems(problems, message.unreadable)
        self.post_message(ChannelChanged(message.channel, self.problem_count))

    def update_preview(self) -> None:
        """Render the file that saving would write, when the editor is on screen."""
        channel = self.channel
        if channel is None or not self.previewing:
            return
        from console import store

        document = self.file.document if self.file else None
        text = store.render(channel, document, self.profiles.get(channel.provider))
        path = self.path or self._default_path()
        self.query_one(TomlPreview).show(text, str(path) if path else "")

    def _default_path(self) -> Path | None:
        if self.channel is None or not self.channel.name:
            return None
        return paths.channels_dir() / f"{self.channel.name}.toml"

    def save(self) -> None:
        """Save the channel file (and the typed secret, to its source)."""
        self.channel = self.query_one(ChannelForm).read()[0]
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        if self.problem_count:
            self.notify(
                f"Saved with {self.problem_count} problem(s) still marked.", severity="warning"
            )
        path = self.path or self._default_path()
        if path is None:
            self.notify("Give the channel a name first.", severity="error")
            return
        self.save_worker(self.channel, path, self.password())

    @work(thread=True, exclusive=True, group="save")
    @notify_errors("Saving")
    def save_worker(self, channel: Channel, path: Path, password: str) -> None:
        """Write the file and store the secret, off the UI thread."""
        from console import store

        profile = self.profiles.get(channel.provider)
        try:
            saved = store.save(channel, path, original=self.file, profile=profile)
        except store.ConflictError as error:
            self.app.call_from_thread(
                self.notify,
                f"{error}\nYour edits are still here: rename the channel, or reopen the file "
                "(ctrl+o) to see the other change.",
                title="Not saved",
                severity="error",
                timeout=12,
            )
            return
        except store.ChannelFileError as error:
            self.app.call_from_thread(self.notify, str(error), title="Not saved", severity="error")
            return
        self.app.call_from_thread(self.saved, saved)
        if password and channel.auth.secret == "keyring":
            self.store_secret(channel, password)

    def store_secret(self, channel: Channel, password: str) -> None:
        """Put the typed secret in the keyring (called from a worker thread)."""
        from console import secrets

        try:
            secrets.store_secret(channel, password)
        except secrets.NoKeyringError:
            self.app.call_from_thread(self.ask_secret_source)
        except secrets.SecretError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error")
        else:
            self.app.call_from_thread(self.secret_stored)

    def saved(self, saved: store.ChannelFile) -> None:
        """Remember the file just written."""
        self.file, self.path = saved, saved.path
        self.query_one(TomlPreview).border_subtitle = escape(str(saved.path))
        self.notify(f"Saved {saved.path}", title="Channel saved")

    def secret_stored(self) -> None:
        """The secret is in the keyring: forget the typed copy."""
        self.query_one(ChannelForm).clear_password()
        self.notify("The secret is in the system keyring.", title="Secret stored")

    @work
    @notify_errors("Choosing where the secret lives")
    async def ask_secret_source(self) -> None:
        """No keyring: let the user choose another source, then save again."""
        from console.tui.screens.secret_source import SecretSourceDialog

        source = await self.app.push_screen_wait(SecretSourceDialog())
        if source:
            self.query_one(ChannelForm).set_secret_source(source)
            self.save()

    @work
    @notify_errors("Opening a channel")
    async def open_saved(self) -> None:
        """Pick a saved channel and load it into the editor."""
        from console import store
        from console.tui.screens.open_channel import OpenChannel

        listed = store.list_channels()
        path = await self.app.push_screen_wait(OpenChannel(listed, store.channels_dir()))
        if path is None:
            return
        try:
            opened = store.read(path)
        except store.ChannelFileError as error:
            self.notify(str(error), title="Cannot open", severity="error")
            return
        self.file, self.path = opened, opened.path
        refused = self.query_one(ChannelForm).fill(opened.channel)
        self.post_message(ShowTab("tab-channel"))
        self.notify(f"Opened {opened.path}")
        if refused:
            self.notify(
                "\n".join(refused) + "\nThe form keeps its previous choice there; check it.",
                title="Values the form cannot show",
                severity="warning",
                timeout=12,
            )


def _unused_name(base: str) -> str:
    """base, or base-2, base-3... whichever has no saved file yet."""
    folder = paths.channels_dir()
    names = (base if n == 1 else f"{base}-{n}" for n in range(1, 1000))
    return next(n for n in names if not (folder / f"{n}.toml").exists())
