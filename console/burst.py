"""Paced sending of test messages to rehearse a provider's limits, and its summary."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any, Literal

from aiosmtplib import SMTP, SMTPResponse
from aiosmtplib.errors import (
    SMTPException,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
)

from console.channel import Channel
from console.check_tls import tls_context
from console.diagnosis import Diagnosis, diagnose, diagnose_failure, flatten
from console.printable import printable
from console.redact import Redactor
from console.sasl import sign_in
from console.target import Target, compose_message
from simulator.clock import VirtualClock
from simulator.mailbox import Mailbox, StoredMessage, header

# Session ids, timestamps and queue ids differ between otherwise identical replies.
_VARYING = re.compile(r"\S*\d\S*")
Status = Literal["accepted", "delayed", "deferred", "rejected", "failed", "not-sent"]
EHLO_NAME = "localhost"
_NUMBER, _DATE, _ID = "@@NUMBER@@", "@@DATE@@", "@@ID@@"  # what varies between test messages
# Stages before MAIL FROM: a message stopped there never reached the server.
BEFORE_SENDING = frozenset({"", "connect", "auth", "interrupted"})
INTERRUPTED = "stopped by ctrl+c before the server answered; it may still arrive"


@dataclass
class Outcome:
    """What happened to one test message."""

    index: int
    status: Status = "not-sent"
    reply: str = ""
    stage: str = ""
    sent_at: float = 0.0  # seconds since the burst began (virtual when simulated)
    message_id: str = ""

    @property
    def sent(self) -> bool:
        """True when the server received the message's MAIL FROM (whatever it answered)."""
        return self.stage not in BEFORE_SENDING or self.status in ("accepted", "delayed")


@dataclass
class Summary:
    """The burst's result: counts, replies grouped, a per-minute timeline and diagnoses."""

    count: int
    outcomes: list[Outcome]
    seconds: float
    rate: float | None
    connections: int
    simulated: bool
    diagnoses: list[Diagnosis] = field(default_factory=list)
    interrupted: bool = False
    tokens_refreshed: int = 0  # OAuth: access tokens the server refused and that were renewed

    @property
    def sent(self) -> int:
        """How many messages reached the server."""
        return sum(1 for o in self.outcomes if o.sent)

    @property
    def stopped(self) -> Outcome | None:
        """The failure before sending (connection or sign-in) that stopped the burst, if any."""
        return next((o for o in self.outcomes if o.stage in ("connect", "auth") and o.reply), None)

    def total(self, status: Status) -> int:
        """How many messages ended with this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when every message was accepted (on time or carried over)."""
        return all(o.status in ("accepted", "delayed") for o in self.outcomes)

    def by_reply(self) -> list[dict[str, Any]]:
        """Messages not plainly accepted, grouped by status and reply (ids and times aside)."""
        groups: Counter[tuple[str, str, str]] = Counter()
        sample: dict[tuple[str, str, str], str] = {}
        for o in self.outcomes:
            if o.status == "accepted" or (o.status == "not-sent" and not o.reply):
                continue
            code, _, rest = o.reply.partition(" ")
            key = (o.status, o.stage, f"{code} {_VARYING.sub('*', rest)}")
            groups[key] += 1
            sample.setdefault(key, o.reply)
        return [
            {"status": key[0], "stage": key[1], "reply": sample[key], "count": count}
            for key, count in groups.most_common()
        ]

    def timeline(self) -> list[dict[str, int]]:
        """Per minute since the start: how many were sent and how each ended."""
        statuses = ("accepted", "delayed", "deferred", "rejected", "failed")
        sent = [o for o in self.outcomes if o.sent]
        last = max((int(o.sent_at // 60) for o in sent), default=-1)
        rows = [{"minute": m, "sent": 0, **dict.fromkeys(statuses, 0)} for m in range(last + 1)]
        for o in sent:
            row = rows[int(o.sent_at // 60)]
            row["sent"] += 1
            if o.status in statuses:
                row[o.status] += 1
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with the keys accepted, delayed, deferred, rejected."""
        return {
            "count": self.count,
            "sent": self.sent,
            "accepted": self.total("accepted"),
            "delayed": self.total("delayed"),
            "deferred": self.total("deferred"),
            "rejected": self.total("rejected"),
            "failed": self.total("failed"),
            "not_sent": self.total("not-sent"),
            "sign_in_failed": self.stopped is not None and self.stopped.stage == "auth",
            "stopped": (
                {"stage": self.stopped.stage, "reply": self.stopped.reply} if self.stopped else None
            ),
            "interrupted": self.interrupted,
            "tokens_refreshed": self.tokens_refreshed,
            "simulated": self.simulated,
            "rate_per_minute": self.rate,
            "connections": self.connections,
            "seconds": round(self.seconds, 3),
            "by_reply": self.by_reply(),
            "timeline": self.timeline(),
            "diagnoses": [d.to_dict() for d in self.diagnoses],
        }


class _Pacer:
    """Hands out send slots at the paced rate, on the virtual clock when there is one."""

    def __init__(self, rate: float | None, clock: VirtualClock | None) -> None:
        self.interval = 60.0 / rate if rate else 0.0
        self.clock = clock
        self.start = self.now()
        self.next_slot = 0

    def now(self) -> float:
        return self.clock.now() if self.clock else time.monotonic()

    def elapsed(self) -> float:
        return self.now() - self.start

    async def wait(self) -> None:
        due = self.start + self.next_slot * self.interval
        self.next_slot += 1
        wait = due - self.now()
        if wait <= 0:
            return
        if self.clock is not None and self.clock.speed == 0:
            self.clock.advance(seconds=wait)  # a frozen clock jumps: the run takes no real time
        elif self.clock is not None:
            await self.clock.sleep_until(due)
        else:
            await asyncio.sleep(wait)


class _Template:
    """The burst's test message, composed once; copies differ in number, Date and Message-ID."""

    def __init__(self, target: Target, count: int) -> None:
        message = compose_message(
            target,
            f"smtp-console burst {_NUMBER}/{count} ({target.channel_name})",
            f"Test message {_NUMBER} of {count}, sent by smtp-console burst.\n",
        )
        raw = message.as_bytes()
        for value, mark in ((message["Date"], _DATE), (message["Message-ID"], _ID)):
            raw = raw.replace(str(value).encode(), mark.encode(), 1)
        split = re.split(rb"(@@[A-Z]+@@)", raw)
        self.parts: list[bytes | str] = [p.decode() if p[:2] == b"@@" else p for p in split]
        self.domain = target.sender.rpartition("@")[2] or None
        self._second = -1
        self._date = b""

    def build(self, index: int) -> tuple[bytes, str]:
        """Copy `index` (from 0) and its Message-ID."""
        now = int(time.time())
        if now != self._second:  # the Date header changes once a second, not per message
            self._second, self._date = now, formatdate(now).encode()
        message_id = make_msgid(domain=self.domain)
        values = {_NUMBER: str(index + 1).encode(), _DATE: self._date, _ID: message_id.encode()}
        raw = b"".join(values[p] if isinstance(p, str) else p for p in self.parts)
        return raw, message_id


@lru_cache(maxsize=4)
def _template(target: Target, count: int) -> _Template:
    return _Template(target, count)


def pacing(channel: Channel, rate: float | str | None = None) -> float | None:
    """Messages per minute for a burst: the given rate, none for no pacing, else the channel's."""
    if rate == "none":
        return None
    if isinstance(rate, int | float):
        return float(rate)
    return float(channel.messages_per_minute) if channel.messages_per_minute else None


def _message(target: Target, index: int, count: int) -> tuple[bytes, str]:
    """One numbered test message and its Message-ID."""
    return _template(target, count).build(index)


def _client(target: Target) -> SMTP:
    implicit = target.security == "tls"
    return SMTP(
        hostname=target.host,
        port=target.port,
        use_tls=implicit,
        start_tls=target.security == "starttls",
        tls_context=tls_context(target) if target.security != "none" else None,
        timeout=target.timeout,
        local_hostname=EHLO_NAME,
    )


def _status(code: int) -> Status:
    return "deferred" if 400 <= code < 500 else "rejected"


async def run_burst(
    target: Target,
    count: int,
    *,
    rate: float | None = None,
    connections: int = 1,
    clock: VirtualClock | None = None,
    mailbox: Mailbox | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    partial_on_cancel: bool = False,
) -> Summary:
    """Send `count` messages over `connections` sessions at `rate` per minute.

    With partial_on_cancel, a cancellation (ctrl+c) ends the burst with what happened so far.
    """
    redactor = Redactor([target.secret] if target.secret else [])
    token = _Token(target, redactor)
    outcomes = [Outcome(i) for i in range(count)]
    queue: asyncio.Queue[Outcome] = asyncio.Queue()
    for outcome in outcomes:
        queue.put_nowait(outcome)
    pacer = _Pacer(rate, clock)
    began = time.perf_counter()
    done = 0
    stop = asyncio.Event()
    in_flight: set[int] = set()
    clients: list[SMTP] = []

    def finished() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, count)

    async def worker() -> None:
        client: SMTP | None = None
        while not stop.is_set():
            try:
                outcome = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await pacer.wait()
            outcome.sent_at = pacer.elapsed()
            if client is None or not client.is_connected:
                client = _client(target)
                clients.append(client)
                stopping = await _open(client, target, outcome, redactor, token)
                if stopping is not None:
                    client = None
                    finished()
                    if stopping:
                        stop.set()  # a refused sign-in would refuse every message
                    continue
            in_flight.add(outcome.index)
            await _send(client, target, outcome, count, redactor)
            in_flight.discard(outcome.index)
            finished()
            if outcome.status in ("deferred", "rejected", "failed"):
                client.close()
                client = None
        if client is not None and client.is_connected:
            with contextlib.suppress(SMTPException, OSError):
                await client.quit()

    # Noted as they are stored: the mailbox may let old messages go during a long burst.
    delayed: set[str] = set()
    watching = mailbox.subscribe(lambda m: _note_delayed(m, delayed)) if mailbox else None
    interrupted = False
    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(connections, count)))))
    except asyncio.CancelledError:
        if not partial_on_cancel:
            raise
        interrupted = True
        for index in in_flight:
            outcomes[index].status, outcomes[index].stage = "failed", "interrupted"
            outcomes[index].reply = INTERRUPTED
        for open_client in clients:
            open_client.close()
    finally:
        if watching is not None:
            watching()
    for outcome in outcomes:
        if outcome.status == "accepted" and outcome.message_id in delayed:
            outcome.status = "delayed"
    summary = Summary(
        count, outcomes, time.perf_counter() - began, rate, connections, mailbox is not None
    )
    summary.interrupted, summary.tokens_refreshed = interrupted, token.refreshed
    stopped = summary.stopped
    if stopped is not None and not interrupted:
        for outcome in outcomes:
            if outcome.status == "not-sent" and not outcome.reply:  # never tried: held back
                outcome.stage, outcome.reply = stopped.stage, stopped.reply
        if on_progress and done < count:
            on_progress(count, count)  # the held-back messages are settled too: not sent
    summary.diagnoses = _diagnoses(summary, target)
    return summary


def _note_delayed(message: StoredMessage, delayed: set[str]) -> None:
    if message.delayed:
        delayed.add(header(message.raw, "Message-ID") or "")


class _Token:
    """The secret every connection signs in with; an OAuth token is renewed once when refused."""

    def __init__(self, target: Target, redactor: Redactor) -> None:
        self.value, self.target, self.redactor = target.secret, target, redactor
        self.refreshed = 0
        self._lock = asyncio.Lock()

    async def after(self, response: SMTPResponse, used: str) -> str | None:
        """A renewed token after the server refused `used` as run out, else None."""
        target = self.target
        if target.renew is None:
            return None
        keys = diagnose(flatten(response.code, response.message), target.provider, "auth").keys
        if "auth_token_invalid" not in keys:
            return None
        from console.secrets import SecretError

        async with self._lock:  # the connections share one refresh
            if self.value == used:
                try:
                    self.value = await target.renew()
                except SecretError:
                    return None
                self.redactor.add(self.value)
                self.refreshed += 1
        return self.value


async def _open(
    client: SMTP, target: Target, outcome: Outcome, redactor: Redactor, token: _Token
) -> bool | None:
    """Connect, secure and sign in: None when ready, else whether to stop the whole burst.

    A failure here leaves the message not sent, with the stage (connect or auth) and reply.
    """
    outcome.stage = "connect"
    try:
        await client.connect()
        await client.ehlo()
        if target.method != "none":
            outcome.stage = "auth"

            async def send(line: str) -> SMTPResponse:
                return await client.execute_command(line.encode("utf-8"))

            used = token.value
            response = await sign_in(target.method, send, target.username, used)
            if response.code != 235 and (fresh := await token.after(response, used)):
                response = await sign_in(target.method, send, target.username, fresh)
            if response.code != 235:
                raise SMTPResponseException(response.code, response.message)
    except SMTPResponseException as error:
        outcome.status = "not-sent"
        outcome.reply = redactor.mask(flatten(error.code, error.message))
        client.close()
        return outcome.stage == "auth" or error.code >= 500
    except (SMTPException, OSError) as error:
        outcome.status = "not-sent"
        outcome.reply = redactor.mask(str(error) or type(error).__name__)
        client.close()
        return True
    outcome.stage = ""
    return None


async def _send(
    client: SMTP, target: Target, outcome: Outcome, count: int, redactor: Redactor
) -> None:
    """Send one message; record accepted, or the reply that deferred or rejected it."""
    raw, outcome.message_id = _message(target, outcome.index, count)
    recipient = target.recipient or target.sender
    try:
        await client.sendmail(target.sender, [recipient], raw)
    except SMTPRecipientsRefused as error:
        refused = error.recipients[0]
        outcome.status, outcome.stage = _status(refused.code), "rcpt"
        outcome.reply = redactor.mask(flatten(refused.code, refused.message))
    except SMTPResponseException as error:
        stage = "mail" if isinstance(error, SMTPSenderRefused) else "data"
        outcome.status, outcome.stage = _status(error.code), stage
        outcome.reply = redactor.mask(flatten(error.code, error.message))
    except (SMTPException, OSError) as error:
        outcome.status, outcome.stage = "failed", "send"
        outcome.reply = redactor.mask(str(error))
    else:
        outcome.status = "accepted"


def _diagnoses(summary: Summary, target: Target) -> list[Diagnosis]:
    """One diagnosis per distinct reply that held a message back, plus the carry-over."""
    found = []
    delayed = summary.total("delayed")
    if delayed:
        total = delayed + summary.total("accepted")
        detail = f"{delayed} of {total} accepted messages were held back for a later minute"
        found.append(diagnose_failure("carried-over", detail, target.provider, "dot"))
    for group in summary.by_reply():
        reply, stage = group["reply"], group["stage"]
        if stage == "interrupted":
            continue
        if group["status"] in ("deferred", "rejected") or stage == "auth" or reply[:1].isdigit():
            found.append(diagnose(reply, target.provider, stage))
        elif group["status"] in ("failed", "not-sent"):
            found.append(diagnose_failure("disconnected", reply, target.provider, stage))
    return found


def stop_reason(summary: Summary) -> str:
    """Why the burst stopped before sending, with the server's own words ("" if it did not)."""
    stopped = summary.stopped
    if stopped is None:
        return ""
    what = "sign-in refused" if stopped.stage == "auth" else "could not connect"
    return f"stopped at {stopped.stage}: {what}: {printable(stopped.reply)}"


def render_summary(summary: Summary) -> str:
    """Plain text: the counts, replies grouped, the timeline and the diagnoses."""
    data = summary.to_dict()
    lines = ["interrupted (ctrl+c): what happened so far"] if summary.interrupted else []
    lines += [
        f"sent {data['sent']} of {summary.count} test messages"
        + (" to the simulator" if summary.simulated else "")
        + f" in {summary.seconds:.1f} s",
        f"  accepted on time  {data['accepted']}",
        f"  delayed           {data['delayed']}   (accepted, carried over by the provider)",
        f"  deferred (4xx)    {data['deferred']}",
        f"  rejected (5xx)    {data['rejected']}",
    ]
    if data["failed"] or data["not_sent"]:
        lines.append(f"  failed {data['failed']}, not sent {data['not_sent']}")
    if summary.tokens_refreshed:
        lines.append(
            f"the server refused the access token {summary.tokens_refreshed} time(s) as run out: "
            "refreshed it and signed in again"
        )
    if summary.stopped is not None:
        lines.append(stop_reason(summary))
    if data["by_reply"]:
        lines.append("by reply:")
        for group in data["by_reply"]:
            reply = group["reply"] or "accepted, sent on in a later minute"
            where = f"at {group['stage']}: " if group["stage"] else ""
            lines.append(f"  {group['count']:>5} {group['status']:<9}{where}{printable(reply)}")
    lines.append("per minute:  minute  sent  accepted  delayed  deferred  rejected")
    for row in data["timeline"]:
        lines.append(
            f"             {row['minute']:>6}  {row['sent']:>4}  {row['accepted']:>8}  "
            f"{row['delayed']:>7}  {row['deferred']:>8}  {row['rejected']:>8}"
        )
    for diagnosis in summary.diagnoses:
        lines.append(diagnosis.render())
    return "\n".join(lines)
