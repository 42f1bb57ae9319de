"""Exactness of a limit of 30 when 50 clients send at once, through the real simulator.

    uv run python benchmarks/limit_exactness.py [--trials 20] [--clients 50] [--limit 30]

Fifty signed-in Office 365 connections (STARTTLS, AUTH LOGIN) each send two messages
at the same moment, on a frozen virtual clock; then the clock moves past the window
and the next trial starts. For each kind of limit the script counts what the window
let through: anything above the limit is an over-admission, anything below an
under-admission. Both must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

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
        ),
        Mode(
            "recipients per 24 hours",
            {"recipients_per_day": limit},
            lambda clock: clock.advance(days=1),
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


async def run_mode(mode: Mode, trials: int, clients: int, limit: int) -> Tally:
    """All trials of one mode against a fresh simulator."""
    clock = VirtualClock(speed=0)
    overrides: dict[str, int | str] = {"connections_per_user": clients, **mode.limits}
    scenario = Scenario("office365", accounts=[Account(USER, PASSWORD)], limits=overrides)
    tally = Tally()
    async with Simulator("office365", scenario=scenario, clock=clock) as sim:
        connections = await asyncio.gather(*(_client(sim) for _ in range(clients)))
        for trial in range(trials):
            before = len(sim.mailbox.messages)
            sends = [
                _send(c, trial * 1000 + n * PER_CLIENT + k)
                for n, c in enumerate(connections)
                for k in range(PER_CLIENT)
            ]
            await asyncio.gather(*sends)
            new = sim.mailbox.messages[before:]
            passed = (
                len(new)
                if mode.limits.get("rate_mode") != "delay"
                else len([m for m in new if not m.delayed])
            )
            tally.attempts += len(sends)
            tally.fewest = passed if tally.fewest is None else min(tally.fewest, passed)
            tally.most = max(tally.most, passed)
            tally.over += max(0, passed - limit)
            tally.under += max(0, limit - passed)
            mode.step(clock)
        if mode.limits.get("rate_mode") == "delay":
            deliveries = [m.deliver_at_virtual for m in sim.mailbox.messages]
            tally.window_over = max(0, _busiest_minute(deliveries) - limit)
            tally.under += len(deliveries) != tally.attempts  # carry-over accepts everything
        await asyncio.gather(*(c.quit() for c in connections))
    return tally


async def main_async(trials: int, clients: int, limit: int) -> int:
    print(f"limit {limit}, {clients} concurrent clients x {PER_CLIENT} messages, {trials} trials")
    print(f"{'limit kind':<34} {'attempts':>8} {'passed/window':>13} {'over':>5} {'under':>5}")
    failures = overs = 0
    for mode in modes(limit):
        began = time.perf_counter()
        tally = await run_mode(mode, trials, clients, limit)
        over = tally.over + tally.window_over
        overs += over
        failures += over + tally.under
        span = f"{tally.fewest}-{tally.most}" if tally.fewest != tally.most else str(tally.most)
        seconds = time.perf_counter() - began
        print(
            f"{mode.name:<34} {tally.attempts:>8} {span:>13} {over:>5} {tally.under:>5}"
            f"   ({seconds:.1f}s)"
        )
    print(f"over-admissions: {overs}; under-admissions: {failures - overs}")
    return 0 if not failures else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args()
    return asyncio.run(main_async(args.trials, args.clients, args.limit))


if __name__ == "__main__":
    raise SystemExit(main())
