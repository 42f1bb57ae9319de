"""CPU per message of the `simulate` command, its log on, against a bare aiosmtpd server.

    uv run python benchmarks/simulator_throughput.py [--messages 3000] [--rounds 5]
        [--clients 10]

Three servers run as their own processes: a bare aiosmtpd sink (accepts everything,
keeps and logs nothing), `smtp-console simulate` (SendGrid) with its text log to a file,
and the same with its log to a pipe read by `cat`. This process drives each in turn
with 1 KB messages over `--clients` connections (aiosmtplib, signed in to the
simulator, whose daily limits a scenario raises so nothing is refused), reading each
server's CPU time and page faults before and after. Medians of the interleaved rounds.
Target: server CPU per message <= 1.1x bare aiosmtpd, log to a file and to a pipe.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import aiosmtplib
from _common import (
    BARE_SERVER,
    cpu_seconds,
    free_port,
    load,
    median,
    page_faults,
    smtp_console,
    stop,
    verdict,
    wait_listening,
)

USER, PASSWORD = "apikey", "SG.bench-key-1"
SENDER = "bench@example.com"
TARGET = 1.1
# Its daily limits raised (not removed: the ledger still counts every message exactly).
SCENARIO = f"""provider = "sendgrid"

[[accounts]]
username = "{USER}"
password = "{PASSWORD}"
verified_domains = ["example.com"]

[limits]
messages_per_day = 1000000000
recipients_per_day = 1000000000
connections_per_user = 1000
"""


def message(size: int = 1024) -> bytes:
    """A realistic 1 KB plain-text message."""
    head = (
        f"From: Bench <{SENDER}>\r\nTo: sink@example.org\r\nSubject: Throughput\r\n"
        "Date: Sun, 29 Nov 2026 06:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode()
    line = b"A line of body text, as a notification or a report would carry.\r\n"
    return head + line * ((size - len(head)) // len(line) + 1)


BODY = message()


class Server:
    """One server process: "bare", "log to file" or "log to pipe"."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.reader: subprocess.Popen[bytes] | None = None
        if kind == "bare":
            command = [sys.executable, "-c", BARE_SERVER, str(self.port)]
            out: object = subprocess.DEVNULL
        else:
            scenario = folder / "raised.toml"
            scenario.write_text(SCENARIO)
            command = [*smtp_console(), "simulate", "--scenario", str(scenario)]
            command += ["--port", str(self.port)]
            if kind == "log to file":
                out = (folder / f"log-{self.port}.txt").open("wb")
            else:
                self.reader = subprocess.Popen(
                    ["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
                )
                out = self.reader.stdin
        self.process = subprocess.Popen(
            command,
            stdout=out,  # type: ignore[arg-type]
            stderr=subprocess.PIPE,
        )
        wait_listening(self.port, self.process)
        self.cpu: list[float] = []
        self.faults: list[float] = []
        self.rates: list[float] = []

    def round(self, messages: int, clients: int) -> None:
        """Drive one round; record the server's CPU per message and the rate."""
        pid = self.process.pid
        before, faulted = cpu_seconds(pid), page_faults(pid)
        rate = asyncio.run(drive(self.port, messages, clients, self.kind != "bare"))
        self.cpu.append((cpu_seconds(pid) - before) / messages)
        self.faults.append((page_faults(pid) - faulted) / messages)
        self.rates.append(rate)

    def close(self) -> str:
        """Stop; what the server said on stderr (the log's summary, if any)."""
        stop(self.process)
        if self.reader is not None:
            assert self.reader.stdin is not None
            self.reader.stdin.close()
            self.reader.wait(10)
        assert self.process.stderr is not None
        return self.process.stderr.read().decode().strip()


async def _client(port: int, count: int, sign_in: bool) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=60)
    await client.connect()
    if sign_in:
        await client.login(USER, PASSWORD)
    for _ in range(count):
        await client.sendmail(SENDER, ["sink@example.org"], BODY)
    await client.quit()


async def drive(port: int, messages: int, clients: int, sign_in: bool) -> float:
    """Send `messages` over `clients` connections; messages per second."""
    loop = asyncio.get_running_loop()
    share = [messages // clients + (1 if n < messages % clients else 0) for n in range(clients)]
    began = loop.time()
    await asyncio.gather(*(_client(port, n, sign_in) for n in share if n))
    return messages / (loop.time() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    kinds = ("bare", "log to file", "log to pipe")
    with tempfile.TemporaryDirectory() as folder:
        servers = [Server(kind, Path(folder)) for kind in kinds]
        notes = {}
        try:
            for server in servers:
                server.round(min(200, args.messages), args.clients)  # warm up
                server.cpu.clear()
                server.faults.clear()
                server.rates.clear()
            for number in range(args.rounds):
                for server in servers[number % 3 :] + servers[: number % 3]:
                    server.round(args.messages, args.clients)
        finally:
            for server in servers:
                notes[server.kind] = server.close()
    print(
        f"{args.rounds} interleaved rounds of {args.messages} 1 KB messages over "
        f"{args.clients} connections; {load()}"
    )
    bare = median(servers[0].cpu)
    met = True
    for server in servers:
        print(
            f"{server.kind:<12} server CPU/msg {median(server.cpu) * 1e6:6.0f} us   "
            f"{median(server.rates):6.0f} msg/s   {median(server.faults):5.2f} page faults/msg "
            "(medians)"
        )
    if bare == 0:  # /proc counts CPU in clock ticks (10 ms): a tiny run may show none
        print("bare server CPU below the clock's resolution: no ratio (use more --messages)")
        return 1
    for server in servers[1:]:
        met = (
            verdict(f"CPU/msg simulate, {server.kind} / bare", median(server.cpu) / bare, TARGET)
            and met
        )
        if notes[server.kind]:
            print(f"  its stderr: {notes[server.kind]}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
