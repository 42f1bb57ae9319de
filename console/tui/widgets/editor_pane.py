"""The Channel tab: the form and its file preview; saving, opening and storing the secret."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from console import paths, secret_shapes
from console.channel import (
    NAME_PATTERN,
    NAME_RULE,
    Channel,
    Problem,
    draft,
    is_address,
    validate,
)
from console.guide import Recommendation
from console.tui.errors import notify_errors
from console.tui.markup import escape
from console.tui.messages import ChannelChanged, ChannelEdited, ShowTab
from console.tui.widgets.channel_form import FIELD_LABELS, ChannelForm
from console.tui.widgets.later import Later
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
        self.baseline = channel  # what the file, or the fresh draft, holds
        self.previewing = False  # the preview renders only while the tab is on screen
        self._status_of: object = None  # the channel settings the OAuth line was read for

    def compose(self) -> ComposeResult:
        names = {pid: p.name for pid, p in self.profiles.items()}
        # The form (most of the console's widgets) mounts just after the first screen is up.
        yield Later(lambda: ChannelForm(names, initial=self.channel, id="channel-form"))
        yield TomlPreview(id="toml-preview")

    def password(self) -> str:
        """The secret typed in the form, if any."""
        forms = self.query(ChannelForm)
        return forms.first().password() if forms else ""

    def start_from(self, recommendation: Recommendation) -> bool:
        """Draft a new, unsaved channel from a guide recommendation."""
        profile = self.profiles.get(recommendation.provider)
        if profile is None:
            self.notify(f"No provider profile {recommendation.provider!r}.", severity="error")
            return False
        channel = draft(profile, _unused_name(recommendation.id), **recommendation.overrides())
        self.file, self.path, self.baseline = None, None, channel
        self.query_one(ChannelForm).fill(channel)
        return True

    def follow_guide(self, provider: str) -> None:
        """The guide has settled the provider: show its draft, unless there are edits to keep."""
        profile = self.profiles.get(provider)
        if profile is None or self.unsaved() or self.file is not None:
            return
        if self.channel is not None and self.channel.provider == provider:
            return
        name = self.channel.name if self.channel and self.channel.name else "my-channel"
        self.baseline = draft(profile, name)
        self.query_one(ChannelForm).fill(self.baseline)

    @on(ChannelEdited)
    def channel_edited(self, message: ChannelEdited) -> None:
        message.stop()  # the screen hears of it once checked, as ChannelChanged
        before, self.channel = self.channel, message.channel
        if before is not None and message.channel is not None:
            self._from_follows_username(before, message.channel)
        problems = []
        if message.channel is not None:
            profile = self.profiles.get(message.channel.provider)
            if profile is not None:
                problems = validate(message.channel, profile)
            token_user = bool(profile and profile.secret_as_username)
            problems += [
                Problem(shape.field, shape.reason)
                for shape in secret_shapes.scan(message.channel, token_as_username=token_user)
            ]
        self.update_preview()
        self.show_token_status()
        form = self.query_one(ChannelForm)
        self.problem_count = form.show_problems(problems, message.unreadable)
        self.post_message(ChannelChanged(message.channel, self.problem_count))

    def show_token_status(self, *, again: bool = False) -> None:
        """The OAuth line under the secret: signed in as whom and for how long, or not."""
        channel, line = self.channel, self.query_one("#oauth-status", Static)
        oauth = channel is not None and channel.signs_in_with_oauth
        line.set_class(oauth, "-shown")
        if channel is None or not oauth:
            self._status_of = None
            return
        key = (channel.name, channel.provider, channel.auth.username, channel.oauth)
        if key != self._status_of or again:
            self._status_of = key
            self._read_token_status(channel)

    @work(thread=True, exclusive=True, group="oauth-status")
    def _read_token_status(self, channel: Channel) -> None:
        # A keyring may take a while to answer: off the UI thread, authlib and httpx never loaded.
        from console.tui.oauth_status import token_status

        text = token_status(channel)
        self.app.call_from_thread(self.query_one("#oauth-status", Static).update, text)

    def _from_follows_username(self, before: Channel, now: Channel) -> None:
        """As `channels new --username`: a mailbox provider sends as the signed-in address."""
        profile = self.profiles.get(now.provider)
        user, sender = now.auth.username, now.sender.address
        if profile is None or profile.sender_policy != "mailbox" or user == before.auth.username:
            return
        if is_address(user) and sender in ("", before.auth.username):
            self.query_one(ChannelForm).set_from(user)

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

    def unsaved(self) -> bool:
        """True when the form differs from the file (or the fresh draft), or holds a secret."""
        if not self.query(ChannelForm):
            return False  # not mounted yet: nothing typed
        form = self.query_one(ChannelForm)
        current = form.read()[0]
        typed = bool(self.password()) and (current is None or current.auth.secret == "keyring")
        return typed or current != self.baseline

    async def keep_or_drop(self, doing: str) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved edits; True to go on."""
        if not self.unsaved():
            return True
        from console.tui.screens.choices import Choose

        name = self.channel.name if self.channel else "the channel"
        answer = await self.app.push_screen_wait(
            Choose(
                f"{name} has changes that are not saved. Save them before {doing}?",
                [
                    ("s", "Save", "save"),
                    ("d", "Discard", "discard"),
                    ("escape", "Cancel", "cancel"),
                ],
                title="Unsaved changes",
            )
        )
        if answer == "save":
            return await self.save_now()
        return answer == "discard"

    @work(exclusive=True, group="save")
    @notify_errors("Saving")
    async def save(self) -> None:
        """Save the channel file (and the typed secret, to its source)."""
        await self.save_now()

    async def save_now(self) -> bool:
        """Save the channel; True once the file is written."""
        self.channel = self.query_one(ChannelForm).read()[0]
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return False
        if not NAME_PATTERN.match(self.channel.name):
            self.notify(f"Not saved: the name {NAME_RULE}.", title="Not saved", severity="error")
            self.query_one("#channel-name").focus()
            return False
        if self.problem_count:
            self.notify(
                f"Saving with {self.problem_count} problem(s) still marked.", severity="warning"
            )
        path = self.path or self._default_path()
        if path is None:
            self.notify("Give the channel a name first.", severity="error")
            return False
        return await self._write(self.channel, path, self.file)

    async def _write(
        self, channel: Channel, path: Path, original: store.ChannelFile | None
    ) -> bool:
        from console import store

        profile = self.profiles.get(channel.provider)
        try:
            saved = await asyncio.to_thread(
                store.save, channel, path, original=original, profile=profile
            )
        except store.SecretInFieldError as error:
            return await self._offer_move(error.shape)
        except store.ConflictError as error:
            return await self._resolve_conflict(channel, path, error)
        except store.ChannelFileError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return False
        self.saved(saved)
        password = self.password()
        if password and channel.auth.secret == "keyring":
            await asyncio.to_thread(self.store_secret, channel, password)
        return True

    async def _offer_move(self, shape: secret_shapes.SecretShape) -> bool:
        """A secret typed into an ordinary field: offer to move it to the secret store."""
        from console.tui.screens.choices import Choose

        form = self.query_one(ChannelForm)
        label = FIELD_LABELS.get(shape.field, shape.field)
        answer = await self.app.push_screen_wait(
            Choose(
                f"Not saved: the value in {label} {shape.reason}.\n\n"
                "Move the value into the Secret field? It then goes to the secret store "
                "on save, and never into the file.",
                [("m", "Move it", "move"), ("escape", "Edit it myself", "cancel")],
                title="A secret in an ordinary field",
            )
        )
        if answer != "move":
            form.focus_field(shape.field)
            return False
        profile = self.profiles.get(self.channel.provider) if self.channel else None
        form.move_to_secret(shape.field, shape.value, profile)
        self.notify(f"Moved the value from {label} to Secret.", title="Secret moved")
        return await self.save_now()

    async def _resolve_conflict(
        self, channel: Channel, path: Path, error: store.ChannelFileError
    ) -> bool:
        """The file changed on disk: show the difference, save under another name, or wait."""
        from console import store
        from console.tui.screens.choices import AskName, Choose, TextView

        while True:
            answer = await self.app.push_screen_wait(
                Choose(
                    f"{error}\nYour edits are still here.",
                    [
                        ("d", "Show the difference", "diff"),
                        ("a", "Save under another name", "another"),
                        ("escape", "Cancel", "cancel"),
                    ],
                    title="Not saved",
                )
            )
            if answer == "diff":
                text = self._difference(channel, path)
                await self.app.push_screen_wait(TextView(f"On disk -> yours: {path}", text))
                continue
            if answer != "another":
                return False
            name = await self.app.push_screen_wait(
                AskName("Save under this channel name:", _unused_name(channel.name))
            )
            if name is None:
                continue
            if not NAME_PATTERN.match(name):
                self.notify(f"The name {NAME_RULE}.", title="Not saved", severity="error")
                continue
            self.query_one(ChannelForm).set_name(name)
            renamed = replace(channel, name=name)
            self.file, self.path = None, None
            return await self._write(renamed, store.channels_dir() / f"{name}.toml", None)

    def _difference(self, channel: Channel, path: Path) -> str:
        from console import store

        try:
            disk = path.read_text(encoding="utf-8")
        except OSError as error:
            disk = f"(cannot be read: {error.strerror})\n"
        document = self.file.document if self.file else None
        mine = store.render(channel, document, self.profiles.get(channel.provider))
        lines = difflib.unified_diff(
            disk.splitlines(keepends=True),
            mine.splitlines(keepends=True),
            fromfile=f"{path} (on disk)",
            tofile="yours (not saved)",
        )
        return "".join(lines) or "No difference in the text: only the file's time changed."

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
        self.file, self.path, self.baseline = saved, saved.path, saved.channel
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

        if not await self.keep_or_drop("opening another channel"):
            return
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
        self.baseline = opened.channel
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
