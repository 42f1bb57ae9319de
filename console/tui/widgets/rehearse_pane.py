"""The Rehearse tab: the embedded simulator, the trainer's toggles and the staged check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget

from console.channel import Channel
from console.guide import Faq
from console.tui.errors import notify_errors
from console.tui.messages import DiagnosisChanged, ShowTab, TrainerReady, TrainerToggled
from console.tui.rehearsal import Rehearsal, check_recipient
from console.tui.widgets.later import Later

if TYPE_CHECKING:
    # The SMTP client and the simulator load on first use, after the first screen.
    from console.check import Target
    from console.tui.widgets.check_panel import CheckPanel
    from console.tui.widgets.trainer_panel import TrainerPanel
    from simulator.events import Event


_CHECK_PANEL = "#check-area"


def _check_panel() -> Widget:
    # Imported here: its transcript log loads rich's pretty printer, which loads attrs.
    from console.tui.widgets.check_panel import CheckPanel

    return CheckPanel(id="check-area")


def _trainer_panel() -> Widget:
    from console.tui.widgets.trainer_panel import TrainerPanel

    return TrainerPanel(id="trainer")


class RehearsePane(Horizontal):
    """Keeps a simulator on the channel's provider and checks the channel against it."""

    BINDINGS = [
        Binding("l", "choose_lesson", "Lesson", id="rehearse.lesson", tooltip="Play a lesson"),
        Binding("p", "pause", "Pause", id="rehearse.pause", tooltip="Stop or restart the clock"),
        Binding("n", "step", "Next event", id="rehearse.step", tooltip="Jump to the next event"),
        Binding("r", "reset", "Reset", id="rehearse.reset", tooltip="Start the simulator afresh"),
    ]

    def __init__(
        self,
        rehearsal: Rehearsal,
        providers: Collection[str],
        faq: Faq,
        typed_secret: Callable[[], str],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.rehearsal, self.providers = rehearsal, providers
        self.faq, self.typed_secret = faq, typed_secret
        self.channel: Channel | None = None
        self.simulated_provider = ""

    def _check(self) -> CheckPanel:
        from console.tui.widgets.check_panel import CheckPanel

        return self.query_one(_CHECK_PANEL, CheckPanel)

    def _trainers(self) -> list[TrainerPanel]:
        """The trainer panel, once mounted with its widgets (none before)."""
        from console.tui.widgets.trainer_panel import TrainerPanel

        return [trainer for trainer in self.query(TrainerPanel) if trainer.is_mounted]

    def compose(self) -> ComposeResult:
        # The panels mount just after the first screen is up.
        yield Later(_trainer_panel)
        yield Later(_check_panel)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick_clock)
        self.rehearsal.subscribe(self._heard)

    def _heard(self, event: Event) -> None:
        # A trainer's or a lesson's control changed the simulator: the toggles follow it.
        if event.kind == "control":
            self.call_later(self.show_states)

    def show_states(self) -> None:
        """Set each toggle as the simulator has it for the channel's sign-in."""
        rehearsal, channel, user = self.rehearsal, self.channel, None
        if channel is not None and channel.provider == rehearsal.provider:
            user = rehearsal.login(channel, self.typed_secret()) or None
        states = rehearsal.states(user)
        for trainer in self._trainers():
            trainer.show_states(states)

    def follow(self, channel: Channel | None) -> None:
        """The channel changed: keep the simulator on its provider."""
        self.channel = channel
        if channel and channel.provider != self.simulated_provider:
            self.simulated_provider = channel.provider
            # After the next paint, so the first screen never waits for the simulator.
            self.call_after_refresh(self.start_simulator, channel.provider)

    @work(exclusive=True, group="simulator")
    @notify_errors("Starting the simulator")
    async def start_simulator(self, provider: str) -> None:
        """Run the simulator for the channel's provider on a free loopback port."""
        if provider not in self.providers:
            return
        try:
            await self.rehearsal.start(provider)
        except (OSError, ValueError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        for trainer in self._trainers():
            trainer.reset(provider)
        self.tick_clock()

    def tick_clock(self) -> None:
        """Show the simulator, its address, its virtual time and the lesson's progress."""
        rehearsal, simulator = self.rehearsal, self.rehearsal.simulator
        if simulator is None:
            return
        stamp = simulator.clock.datetime().strftime("%a %d %b %H:%M:%S")
        state = "paused" if rehearsal.paused else f"running x{simulator.clock.speed:g}"
        clock = f"{stamp}\nclock: {state}"
        if rehearsal.lesson is not None:
            minutes, seconds = divmod(int(rehearsal.elapsed), 60)
            upcoming = rehearsal.next_event()
            after = "no more events" if upcoming is None else f"next at {int(upcoming.at) // 60}m"
            clock += f"\nlesson {rehearsal.lesson_name}\n{minutes}m{seconds:02d}s in; {after}"
        for trainer in self._trainers():
            trainer.show_status(f"[b]{simulator.profile.name}[/b]\n127.0.0.1:{simulator.port}")
            trainer.show_clock(clock)
        self.show_states()  # limits run out and come back with the clock

    @work(exclusive=True, group="simulator")
    @notify_errors("Choosing a lesson")
    async def action_choose_lesson(self) -> None:
        """Pick a ready lesson and play it against the channel's sign-in."""
        from console.tui.screens.lessons import LessonScreen

        name = await self.app.push_screen_wait(LessonScreen())
        if not name:
            return
        simulator = await self.rehearsal.start_lesson(name, self.channel, self.typed_secret())
        self.simulated_provider = simulator.profile.id
        for trainer in self._trainers():
            trainer.reset(simulator.profile.id)
        self.tick_clock()
        self.notify(f"Lesson {name} started from 0m; clock running", title="Lesson")

    def action_pause(self) -> None:
        """Stop the virtual clock, or start it again."""
        paused = self.rehearsal.pause()
        self.tick_clock()
        self.notify("clock paused" if paused else "clock running", title="Simulator")

    @work(exclusive=True, group="simulator")
    async def action_step(self) -> None:
        """Jump the clock to the lesson's next event."""
        event = await self.rehearsal.step()
        self.tick_clock()
        if event is None:
            self.notify("No event left in this lesson.", title="Lesson")
        else:
            self.notify(event.note or event.action, title=f"At {int(event.at) // 60}m")

    @work(exclusive=True, group="simulator")
    @notify_errors("Resetting the simulator")
    async def action_reset(self) -> None:
        """Start the simulator afresh (the lesson from its start), the trainer's toggles off."""
        simulator = await self.rehearsal.reset()
        for trainer in self._trainers():
            trainer.reset(simulator.profile.id if simulator else None)
        self.tick_clock()
        self.notify("Simulator reset: clock at 0, the trainer's toggles off", title="Simulator")

    @on(TrainerReady)
    def trainer_ready(self, message: TrainerReady) -> None:
        # The simulator may have started, or a lesson begun, before the panel was up.
        message.stop()
        for trainer in self._trainers():
            trainer.reset(self.rehearsal.provider)
        self.tick_clock()

    @on(TrainerToggled)
    def trainer_toggled(self, message: TrainerToggled) -> None:
        user = None
        if self.channel is not None:
            user = self.rehearsal.login(self.channel, self.typed_secret())
            self.rehearsal.prepare(self.channel, self.typed_secret())
        try:
            text = self.rehearsal.toggle(message.toggle, message.on, user or None)
        except KeyError as error:
            self.notify(f"Cannot apply: {error}", severity="error")
            return
        if self.channel is not None and not message.on:
            # A revocation turned off gives the sign-in its secret back at once, not at a check.
            self.rehearsal.prepare(self.channel, self.typed_secret())
        self.show_states()
        self.notify(text, title="Trainer")

    @work(exclusive=True, group="check")
    @notify_errors("The check")
    async def run_test(self, channel: Channel) -> None:
        """Check the channel against the simulator, stage by stage."""
        try:
            simulator = await self.rehearsal.start(channel.provider)
        except (OSError, ValueError, KeyError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        recipient, why = check_recipient(channel, simulator)
        target = self.rehearsal.target(channel, simulator, self.typed_secret(), recipient)
        if channel.auth.method == "none" and not simulator.state.anonymous_relay:
            self.notify(
                f"{simulator.profile.name} takes mail only from clients that sign in; "
                "relaying by network address (direct send, connectors) is not rehearsed.",
                severity="warning",
                timeout=10,
            )
        self.show_states()  # the check's account is set up now: its toggles read as it is
        before = simulator.mailbox.accepted

        def token(note: Callable[[str], None]) -> Awaitable[Target]:
            return self.rehearsal.signed_in(channel, simulator, target, note)

        await self.show_check(target, channel, token if channel.signs_in_with_oauth else None)
        if why:
            self._check().note(why)
        stored = simulator.mailbox.since(before)
        if stored and stored[-1].delayed:
            when = datetime.fromtimestamp(stored[-1].deliver_at_virtual, UTC).strftime("%H:%M:%S")
            self._check().note(f"accepted, but the provider holds it back until {when} (throttled)")

    @work(exclusive=True, group="check")
    @notify_errors("The live check")
    async def run_live_test(self, channel: Channel) -> None:
        """Ask, read the secret off the UI thread, then check the real server."""
        from console import secrets
        from console.check import target_for
        from console.oauth.access import renewal, sign_in_for
        from console.tui.screens.confirm import Confirm

        where = f"{channel.server.host}:{channel.server.port}"
        question = (
            f"Connect to the real server {where} and sign in as "
            f"{_who(channel)}?\nNo message is sent."
        )
        if not await self.app.push_screen_wait(Confirm(question, yes="Connect (y)")):
            return
        secret = self.typed_secret()
        if not secret and channel.auth.method != "none":
            if channel.auth.secret == "prompt":
                self.notify("Type the secret in the Secret field first.", severity="warning")
                return
            try:
                secret = await asyncio.to_thread(secrets.read_secret, channel)
            except secrets.SecretError as error:
                self.notify(str(error), title="No secret", severity="error", timeout=12)
                return
        self.post_message(ShowTab("tab-rehearse"))
        target = target_for(channel, secret)
        if channel.signs_in_with_oauth and not self.typed_secret():
            # The server may refuse the stored token as run out by its clock: refresh it once.
            target = replace(target, renew=renewal(sign_in_for(channel)))
        await self.show_check(target, channel)

    async def show_check(
        self,
        target: Target,
        channel: Channel | None = None,
        token: Callable[[Callable[[str], None]], Awaitable[Target]] | None = None,
    ) -> None:
        """Run a check in the check panel and pass its diagnosis up."""
        report = await self._check().run(target, self._faq_title, channel, token)
        self.post_message(DiagnosisChanged(report.diagnosis))
        failed = report.failed_stage
        if failed is None:
            self.notify("Every stage passed.", title="Check passed")
        else:
            self.notify(f"Failed at {failed.name}.", title="Check failed", severity="error")

    def _faq_title(self, entry_id: str) -> str:
        return self.faq.get(entry_id).question if entry_id in self.faq.ids() else entry_id


def _who(channel: Channel) -> str:
    """Whom a live check signs in as, in words, never the secret."""
    from console.channel import secret_is_username

    if secret_is_username(channel):
        return "the secret itself (the provider takes the token as user name)"
    return channel.auth.username or "(no login)"
