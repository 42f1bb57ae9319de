"""The console's one main screen: guide and FAQ, editor, rehearsal, burst, captured mail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    TabbedContent,
    TabPane,
)

from console import paths
from console.channel import Channel, draft, validate
from console.guide import Faq, Guide
from console.tui.errors import notify_errors
from console.tui.messages import ChannelEdited, ShowFaq, StartChannel, TrainerToggled
from console.tui.rehearsal import REHEARSAL_SECRET, Rehearsal
from console.tui.widgets.burst_panel import BurstPanel
from console.tui.widgets.captured_table import CapturedTable
from console.tui.widgets.channel_form import ChannelForm
from console.tui.widgets.check_panel import CheckPanel
from console.tui.widgets.faq_panel import FaqPanel
from console.tui.widgets.guide_panel import GuidePanel
from console.tui.widgets.toml_preview import TomlPreview
from console.tui.widgets.trainer_panel import TrainerPanel
from simulator.profile import Profile

if TYPE_CHECKING:
    # The SMTP client, keyring, simulator and tomlkit load on first use, after the first screen.
    from console import store
    from console.check import Target
    from console.diagnosis import Diagnosis
    from simulator.events import Event

TABS = ("tab-guide", "tab-channel", "tab-rehearse", "tab-burst", "tab-messages")
FIRST_FIELD = {
    "tab-channel": "#channel-name",
    "tab-rehearse": "#trainer-toggles",
    "tab-burst": "#burst-count",
    "tab-messages": "#captured",
}


class MainScreen(Screen[None]):
    """Everything in tabs, with the FAQ beside them when the terminal is wide enough."""

    BINDINGS = [
        Binding("f2", "toggle_faq", "FAQ", id="main.faq", tooltip="Show or hide the FAQ"),
        Binding(
            "f3",
            "toggle_preview",
            "Preview",
            id="main.preview",
            tooltip="Show the file ctrl+s would write",
        ),
        Binding("ctrl+s", "save", "Save", id="main.save", tooltip="Save the channel"),
        Binding(
            "ctrl+o", "open", "Open", id="main.open", show=False, tooltip="Open a saved channel"
        ),
        Binding(
            "ctrl+n", "new", "New", id="main.new", show=False, tooltip="Start again from the guide"
        ),
        Binding("ctrl+t", "test", "Test", id="main.test", tooltip="Check against the simulator"),
        Binding("ctrl+b", "burst", "Burst", id="main.burst", tooltip="Send a burst"),
        Binding(
            "ctrl+l",
            "live_test",
            "Live",
            id="main.live",
            show=False,
            tooltip="The check against the real server",
        ),
        Binding(
            "g",
            "read_guide",
            "Read",
            id="main.read-guide",
            tooltip="Open the FAQ entry the diagnosis names",
        ),
        Binding(
            "slash",
            "search_faq",
            "Search FAQ",
            id="main.search-faq",
            show=False,
            tooltip="Jump to the FAQ search box",
        ),
        *[
            Binding(
                f"f{n}",
                f"show_tab('{tab}')",
                tab[4:].title(),
                id=f"main.{tab}",
                show=False,
                tooltip=f"The {tab[4:].title()} tab",
            )
            for n, tab in enumerate(TABS, 5)
        ],
    ]

    def __init__(self, profiles: dict[str, Profile], guide: Guide, faq: Faq) -> None:
        super().__init__()
        self.profiles, self.guide, self.faq = profiles, guide, faq
        first = "office365" if "office365" in profiles else next(iter(profiles))
        self.channel: Channel | None = draft(profiles[first], "my-channel")
        self.file: store.ChannelFile | None = None
        self.path: Path | None = None
        self.problem_count = 0
        self.diagnosis: Diagnosis | None = None
        self.rehearsal = Rehearsal()
        self.simulated_provider = ""
        self.captured: list[object] = []

    def compose(self) -> ComposeResult:
        names = {pid: profile.name for pid, profile in self.profiles.items()}
        with Horizontal(id="body"):
            with TabbedContent(id="tabs"):
                with TabPane("Guide", id="tab-guide"):
                    yield GuidePanel(self.guide, id="guide")
                with TabPane("Channel", id="tab-channel"), Horizontal(id="editor"):
                    yield ChannelForm(names, id="channel-form")
                    yield TomlPreview(id="toml-preview")
                # The hidden tabs mount just after the first screen is up.
                with TabPane("Rehearse", id="tab-rehearse"):
                    yield Lazy(
                        Horizontal(
                            TrainerPanel(id="trainer"),
                            CheckPanel(id="check-area"),
                            id="rehearse",
                        )
                    )
                with TabPane("Burst", id="tab-burst"):
                    yield Lazy(BurstPanel(id="burst"))
                with TabPane("Messages", id="tab-messages"):
                    yield Lazy(CapturedTable(id="captured"))
            yield FaqPanel(self.faq, id="faq")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.rehearsal.subscribe(self.on_simulator_event)
        if self.channel is not None:
            self.query_one(ChannelForm).fill(self.channel)
        self.query_one(GuidePanel).focus_step()
        self.set_interval(1.0, self.tick_clock)

    async def on_unmount(self) -> None:
        await self.rehearsal.stop()

    # ----------------------------------------------------------- guide and FAQ

    @on(ShowFaq)
    def suggest_faq(self, message: ShowFaq) -> None:
        self.query_one(FaqPanel).suggest(message.entry_ids)

    @on(StartChannel)
    def start_channel(self, message: StartChannel) -> None:
        recommendation = message.recommendation
        profile = self.profiles.get(recommendation.provider)
        if profile is None:
            self.notify(f"No provider profile {recommendation.provider!r}.", severity="error")
            return
        name = _unused_name(recommendation.id)
        channel = draft(profile, name, **recommendation.overrides())
        self.file, self.path = None, None
        self.query_one(ChannelForm).fill(channel)
        self.action_show_tab("tab-channel")
        self.notify(f"Channel drafted from: {recommendation.title}", title="Guide")

    def action_toggle_faq(self) -> None:
        """Show or hide the FAQ (on narrow terminals it takes the whole width)."""
        self.toggle_class("-faq-hidden" if self.has_class("-wide") else "-faq-shown")

    def action_search_faq(self) -> None:
        """Jump to the FAQ search box."""
        self.remove_class("-faq-hidden")
        if not self.has_class("-wide"):
            self.add_class("-faq-shown")
        self.query_one("#faq-search", Input).focus()

    def action_read_guide(self) -> None:
        """Open the FAQ entry the diagnosis points to."""
        if self.diagnosis and self.diagnosis.guide in self.faq.ids():
            self.query_one(FaqPanel).show(self.diagnosis.guide)
            self.remove_class("-faq-hidden")
            if not self.has_class("-wide"):
                self.add_class("-faq-shown")
            self.query_one("#faq-questions").focus()

    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and focus its first field."""
        self.remove_class("-faq-shown")
        self.query_one(TabbedContent).active = tab
        if tab == "tab-guide":
            self.query_one(GuidePanel).focus_step()
        else:
            for field in self.query(FIRST_FIELD[tab]):  # none for an instant while lazy
                field.focus()

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()
        self.update_preview()

    def action_toggle_preview(self) -> None:
        """On narrow terminals, switch between the form and the file preview."""
        self.query_one("#editor").toggle_class("-preview")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what cannot be done right now."""
        if action == "toggle_preview":
            on_editor = self.query_one(TabbedContent).active == "tab-channel"
            return on_editor and not self.has_class("-wide")
        if action == "read_guide":
            return self.diagnosis is not None and bool(self.diagnosis.guide)
        if action in ("save", "test", "burst", "live_test"):
            return True if self.channel is not None else None
        return True

    # ----------------------------------------------------------------- editor

    @on(ChannelEdited)
    def channel_edited(self, message: ChannelEdited) -> None:
        self.channel = message.channel
        problems = []
        if message.channel is not None:
            profile = self.profiles.get(message.channel.provider)
            if profile is not None:
                problems = validate(message.channel, profile)
        self.update_preview()
        form = self.query_one(ChannelForm)
        self.problem_count = form.show_problems(problems, message.unreadable)
        pane = self.query_one(TabbedContent).get_tab("tab-channel")
        pane.label = f"Channel ({self.problem_count}!)" if self.problem_count else "Channel"
        self.refresh_bindings()
        if message.channel and message.channel.provider != self.simulated_provider:
            self.simulated_provider = message.channel.provider
            self.start_simulator(message.channel.provider)

    def update_preview(self) -> None:
        """Render the file that saving would write, when the editor is on screen."""
        channel = self.channel
        if channel is None or self.query_one(TabbedContent).active != "tab-channel":
            return
        from console import store

        document = self.file.document if self.file else None
        text = store.render(channel, document, self.profiles.get(channel.provider))
        self.query_one(TomlPreview).show(text, self._path_text())

    def _path_text(self) -> str:
        path = self.path or self._default_path()
        return str(path) if path else ""

    def _default_path(self) -> Path | None:
        if self.channel is None or not self.channel.name:
            return None
        return paths.channels_dir() / f"{self.channel.name}.toml"

    def action_save(self) -> None:
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
        self.save_worker(self.channel, path, self.query_one(ChannelForm).password())

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
        self.query_one(TomlPreview).border_subtitle = str(saved.path)
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
            self.action_save()

    @work
    @notify_errors("Opening a channel")
    async def action_open(self) -> None:
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
        self.action_show_tab("tab-channel")
        self.notify(f"Opened {opened.path}")
        if refused:
            self.notify(
                "\n".join(refused) + "\nThe form keeps its previous choice there; check it.",
                title="Values the form cannot show",
                severity="warning",
                timeout=12,
            )

    def action_new(self) -> None:
        """Back to the guide to start a new channel."""
        self.query_one(GuidePanel).action_restart()
        self.action_show_tab("tab-guide")

    # ------------------------------------------------------------- simulator

    @work(exclusive=True, group="simulator")
    @notify_errors("Starting the simulator")
    async def start_simulator(self, provider: str) -> None:
        """Run the simulator for the channel's provider on a free loopback port."""
        if provider not in self.profiles:
            return
        try:
            await self.rehearsal.start(provider)
        except (OSError, ValueError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        for trainer in self.query(TrainerPanel):
            trainer.reset()
        self.tick_clock()

    def tick_clock(self) -> None:
        """Show the simulator, its address and its virtual time."""
        simulator = self.rehearsal.simulator
        if simulator is None:
            return
        stamp = simulator.clock.datetime().strftime("%a %d %b %H:%M:%S")
        for trainer in self.query(TrainerPanel):
            trainer.show_status(f"[b]{simulator.profile.name}[/b]\n127.0.0.1:{simulator.port}")
            trainer.show_clock(f"{stamp} (x{simulator.clock.speed:g})")

    @on(TrainerToggled)
    def trainer_toggled(self, message: TrainerToggled) -> None:
        user = self.channel.auth.username if self.channel else None
        if self.channel is not None:
            self.rehearsal.prepare(self.channel, self._rehearsal_secret())
        try:
            text = self.rehearsal.toggle(message.toggle, message.on, user or None)
        except KeyError as error:
            self.notify(f"Cannot apply: {error}", severity="error")
            return
        self.notify(text, title="Trainer")

    def on_simulator_event(self, event: Event) -> None:
        """Accepted mail shows up in the Messages tab."""
        if event.kind in ("accepted", "delayed"):
            self.refresh_captured()

    def refresh_captured(self) -> None:
        """Reload the captured messages table."""
        simulator = self.rehearsal.simulator
        if simulator is None:
            return
        messages = simulator.mailbox.messages
        for table in self.query(CapturedTable):
            table.show(messages)
        self.query_one(TabbedContent).get_tab("tab-messages").label = f"Messages ({len(messages)})"

    @on(DataTable.RowSelected, "#captured")
    def view_message(self, event: DataTable.RowSelected) -> None:
        from console.tui.screens.message_viewer import MessageViewer

        simulator = self.rehearsal.simulator
        if simulator is not None and event.row_key.value is not None:
            self.app.push_screen(
                MessageViewer(simulator.mailbox.messages[int(event.row_key.value)])
            )

    # ------------------------------------------------------------ the check

    def action_test(self) -> None:
        """The staged check against the simulator."""
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        self.action_show_tab("tab-rehearse")
        if self.problem_count:
            self.notify(
                f"The channel still has {self.problem_count} problem(s); testing it anyway.",
                severity="warning",
            )
        self.run_test(self.channel)

    @work(exclusive=True, group="check")
    @notify_errors("The check")
    async def run_test(self, channel: Channel) -> None:
        """Check the channel against the simulator, stage by stage."""
        from console.tui.checking import simulated_target

        try:
            simulator = await self.rehearsal.start(channel.provider)
        except (OSError, ValueError, KeyError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        secret = self._rehearsal_secret()
        self.rehearsal.prepare(channel, secret)
        target = simulated_target(channel, simulator, self.rehearsal.secret_for(secret))
        if channel.auth.method == "none":
            self.notify(
                "The simulator imitates submission with a sign-in; relaying by network "
                "address (direct send, connectors) is not rehearsed and will be refused.",
                severity="warning",
                timeout=10,
            )
        before = len(simulator.mailbox.messages)
        await self.show_check(target)
        stored = simulator.mailbox.messages[before:]
        if stored and stored[-1].delayed:
            when = _clock_text(stored[-1].deliver_at_virtual)
            self.query_one(CheckPanel).note(
                f"accepted, but the provider holds it back until {when} (throttled)"
            )

    def action_live_test(self) -> None:
        """The same check against the real server, after a confirmation."""
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        self.run_live_test(self.channel)

    @work(exclusive=True, group="check")
    @notify_errors("The live check")
    async def run_live_test(self, channel: Channel) -> None:
        """Ask, read the secret off the UI thread, then check the real server."""
        from console import secrets
        from console.check import target_for
        from console.tui.screens.confirm import Confirm

        where = f"{channel.server.host}:{channel.server.port}"
        question = (
            f"Connect to the real server {where} and sign in as "
            f"{channel.auth.username or '(no login)'}?\nNo message is sent."
        )
        if not await self.app.push_screen_wait(Confirm(question, yes="Connect (y)")):
            return
        secret = self.query_one(ChannelForm).password()
        if not secret and channel.auth.method != "none":
            if channel.auth.secret == "prompt":
                self.notify("Type the secret in the Secret field first.", severity="warning")
                return
            try:
                secret = await asyncio.to_thread(secrets.read_secret, channel)
            except secrets.SecretError as error:
                self.notify(str(error), title="No secret", severity="error", timeout=12)
                return
        self.action_show_tab("tab-rehearse")
        await self.show_check(target_for(channel, secret))

    async def show_check(self, target: Target) -> None:
        """Run a check in the Rehearse tab and remember its diagnosis."""
        report = await self.query_one(CheckPanel).run(target, self._faq_title)
        self.diagnosis = report.diagnosis
        failed = report.failed_stage
        if failed is None:
            self.notify("Every stage passed.", title="Check passed")
        else:
            self.notify(f"Failed at {failed.name}.", title="Check failed", severity="error")
        self.refresh_bindings()

    # ------------------------------------------------------------------ burst

    def action_burst(self) -> None:
        """Send the burst set up in the Burst tab to the simulator."""
        panel = self.query_one(BurstPanel)
        self.action_show_tab("tab-burst")
        settings = panel.settings()
        if isinstance(settings, str):
            self.notify(settings, severity="error")
            return
        if self.channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return
        self.run_burst(self.channel, *settings)

    @on(Button.Pressed, "#burst-start")
    def burst_pressed(self) -> None:
        self.action_burst()

    @work(exclusive=True, group="check")
    @notify_errors("The burst")
    async def run_burst(self, channel: Channel, count: int, rate: float | None) -> None:
        """Pace count test messages into the simulator on its virtual clock."""
        from console.burst import run_burst
        from console.tui.checking import simulated_target

        panel = self.query_one(BurstPanel)
        try:
            simulator = await self.rehearsal.start(channel.provider)
        except (OSError, ValueError, KeyError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        secret = self._rehearsal_secret()
        self.rehearsal.prepare(channel, secret)
        target = simulated_target(channel, simulator, self.rehearsal.secret_for(secret))
        panel.started(count, rate)
        clock, speed = simulator.clock, simulator.clock.speed
        clock.speed = 0  # frozen: pacing jumps the virtual clock, so a long burst takes no time
        try:
            summary = await run_burst(
                target,
                count,
                rate=rate,
                clock=clock,
                mailbox=simulator.mailbox,
                on_progress=panel.progress,
            )
        finally:
            clock.speed = speed
        panel.show_summary(summary)
        self.diagnosis = summary.diagnoses[0] if summary.diagnoses else None
        self.refresh_captured()
        self.refresh_bindings()

    def _faq_title(self, entry_id: str) -> str:
        return self.faq.get(entry_id).question if entry_id in self.faq.ids() else entry_id

    def _rehearsal_secret(self) -> str:
        return self.query_one(ChannelForm).password() or REHEARSAL_SECRET


def _unused_name(base: str) -> str:
    """base, or base-2, base-3... whichever has no saved file yet."""
    folder = paths.channels_dir()
    names = (base if n == 1 else f"{base}-{n}" for n in range(1, 1000))
    return next(n for n in names if not (folder / f"{n}.toml").exists())


def _clock_text(virtual: float) -> str:
    return datetime.fromtimestamp(virtual, UTC).strftime("%H:%M:%S")
