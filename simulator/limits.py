"""Sending limits per user: rolling rate windows, 24-hour quotas and concurrent connections.

Every check-and-record is synchronous (no await), so on one event loop the counts
are exact however many sessions send at once: with a limit of N, never N + 1.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field

from simulator.clock import VirtualClock
from simulator.profile import Limits

SECOND = 1.0
MINUTE = 60.0
DAY = 86400.0
ANONYMOUS = ""  # the ledger key for mail sent without signing in
LOGIN_WINDOW = 10 * MINUTE  # the span failed_logins_per_10_minutes counts over


@dataclass(frozen=True)
class Admission:
    """What admit() decided for one message."""

    accepted: bool
    reply_key: str | None
    deliver_at: float
    delayed: bool


@dataclass(frozen=True)
class Usage:
    """A user's counts in each window, as of now."""

    connections: int
    messages_last_second: int
    messages_last_minute: int
    messages_last_day: int
    recipients_last_day: int
    delivery_backlog_until: float | None


class _Window:
    """Entries of (time, messages, recipients) within a rolling span, with running sums.

    Kept in flat arrays (24 bytes an entry, not ~100 as tuples): a daily limit keeps
    one entry per message for 24 hours, which must stay small on a long run.
    """

    __slots__ = (
        "span",
        "times",
        "message_counts",
        "recipient_counts",
        "head",
        "messages",
        "recipients",
    )

    def __init__(self, span: float) -> None:
        self.span = span
        self.times = array("d")
        self.message_counts = array("q")
        self.recipient_counts = array("q")
        self.head = 0  # entries before it have expired
        self.messages = 0
        self.recipients = 0

    @property
    def entries(self) -> list[tuple[float, int, int]]:
        """The live entries, oldest first."""
        head = self.head
        return list(
            zip(
                self.times[head:],
                self.message_counts[head:],
                self.recipient_counts[head:],
                strict=True,
            )
        )

    def expire(self, now: float) -> None:
        cutoff = now - self.span
        times, head, end = self.times, self.head, len(self.times)
        while head < end and times[head] <= cutoff:
            self.messages -= self.message_counts[head]
            self.recipients -= self.recipient_counts[head]
            head += 1
        if head > 1024 and head * 2 > end:  # drop the expired front now and then, not each time
            del times[:head], self.message_counts[:head], self.recipient_counts[:head]
            head = 0
        self.head = head

    def add(self, now: float, messages: int, recipients: int, exact: bool = True) -> None:
        self.messages += messages
        self.recipients += recipients
        times = self.times
        # A window no limit reads only feeds usage(): merging entries a thousandth of the
        # span apart keeps its memory bounded however fast mail arrives.
        if not exact and len(times) > self.head and now - times[-1] < self.span / 1000:
            self.message_counts[-1] += messages
            self.recipient_counts[-1] += recipients
            return
        times.append(now)
        self.message_counts.append(messages)
        self.recipient_counts.append(recipients)


@dataclass
class _UserLedger:
    connections: int = 0
    day: _Window = field(default_factory=lambda: _Window(DAY))
    minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    second: _Window = field(default_factory=lambda: _Window(SECOND))
    # Delay mode: the scheduled delivery times of the last messages_per_minute messages.
    deliveries: deque[float] = field(default_factory=deque)


class Ledger:
    """Counts what each user sent and decides, exactly, what the limits allow now."""

    def __init__(self, limits: Limits, clock: VirtualClock) -> None:
        self.limits = limits
        self.clock = clock
        self._users: dict[str, _UserLedger] = {}
        self._failed_logins: dict[str, deque[float]] = {}

    def _user(self, user: str | None) -> _UserLedger:
        key = (user or ANONYMOUS).lower()
        found = self._users.get(key)
        if found is None:
            found = self._users[key] = _UserLedger()
        return found

    def _expired(self, user: str | None, now: float) -> _UserLedger:
        ledger = self._user(user)
        ledger.day.expire(now)
        ledger.minute.expire(now)
        ledger.second.expire(now)
        return ledger

    def connect(self, user: str | None) -> bool:
        """Count a signed-in connection; False (and not counted) past connections_per_user."""
        ledger = self._user(user)
        cap = self.limits.connections_per_user
        if cap is not None and ledger.connections >= cap:
            return False
        ledger.connections += 1
        return True

    def disconnect(self, user: str | None) -> None:
        """Forget one counted connection."""
        ledger = self._user(user)
        ledger.connections = max(0, ledger.connections - 1)

    def login_blocked(self, client: str) -> bool:
        """True while this client address has used up its failed sign-ins for ten minutes."""
        cap = self.limits.failed_logins_per_10_minutes
        failures = self._failed_logins.get(client)
        if cap is None or not failures:
            return False
        cutoff = self.clock.now() - LOGIN_WINDOW
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return len(failures) >= cap

    def login_failed(self, client: str) -> None:
        """Count one failed sign-in from this client address."""
        cap = self.limits.failed_logins_per_10_minutes
        if cap is not None:
            failures = self._failed_logins.setdefault(client, deque(maxlen=cap))
            failures.append(self.clock.now())

    def refusal(self, user: str | None, recipients: int = 1) -> str | None:
        """The behaviour key that would refuse this message now, or None; changes nothing."""
        return self._refusal(self._expired(user, self.clock.now()), recipients)

    def _refusal(self, ledger: _UserLedger, recipients: int) -> str | None:
        limits = self.limits
        per_day = limits.recipients_per_day
        if per_day is not None and ledger.day.recipients + recipients > per_day:
            return "daily_quota_exceeded"
        per_day = limits.messages_per_day
        if per_day is not None and ledger.day.messages + 1 > per_day:
            return "daily_quota_exceeded"
        per_second = limits.messages_per_second
        if per_second is not None and ledger.second.messages + 1 > per_second:
            return "rate_exceeded"
        per_minute = limits.messages_per_minute
        if (
            per_minute is not None
            and limits.rate_mode == "refuse"
            and ledger.minute.messages + 1 > per_minute
        ):
            return "rate_exceeded"
        return None

    def admit(self, user: str | None, recipients: int = 1) -> Admission:
        """Check and record one message at once; in delay mode the excess waits its turn."""
        now = self.clock.now()
        ledger = self._expired(user, now)
        refused = self._refusal(ledger, recipients)
        if refused is not None:
            return Admission(False, refused, now, False)
        limits = self.limits
        daily = limits.recipients_per_day is not None or limits.messages_per_day is not None
        ledger.day.add(now, 1, recipients, daily)
        ledger.minute.add(now, 1, recipients, limits.messages_per_minute is not None)
        ledger.second.add(now, 1, recipients, limits.messages_per_second is not None)
        deliver_at = self._schedule(ledger, now)
        return Admission(True, None, deliver_at, deliver_at > now)

    def _schedule(self, ledger: _UserLedger, now: float) -> float:
        per_minute = self.limits.messages_per_minute
        if per_minute is None or self.limits.rate_mode != "delay" or per_minute < 1:
            return now
        deliveries = ledger.deliveries
        # A rolling minute holds at most per_minute deliveries: wait for the oldest to leave.
        deliver_at = now
        if len(deliveries) >= per_minute:
            deliver_at = max(now, deliveries[-per_minute] + MINUTE)
        deliveries.append(deliver_at)
        while len(deliveries) > per_minute:
            deliveries.popleft()
        return deliver_at

    def use_up_quota(self, user: str | None) -> None:
        """Fill the user's 24-hour quotas, as if they had sent their whole allowance."""
        now = self.clock.now()
        ledger = self._expired(user, now)
        messages = _room(self.limits.messages_per_day, ledger.day.messages)
        recipients = _room(self.limits.recipients_per_day, ledger.day.recipients)
        ledger.day.add(now, messages, recipients)

    def throttle(self, user: str | None) -> None:
        """Use up the user's per-second and per-minute allowance, as if after a burst."""
        now = self.clock.now()
        ledger = self._expired(user, now)
        per_minute = self.limits.messages_per_minute
        if per_minute is not None:
            ledger.minute.add(now, _room(per_minute, ledger.minute.messages), 0)
            if self.limits.rate_mode == "delay":
                ledger.deliveries.extend([now] * per_minute)
                while len(ledger.deliveries) > per_minute:
                    ledger.deliveries.popleft()
        per_second = self.limits.messages_per_second
        if per_second is not None:
            ledger.second.add(now, _room(per_second, ledger.second.messages), 0)

    def reset(self, user: str | None = None) -> None:
        """Start every rate and quota count afresh, for one user or everyone (connections stay)."""
        if user is None:
            self._failed_logins.clear()
        keys = [(user or ANONYMOUS).lower()] if user is not None else list(self._users)
        for key in keys:
            old = self._users.get(key)
            if old is not None:
                self._users[key] = _UserLedger(connections=old.connections)

    def used_up(self, user: str | None) -> tuple[bool, bool]:
        """Whether the user's daily quota, and per-minute allowance, are used up now."""
        ledger = self._users.get((user or ANONYMOUS).lower())
        if ledger is None:
            return False, False
        ledger = self._expired(user, self.clock.now())
        limits = self.limits
        day = (limits.messages_per_day, ledger.day.messages)
        recipients = (limits.recipients_per_day, ledger.day.recipients)
        quota = any(cap is not None and used >= cap for cap, used in (day, recipients))
        cap = limits.messages_per_minute
        return quota, cap is not None and ledger.minute.messages >= cap

    def usage(self, user: str | None) -> Usage:
        """The user's current counts."""
        now = self.clock.now()
        ledger = self._expired(user, now)
        backlog = ledger.deliveries[-1] if ledger.deliveries else None
        return Usage(
            connections=ledger.connections,
            messages_last_second=ledger.second.messages,
            messages_last_minute=ledger.minute.messages,
            messages_last_day=ledger.day.messages,
            recipients_last_day=ledger.day.recipients,
            delivery_backlog_until=backlog if backlog is not None and backlog > now else None,
        )


def _room(limit: int | None, used: int) -> int:
    return max(0, limit - used) if limit is not None else 0
