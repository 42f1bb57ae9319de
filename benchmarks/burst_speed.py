"""Whole-process `smtp-console burst --count N` unpaced against a plain aiosmtplib loop.

    uv run python benchmarks/burst_speed.py [--count 10000] [--rounds 5]

One `smtp-console simulate office365` process (its limits raised by a scenario so
nothing is refused or held back) serves both. Each round runs, in turn and as fresh
processes: `burst CHANNEL --count N --yes` (one connection, no pacing: STARTTLS,
AUTH LOGIN, then N numbered messages, each outcome recorded) and a plain aiosmtplib
script sending N small numbered messages over one signed-in connection. Medians of
the interleaved rounds. Target: burst / plain loop <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import (
    free_port,
    load,
    median,
    run_timed,
    smtp_console,
    stop,
    verdict,
    wait_listening,
)

USER, SECRET = "alice@contoso.com", "Bench-secret-1"
TARGET = 1.3
SCENARIO = f"""provider = "office365"

[[accounts]]
username = "{USER}"
password = "{SECRET}"

[limits]
messages_per_minute = 1000000000
messages_per_day = 1000000000
recipients_per_day = 1000000000
"""
CHANNEL = f"""name = "bench"
provider = "office365"

[server]
host = "127.0.0.1"
port = {{port}}
security = "starttls"

[auth]
method = "login"
username = "{USER}"
secret = "env:BENCH_SECRET"

[sender]
from = "{USER}"
"""
PLAIN_LOOP = r"""
import asyncio, os, sys
from email.utils import formatdate, make_msgid
import aiosmtplib

async def main():
    port, count, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=True,
                             local_hostname="localhost", timeout=60)
    await client.connect()
    await client.login(user, os.environ["BENCH_SECRET"])
    for n in range(count):
        message = (
            f"From: {user}\r\nTo: {user}\r\nSubject: loop {n + 1}/{count}\r\n"
            f"Date: {formatdate()}\r\nMessage-ID: {make_msgid(domain='contoso.com')}\r\n\r\n"
            f"Test message {n + 1} of {count}.\r\n"
        ).encode()
        await client.sendmail(user, [user], message)
    await client.quit()

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        channel, scenario, ca_file = home / "bench.toml", home / "raised.toml", home / "ca.pem"
        channel.write_text(CHANNEL.format(port=port))
        scenario.write_text(SCENARIO)
        environment = {
            **os.environ,
            "BENCH_SECRET": SECRET,
            "SSL_CERT_FILE": str(ca_file),
            "SMTP_CONSOLE_CONFIG_DIR": str(home),
        }
        server = subprocess.Popen(
            [*smtp_console(), "simulate", "--scenario", str(scenario), "--port", str(port)]
            + ["--ca-out", str(ca_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(port, server)
            count = str(args.count)
            runs = {
                "burst": [*smtp_console(), "burst", str(channel), "--count", count, "--yes"],
                "plain loop": [sys.executable, "-c", PLAIN_LOOP, str(port), count, USER],
            }
            wall: dict[str, list[float]] = {name: [] for name in runs}
            cpu: dict[str, list[float]] = {name: [] for name in runs}
            for number in range(args.rounds):
                order = list(runs.items())[:: 1 if number % 2 == 0 else -1]
                for name, command in order:
                    seconds, used = run_timed(command, environment, 1800)
                    wall[name].append(seconds)
                    cpu[name].append(used)
        finally:
            stop(server)
    print(f"{args.rounds} interleaved rounds of {args.count} messages; {load()}")
    for name in runs:
        seconds, used = median(wall[name]), median(cpu[name])
        print(
            f"{name:<11} median {seconds:8.2f} s  ({args.count / seconds:6.0f} msg/s), "
            f"its CPU {used:7.2f} s"
        )
    # Wall time waits on the server as much as on the client: the client's CPU says what
    # the burst itself costs, and a loaded machine hides it from the wall clock.
    met = verdict(
        "burst / plain loop, wall", median(wall["burst"]) / median(wall["plain loop"]), TARGET
    )
    met = (
        verdict("burst / plain loop, CPU", median(cpu["burst"]) / median(cpu["plain loop"]), TARGET)
        and met
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
