"""A full simulated check against the same dialogue done by a bare aiosmtplib script.

Both run in one process against one Office 365 simulator: STARTTLS, AUTH LOGIN,
MAIL FROM, RCPT TO, QUIT. Prints each median and the ratio (target: at most 2x).

    uv run python benchmarks/check_latency.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import statistics
import time

import aiosmtplib

from console.check import Target, run_check
from simulator.server import Simulator
from simulator.state import Account

USER, SECRET, RECIPIENT = "alice@contoso.com", "Bench-secret-1", "bob@example.org"
TARGET_RATIO = 2.0


async def bare(host: str, port: int, context: ssl.SSLContext) -> None:
    """The same dialogue with aiosmtplib's own client and nothing else."""
    client = aiosmtplib.SMTP(
        hostname=host, port=port, start_tls=True, tls_context=context, local_hostname="localhost"
    )
    await client.connect()
    await client.login(USER, SECRET)
    await client.mail(USER)
    await client.rcpt(RECIPIENT)
    await client.quit()


async def staged(target: Target) -> None:
    """smtp-console's check: every stage timed, the transcript masked, a diagnosis ready."""
    report = await run_check(target)
    if not report.passed:
        raise SystemExit(f"the check failed at {report.failed_stage}: {report.diagnosis}")


async def measure(rounds: int) -> tuple[float, float]:
    async with Simulator("office365", accounts=[Account(USER, password=SECRET)]) as sim:
        context = sim.client_ssl_context()
        target = Target(
            sim.host,
            sim.port,
            "starttls",
            USER,
            method="login",
            username=USER,
            secret=SECRET,
            recipient=RECIPIENT,
            tls_context=context,
            provider="office365",
        )
        timings: dict[str, list[float]] = {"check": [], "bare": []}
        runs = {"check": lambda: staged(target), "bare": lambda: bare(sim.host, sim.port, context)}
        for name in runs:  # warm up both paths once
            await runs[name]()
        for _ in range(rounds):  # interleaved, so drift hits both alike
            for name, run in runs.items():
                began = time.perf_counter()
                await run()
                timings[name].append(time.perf_counter() - began)
    return statistics.median(timings["check"]), statistics.median(timings["bare"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    check, bare_median = asyncio.run(measure(rounds))
    ratio = check / bare_median
    print(f"rounds: {rounds}")
    print(f"smtp-console check median: {check * 1000:.2f} ms")
    print(f"bare aiosmtplib median:    {bare_median * 1000:.2f} ms")
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO:g}x) {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
