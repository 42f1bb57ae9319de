"""The check's stages, its transcript and, when it fails, the diagnosis."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog

from console.printable import printable
from console.tui.widgets.diagnosis_card import DiagnosisCard
from console.tui.widgets.stage_lights import StageLights

if TYPE_CHECKING:
    from console.check import Line, Report, Target


class CheckPanel(Vertical):
    """Runs one check at a time and shows it as it goes."""

    def compose(self) -> ComposeResult:
        yield StageLights(id="stages")
        yield RichLog(id="transcript", wrap=True, markup=False, max_lines=2000)
        yield DiagnosisCard(id="diagnosis")

    def note(self, text: str) -> None:
        """Add a line of our own (marked with *) to the transcript."""
        self.query_one(RichLog).write(printable(f"* {text}"))

    async def run(self, target: Target, faq_title: Callable[[str], str]) -> Report:
        """Check the target: stages light up and transcript lines appear as they happen."""
        from console.check import plan, run_check

        lights = self.query_one(StageLights)
        log = self.query_one(RichLog)
        card = self.query_one(DiagnosisCard)
        lights.reset(plan(target))
        log.clear()
        card.show(None)
        where = "the simulator" if target.simulated else f"{target.host}:{target.port}"
        self.note(f"checking {target.channel_name or 'the channel'} against {where}")

        def show(line: Line) -> None:
            log.write(printable(str(line)))  # a server's escape codes shown, not obeyed

        report = await run_check(
            target, lambda stage: lights.mark(stage.name, stage.status), on_line=show
        )
        failed = report.failed_stage
        if failed is None:
            self.note(f"passed in {report.seconds * 1000:.0f} ms")
        else:
            self.note(f"failed at {failed.name}: {failed.detail}")
            guide = report.diagnosis.guide if report.diagnosis else ""
            card.show(report.diagnosis, faq_title(guide) if guide else "")
        return report
