"""Whole-process `smtp-console check` against a bare aiosmtplib script doing the same dialogue.

    uv run python benchmarks/check_latency.py [--rounds N]

One `smtp-console simulate office365` process serves both. Each round runs, in turn
and as fresh processes (imports included): the live `check CHANNEL` (STARTTLS, AUTH
LOGIN, MAIL FROM, RCPT TO, QUIT, every stage timed and masked), a bare aiosmtplib
script with the same dialogue, and `check CHANNEL --simulate` (its own simulator in
process: also the simulator's imports and CA). Medians of the rounds, interleaved.
Target: live check / bare script <= 1.5; `--simulate` is reported against it too.
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
TARGET = 1.5
BARE_CLIENT = r"""
import asyncio, os, sys
import aiosmtplib

async def main():
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=int(sys.argv[1]), start_tls=True,
                             local_hostname="localhost", timeout=30)
    await client.connect()
    await client.login(sys.argv[2], os.environ["BENCH_SECRET"])
    await client.mail(sys.argv[2])
    await client.rcpt(sys.argv[2])
    await client.quit()

asyncio.run(main())
"""
CHANNEL = """name = "bench"
provider = "office365"

[server]
host = "127.0.0.1"
port = {port}
security = "starttls"

[auth]
method = "login"
username = "{user}"
secret = "env:BENCH_SECRET"

[sender]
from = "{user}"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        channel = home / "bench.toml"
        channel.write_text(CHANNEL.format(port=port, user=USER))
        ca_file = home / "ca.pem"
        environment = {
            **os.environ,
            "BENCH_SECRET": SECRET,
            "SSL_CERT_FILE": str(ca_file),  # both clients trust the simulator's CA this way
            "SMTP_CONSOLE_CONFIG_DIR": str(home),
        }
        server = subprocess.Popen(
            [*smtp_console(), "simulate", "office365", "--port", str(port)]
            + ["--account", f"{USER}:{SECRET}", "--ca-out", str(ca_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_listening(port, server)
            runs = {
                "check": [*smtp_console(), "check", str(channel)],
                "bare": [sys.executable, "-c", BARE_CLIENT, str(port), USER],
                "check --simulate": [*smtp_console(), "check", str(channel), "--simulate"],
            }
            for command in runs.values():  # warm the file cache and bytecode
                run_timed(command, environment, 120)
            wall: dict[str, list[float]] = {name: [] for name in runs}
            cpu: dict[str, list[float]] = {name: [] for name in runs}
            for number in range(rounds):
                order = list(runs.items())
                for name, command in order[number % 3 :] + order[: number % 3]:
                    seconds, used = run_timed(command, environment, 120)
                    wall[name].append(seconds)
                    cpu[name].append(used)
        finally:
            stop(server)
    print(f"rounds: {rounds} (interleaved, whole processes); {load()}")
    for name in runs:
        print(
            f"{name:<18} median {median(wall[name]) * 1000:7.1f} ms, "
            f"its CPU {median(cpu[name]) * 1000:7.1f} ms"
        )
    met = verdict("check / bare script, wall", median(wall["check"]) / median(wall["bare"]), TARGET)
    met = (
        verdict("check / bare script, CPU", median(cpu["check"]) / median(cpu["bare"]), TARGET)
        and met
    )
    simulated = median(wall["check --simulate"]) / median(wall["bare"])
    print(f"ratio check --simulate / bare script, wall: {simulated:.2f} (reported)")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
