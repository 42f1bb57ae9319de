"""Exactness of a limit of 30 when 200 clients send at once, through the real simulator.

    uv run python benchmarks/limit_exactness.py [--trials 10] [--clients 200] [--limit 30]
        [--clock frozen running]

Signed-in Office 365 connections (STARTTLS, AUTH LOGIN) each send two messages at the
same moment, trial after trial. On a frozen virtual clock the clock then moves past
the window: each trial is one window, and what it let through is counted. On a
running clock (one window per real second) windows slide under the senders; every
decision the ledger takes is recorded with its virtual time, and each is judged
against the rolling window it was taken in: an acceptance with more than the limit in
(t - span, t] is an over-admission, a refusal with fewer an under-admission. In
carry-over mode every message is accepted and the scheduled deliveries are judged
instead (no minute may hold more than the limit), so a carried-over message never
counts against the next trial. Over- and under-admissions must both be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib

from simulator.clock import VirtualClock
from simulator.scenario import Scenario
from simulator.server import Simulator
from simulator.state import Account

USER, PASSWORD = "bulk@contoso.com", "Bulk-Pass-1"
BODY = b"From: bulk@contoso.com\r\nTo: r@example.org\r\nSubject: Exact\r\n\r\nHello.\r\n"
PER_CLIENT = 2


@dataclass(frozen=True)
class Mode:
    """One limit under test: its overrides, and how far to move the clock between trials."""

    name: str
    limits: dict[str, int | str]
    step: Callable[[VirtualClock], object]
    span: float = 60.0


def modes(limit: int) -> list[Mode]:
    """The limits measured, each set to `limit`."""
    return [
        Mode(
            "messages per minute (refuse)",
            {"messages_per_minute": limit, "rate_mode": "refuse"},
            lambda clock: clock.advance(minutes=1),
        ),
        Mode(
            "messages per minute (carry-over)",
            {"messages_per_minute": limit, "rate_mode": "delay"},
            lambda clock: clock.advance(minutes=10),
        ),
        Mode(
            "messages per second",
            {"messages_per_second": limit},
            lambda clock: clock.advance(seconds=1),
            1.0,
        ),
        Mode(
            "recipients per 24 hours",
            {"recipients_per_day": limit},
            lambda clock: clock.advance(days=1),
            86400.0,
        ),
    ]


@dataclass
class Tally:
    """What one mode's trials let through."""

    attempts: int = 0
    fewest: int | None = None
    most: int = 0
    over: int = 0
    under: int = 0
    window_over: int = 0
    decisions: list[tuple[float, bool, float]] = field(default_factory=list)


class _At:
    """A clock stopped at one instant: a decision and its record share the same time."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def _recording(sim: Simulator, tally: Tally) -> None:
    """Record every admission decision (virtual time, accepted, delivery time)."""
    ledger, admit = sim.ledger, sim.ledger.admit
    clock = ledger.clock

    def recorded(user: str | None, recipients: int = 1):  # type: ignore[no-untyped-def]
        now = clock.now()
        ledger.clock = _At(now)  # type: ignore[assignment]
        try:
            admission = admit(user, recipients)
        finally:
            ledger.clock = clock
        tally.decisions.append((now, admission.accepted, admission.deliver_at))
        return admission

    ledger.admit = recorded  # type: ignore[method-assign]


def _judge_running(mode: Mode, tally: Tally, limit: int) -> None:
    """Judge each recorded decision against the rolling window it was taken in."""
    accepted = [at for at, ok, _ in tally.decisions if ok]
    span = mode.span

    def within(end: float) -> int:  # accepted in (end - span, end]
        return bisect_right(accepted, end) - bisect_right(accepted, end - span)

    if mode.limits.get("rate_mode") == "delay":
        deliveries = [deliver for _, ok, deliver in tally.decisions if ok]
        tally.most = tally.fewest = _busiest_minute(deliveries)
        tally.window_over = max(0, tally.most - limit)
        tally.under += len(accepted) != len(tally.decisions)  # carry-over accepts everything
        return
    tally.most = max((within(at) for at in accepted), default=0)
    tally.fewest = tally.most
    for at, ok, _ in tally.decisions:
        count = within(at)
        if ok and count > limit:
            tally.over += 1
        elif not ok and count < limit:
            tally.under += 1


async def _client(sim: Simulator) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(
        hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context(), timeout=30
    )
    await client.connect()
    await client.login(USER, PASSWORD)
    return client


async def _send(client: aiosmtplib.SMTP, tag: int) -> bool:
    try:
        await client.sendmail(USER, [f"r{tag}@example.org"], BODY)
        return True
    except aiosmtplib.SMTPResponseException:
        return False


def _busiest_minute(deliveries: list[float]) -> int:
    """The most deliveries scheduled within any 60-second window."""
    ordered, most, first = sorted(deliveries), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 60:
            first += 1
        most = max(most, last - first + 1)
    return most


async def run_mode(mode: Mode, trials: int, clients: int, limit: int, running: bool) -> Tally:
    """All trials of one mode against a fresh simulator, on a frozen or a running clock."""
    clock = VirtualClock(speed=mode.span if running else 0)  # running: a window a second
    overrides: dict[str, int | str] = {"connections_per_user": clients, **mode.limits}
    scenario = Scenario("office365", accounts=[Account(USER, PASSWORD)], limits=overrides)
    tally = Tally()
    async with Simulator("office365", scenario=scenario, clock=clock) as sim:
        connections = await asyncio.gather(*(_client(sim) for _ in range(clients)))
        if running:
            _recording(sim, tally)
        for trial in range(trials):
            before = len(sim.mailbox.messages)
            sends = [
                _send(c, trial * 1000 + n * PER_CLIENT + k)
                for n, c in enumerate(connections)
                for k in range(PER_CLIENT)
            ]
            await asyncio.gather(*sends)
            tally.attempts += len(sends)
            if running:
                continue  # judged decision by decision at the end
            new = sim.mailbox.messages[before:]
            passed = (
                len(new)
                if mode.limits.get("rate_mode") != "delay"
                else len([m for m in new if not m.delayed])
            )
            tally.fewest = passed if tally.fewest is None else min(tally.fewest, passed)
            tally.most = max(tally.most, passed)
            tally.over += max(0, passed - limit)
            tally.under += max(0, limit - passed)
            mode.step(clock)
            if new and mode.limits.get("rate_mode") == "delay":
                # Past the last carried-over delivery too: the next trial starts on a free minute.
                backlog = max(m.deliver_at_virtual for m in new) - clock.now()
                clock.advance(seconds=max(0.0, backlog) + 60)
        if running:
            _judge_running(mode, tally, limit)
        elif mode.limits.get("rate_mode") == "delay":
            deliveries = [m.deliver_at_virtual for m in sim.mailbox.messages]
            tally.window_over = max(0, _busiest_minute(deliveries) - limit)
            tally.under += len(deliveries) != tally.attempts  # carry-over accepts everything
        await asyncio.gather(*(c.quit() for c in connections))
    return tally


async def main_async(trials: int, clients: int, limit: int, clocks: list[str]) -> int:
    print(f"limit {limit}, {clients} concurrent clients x {PER_CLIENT} messages, {trials} trials")
    print(
        f"{'clock':<8} {'limit kind':<34} {'attempts':>8} {'passed/window':>13} "
        f"{'over':>5} {'under':>5}"
    )
    failures = overs = 0
    for kind in clocks:
        for mode in modes(limit):
            began = time.perf_counter()
            tally = await run_mode(mode, trials, clients, limit, kind == "running")
            over = tally.over + tally.window_over
            overs += over
            failures += over + tally.under
            span = f"{tally.fewest}-{tally.most}" if tally.fewest != tally.most else str(tally.most)
            seconds = time.perf_counter() - began
            print(
                f"{kind:<8} {mode.name:<34} {tally.attempts:>8} {span:>13} {over:>5} "
                f"{tally.under:>5}   ({seconds:.1f}s)"
            )
    print(f"over-admissions: {overs}; under-admissions: {failures - overs}")
    verdict = "MET" if not failures else "NOT MET"
    print(f"exactness (target: 0 over, 0 under) {verdict}")
    return 0 if not failures else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument(
        "--clock", nargs="+", choices=("frozen", "running"), default=["frozen", "running"]
    )
    args = parser.parse_args()
    return asyncio.run(main_async(args.trials, args.clients, args.limit, args.clock))


if __name__ == "__main__":
    raise SystemExit(main())
