"""The record of one check: its stages, the transcript and the JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from console.channel import Channel, endpoint_problem
from console.target import Target

if TYPE_CHECKING:  # a check that passes never loads the diagnosis catalogue's module
    from console.diagnosis import Diagnosis

Status = Literal["pending", "running", "ok", "failed", "skipped"]
# The stages at which a port or security the provider lacks makes a check fail.
CONNECTION_STAGES = ("connect", "tls", "certificate", "greeting", "ehlo", "starttls")


@dataclass
class Stage:
    """One step of the check, its outcome and how long it took."""

    name: str
    status: Status = "pending"
    seconds: float = 0.0
    detail: str = ""
    reply: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "detail": self.detail,
            "reply": self.reply,
        }


@dataclass(frozen=True)
class Line:
    """One transcript line: "C" client, "S" server, "*" a note; masked already."""

    direction: str
    text: str
    at: float

    def __str__(self) -> str:
        return f"{self.direction}: {self.text}"


@dataclass
class Report:
    """The outcome of a check: stages, transcript, certificate and diagnosis."""

    target: Target
    stages: list[Stage]
    transcript: list[Line] = field(default_factory=list)
    certificate: dict[str, str] = field(default_factory=dict)
    diagnosis: Diagnosis | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when no stage failed."""
        return all(s.status != "failed" for s in self.stages)

    @property
    def failed_stage(self) -> Stage | None:
        """The stage that stopped the check, if any."""
        return next((s for s in self.stages if s.status == "failed"), None)

    @property
    def verified(self) -> bool | None:
        """Whether the server's certificate was verified; None without TLS."""
        if not self.certificate:
            return None
        return self.certificate.get("verified") == "yes"

    def stage(self, name: str) -> Stage:
        """A stage by name."""
        return next(s for s in self.stages if s.name == name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: the document `check --json` prints."""
        failed = self.failed_stage
        t = self.target
        return {
            "channel": t.channel_name,
            "provider": t.provider,
            "server": {"host": t.host, "port": t.port, "security": t.security},
            "simulated": t.simulated,
            "passed": self.passed,
            "failed_stage": failed.name if failed else None,
            "seconds": round(self.seconds, 4),
            "stages": [s.to_dict() for s in self.stages],
            "certificate": self.certificate,
            "verified": self.verified,
            "transcript": [{"direction": x.direction, "text": x.text} for x in self.transcript],
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
        }


def explain_missing_endpoint(report: Report, channel: Channel) -> Report:
    """Blame a failure to connect on the port when the provider has no such endpoint."""
    failed = report.failed_stage
    if failed is None or failed.name not in CONNECTION_STAGES:
        return report
    from simulator.profile import ProfileError, load

    try:
        missing = endpoint_problem(channel.server, load(channel.provider))
    except (KeyError, ProfileError):
        return report
    if missing:
        from console.diagnosis import no_such_endpoint

        report.diagnosis = no_such_endpoint(missing, failed.detail, channel.provider, failed.name)
    return report
