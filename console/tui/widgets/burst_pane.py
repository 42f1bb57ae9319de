"""The Burst tab: sends the burst its panel sets up into the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical

from console.channel import Channel
from console.tui.errors import notify_errors
from console.tui.messages import DiagnosisChanged
from console.tui.rehearsal import Rehearsal, check_recipient
from console.tui.widgets.later import Later

if TYPE_CHECKING:  # the panel's module loads when it mounts, after the first screen
    from console.tui.widgets.burst_panel import BurstPanel


class BurstPane(Vertical):
    """Paces many test messages into the simulator on its virtual clock."""

    def __init__(
        self, rehearsal: Rehearsal, typed_secret: Callable[[], str], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.rehearsal, self.typed_secret = rehearsal, typed_secret

    def _panel(self) -> BurstPanel:
        from console.tui.widgets.burst_panel import BurstPanel

        return self.query_one("#burst", BurstPanel)

    def compose(self) -> ComposeResult:
        # The panel mounts just after the first screen is up.
        yield Later(_burst_panel)

    def settings(self, channel: Channel | None) -> tuple[int, float | None] | None:
        """The count and rate to send, or None after saying why no burst can start."""
        settings = self._panel().settings()
        if isinstance(settings, str):
            self.notify(settings, severity="error")
            return None
        if channel is None:
            self.notify("Fix the fields marked in red first.", severity="error")
            return None
        return settings

    @work(exclusive=True, group="check")
    @notify_errors("The burst")
    async def run_burst(self, channel: Channel, count: int, rate: float | None) -> None:
        """Pace count test messages into the simulator on its virtual clock."""
        from console.burst import pacing, run_burst
        from console.secrets import SecretError

        panel = self._panel()
        try:
            simulator = await self.rehearsal.start(channel.provider)
        except (OSError, ValueError, KeyError) as error:
            self.notify(f"The simulator did not start: {error}", severity="error")
            return
        # Where a sandbox may refuse it, the burst mails a customer, as real mail would go.
        recipient, why = check_recipient(channel, simulator)
        target = self.rehearsal.target(channel, simulator, self.typed_secret(), recipient)
        try:  # an OAuth channel's token from the sign-in service, refreshed when refused
            target = await self.rehearsal.signed_in(channel, simulator, target, lambda _: None)
        except SecretError as error:
            self.notify(str(error).split("\n\n")[0], title="No access token", severity="error")
            self.post_message(DiagnosisChanged(getattr(error, "diagnosis", None)))
            return
        rate = pacing(channel, rate)  # an empty field: the channel's pacing, as on the command line
        panel.started(count, rate, recipient)
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
        panel.show_summary(summary, why)
        self.post_message(DiagnosisChanged(summary.diagnoses[0] if summary.diagnoses else None))


def _burst_panel() -> BurstPanel:
    from console.tui.widgets.burst_panel import BurstPanel

    return BurstPanel(id="burst")
