"""Plain-text rendering of a check for a terminal."""

from __future__ import annotations

from console.check_report import Report, Stage
from console.printable import printable
from console.target import Target

_MARKS = {"ok": "ok", "failed": "FAIL", "skipped": "skip", "pending": "", "running": ".."}


def render_heading(target: Target) -> str:
    """The first line of a check's text output."""
    where = f"{target.host} port {target.port} ({target.security})"
    name = target.channel_name or where
    return f"check {name}" + (" against the simulator" if target.simulated else "")


def render_stage(stage: Stage) -> str:
    """One stage as a line: mark, name, time taken, detail."""
    timing = f"{stage.seconds * 1000:7.1f} ms" if stage.status in ("ok", "failed") else " " * 10
    line = f"  {_MARKS[stage.status]:<4} {stage.name:<12}{timing}  {stage.detail}"
    return printable(line.rstrip())


def render_report(report: Report) -> str:
    """What follows the stage lines: certificate, transcript, then the verdict or diagnosis."""
    lines = []
    if report.certificate:
        cert = report.certificate
        lines.append("certificate: " + "; ".join(f"{k} {v}" for k, v in cert.items()))
    lines.append("transcript:")
    lines += [f"  {line}" for line in report.transcript]
    failed = report.failed_stage
    if failed is None:
        unverified = ", but the certificate was not verified (--insecure)"
        lines.append(
            f"passed in {report.seconds * 1000:.0f} ms"
            + (unverified if report.verified is False else "")
        )
    else:
        lines.append(f"failed at {failed.name}")
        if report.diagnosis is not None:
            lines += report.diagnosis.render().split("\n")
    return "\n".join(printable(line) for line in lines)
