"""Seeded faults: greylisting, dropped connections, slow replies and injected replies.

Every random choice comes from a per-session generator derived from the seed and
the session number, so the same seed and scenario give the same dialogue.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from simulator.clock import VirtualClock

# The commands a fault can target; "DOT" is the end of the message body, "*" any command.
COMMANDS = (
    "CONNECT",
    "EHLO",
    "HELO",
    "STARTTLS",
    "AUTH",
    "MAIL",
    "RCPT",
    "DATA",
    "DOT",
    "RSET",
    "NOOP",
    "QUIT",
    "*",
)
_REPLY_TEXT = re.compile(r"^[2-5]\d\d[ -]")


@dataclass(frozen=True)
class Injection:
    """With this probability, answer this command with this reply (a behaviour key or text)."""

    command: str
    probability: float
    reply: str


@dataclass
class FaultConfig:
    """Which faults are on; latency is in real seconds, greylist_delay in virtual ones."""

    greylist: bool = False
    greylist_delay: float = 300.0
    disconnect_probability: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    injections: list[Injection] = field(default_factory=list)


def is_reply_text(reply: str) -> bool:
    """True when a string is an SMTP reply text (starts with a code) and not a key."""
    return bool(_REPLY_TEXT.match(reply))


class SessionFaults:
    """The faults one session meets, drawn from its own seeded generator."""

    def __init__(self, config: FaultConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng

    def latency(self) -> float:
        """Real seconds to wait before answering a command."""
        jitter = self.config.latency_jitter
        extra = self.rng.uniform(0, jitter) if jitter > 0 else 0.0
        return self.config.latency + extra

    def should_disconnect(self) -> bool:
        """True when the connection should drop instead of answering a command."""
        chance = self.config.disconnect_probability
        return chance > 0 and self.rng.random() < chance

    def injected(self, command: str) -> str | None:
        """The reply (key or text) to send instead of the normal one, or None."""
        command = command.upper()
        for injection in self.config.injections:
            if injection.command.upper() not in (command, "*"):
                continue
            if injection.probability >= 1 or self.rng.random() < injection.probability:
                return injection.reply
        return None


class Faults:
    """Greylisting memory shared by all sessions, and per-session seeded chaos."""

    def __init__(self, config: FaultConfig, seed: int = 0, clock: VirtualClock | None = None):
        self.config = config
        self.seed = seed
        self.clock = clock or VirtualClock()
        self._first_seen: dict[tuple[str, str], float] = {}

    def session(self, number: int) -> SessionFaults:
        """The faults for session number `number` (the same for the same seed)."""
        return SessionFaults(self.config, random.Random(f"faults/{self.seed}/{number}"))

    def greylisted(self, sender: str, recipient: str, *, enabled: bool | None = None) -> bool:
        """True while this sender and recipient pair is still within its greylist delay."""
        if not (self.config.greylist if enabled is None else enabled):
            return False
        now = self.clock.now()
        key = (sender.lower(), recipient.lower())
        first = self._first_seen.setdefault(key, now)
        return now < first + self.config.greylist_delay

    def greylist_retry_at(self, sender: str, recipient: str) -> float | None:
        """When a greylisted pair will be let through, or None if never seen."""
        first = self._first_seen.get((sender.lower(), recipient.lower()))
        return None if first is None else first + self.config.greylist_delay
