"""The check's stages, its transcript and, when it fails, the diagnosis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import RichLog

from console.printable import printable
from console.tui.widgets.diagnosis_card import DiagnosisCard
from console.tui.widgets.stage_lights import StageLights

if TYPE_CHECKING:
    from console.channel import Channel
    from console.check import Line, Report, Target


class CheckPanel(Vertical):
    """Runs one check at a time and shows it as it goes."""

    BINDINGS = [
        Binding("y", "copy", "Copy", id="check.copy", tooltip="Copy the transcript (OSC 52)"),
        Binding("w", "write", "Write", id="check.write", tooltip="Save the transcript to a file"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []  # the transcript as shown: masked, never the secret

    def compose(self) -> ComposeResult:
        yield StageLights(id="stages")
        # min_width=1: lines wrap at the panel's width instead of a fixed 78 columns.
        yield RichLog(id="transcript", wrap=True, markup=False, max_lines=2000, min_width=1)
        yield DiagnosisCard(id="diagnosis")

    def note(self, text: str) -> None:
        """Add a line of our own (marked with *) to the transcript."""
        self._write(f"* {text}")

    def _write(self, text: str) -> None:
        text = printable(text)  # a server's escape codes shown (and copied), not obeyed
        self.lines.append(text)
        self.query_one(RichLog).write(text)

    def action_copy(self) -> None:
        """Put the transcript on the clipboard of the terminal (OSC 52, works over SSH)."""
        if not self.lines:
            self.notify("No transcript yet: run a check first (ctrl+t).", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(self.lines) + "\n")
        self.notify(f"Copied {len(self.lines)} transcript lines (if the terminal allows OSC 52).")

    def action_write(self) -> None:
        """Save the transcript, masked as shown, to a file in the config folder."""
        from console import paths

        if not self.lines:
            self.notify("No transcript yet: run a check first (ctrl+t).", severity="warning")
            return
        folder = paths.config_dir() / "transcripts"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"check-{stamp}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        except OSError as error:
            self.notify(f"Not saved: {path}: {error.strerror}", severity="error")
            return
        self.notify(f"Saved the transcript to {path}", title="Transcript saved")

    async def run(
        self,
        target: Target,
        faq_title: Callable[[str], str],
        channel: Channel | None = None,
        token: Callable[[Callable[[str], None]], Awaitable[Target]] | None = None,
    ) -> Report:
        """Check the target: stages light up and transcript lines appear as they happen.

        With `token`, an OAuth access token is got first (its own stage, "token"): where the
        identity provider refuses it, the check stops there with the provider's words.
        """
        from console.check import plan, run_check
        from console.check_report import Report, explain_missing_endpoint

        lights = self.query_one(StageLights)
        log = self.query_one(RichLog)
        card = self.query_one(DiagnosisCard)
        lights.reset(["token", *plan(target)] if token else plan(target))
        log.clear()
        self.lines = []
        card.show(None)
        where = "the simulator" if target.simulated else f"{target.host}:{target.port}"
        self.note(f"checking {target.channel_name or 'the channel'} against {where}")
        if token is not None:
            signed = await self._token(target, token)
            if isinstance(signed, Report):  # the identity provider gave no token
                guide = signed.diagnosis.guide if signed.diagnosis else ""
                card.show(signed.diagnosis, faq_title(guide) if guide else "")
                return signed
            target = signed

        def show(line: Line) -> None:
            self._write(str(line))

        report = await run_check(
            target, lambda stage: lights.mark(stage.name, stage.status), on_line=show
        )
        if channel is not None:  # the same title the command line gives a port it lacks
            report = explain_missing_endpoint(report, channel)
        failed = report.failed_stage
        if failed is None:
            self.note(f"passed in {report.seconds * 1000:.0f} ms")
        else:
            self.note(f"failed at {failed.name}: {failed.detail}")
            guide = report.diagnosis.guide if report.diagnosis else ""
            card.show(report.diagnosis, faq_title(guide) if guide else "")
        return report

    async def _token(
        self, target: Target, token: Callable[[Callable[[str], None]], Awaitable[Target]]
    ) -> Target | Report:
        """The target with its access token, or the report of a check stopped at the token."""
        from console.check_report import Report, Stage
        from console.secrets import SecretError

        lights = self.query_one(StageLights)
        lights.mark("token", "running")
        try:
            signed = await token(self.note)
        except SecretError as error:  # a SignInError carries the provider's diagnosis
            lights.mark("token", "failed")
            said = str(error).split("\n\n")[0]
            for line in said.splitlines():
                self.note(line)
            self.note("failed at token: the identity provider gave no access token")
            diagnosis = getattr(error, "diagnosis", None)
            if diagnosis is not None:  # the card names the step the light shows
                diagnosis = replace(diagnosis, stage="token")
            reply = diagnosis.reply if diagnosis else said
            stage = Stage("token", "failed", detail=said.splitlines()[0], reply=reply)
            return Report(target, [stage], diagnosis=diagnosis)
        lights.mark("token", "ok")
        return signed
