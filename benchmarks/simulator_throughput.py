"""Messages per second through the simulator against a bare aiosmtpd sink, same client.

    uv run python benchmarks/simulator_throughput.py [--messages 3000] [--rounds 5]
        [--clients 1 50]

Each server runs alone in a child process; the client (aiosmtplib, one connection per
client, messages sent back to back) runs in this one. The simulator speaks as Office
365 with STARTTLS turned off and its limits raised so that nothing is refused: what is
measured is the cost of the provider behaviour, the ledger, the events and the mailbox.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.connection import Connection

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session

from simulator.profile import Limits, load
from simulator.server import Simulator
from simulator.state import Account

USER, PASSWORD = "bench@contoso.com", "Bench-Pass-1"
BODY = (
    b"From: bench@contoso.com\r\nTo: sink@example.org\r\nSubject: Throughput\r\n\r\n"
    + b"A line of body text to make the message a realistic size.\r\n" * 20
)
TARGET_RATE, TARGET_RATIO = 1000.0, 0.8


class Sink:
    """The bare aiosmtpd handler: accept every message and keep nothing."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


class _Control:
    """The parent's commands, read on the server's loop: begin, end (reply: CPU used), stop."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self.stopped = asyncio.Event()
        self.cpu_at_begin = 0.0
        asyncio.get_running_loop().add_reader(pipe.fileno(), self._read)

    def _read(self) -> None:
        try:
            command = self.pipe.recv()
        except (EOFError, OSError):  # the parent went away
            asyncio.get_running_loop().remove_reader(self.pipe.fileno())
            command = "stop"
        if command == "begin":
            self.cpu_at_begin = time.process_time()
        elif command == "end":
            self.pipe.send(time.process_time() - self.cpu_at_begin)
        else:
            self.stopped.set()


async def _serve(kind: str, pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    control = _Control(pipe)
    if kind == "bare":
        server = await loop.create_server(
            partial(SMTP, Sink(), hostname="bench.local"), "127.0.0.1", 0
        )
        pipe.send(server.sockets[0].getsockname()[1])
        await control.stopped.wait()
        server.close()
        return
    profile = load("office365")
    raised = Limits(
        messages_per_minute=10**9,
        rate_mode="delay",
        recipients_per_day=10**9,
        recipients_per_message=profile.limits.recipients_per_message,
        max_message_bytes=profile.limits.max_message_bytes,
        connections_per_user=1000,
    )
    # Without TLS the client must be able to sign in: advertise AUTH before STARTTLS too.
    plain = replace(
        profile, tls_required=False, limits=raised, ehlo_before_tls=profile.ehlo_after_tls
    )
    async with Simulator(plain, accounts=[Account(USER, PASSWORD)]) as sim:
        sim.control("starttls_off")
        pipe.send(sim.port)
        await control.stopped.wait()
        pipe.send(len(sim.mailbox.messages))


def _server_process(kind: str, pipe: Connection) -> None:
    asyncio.run(_serve(kind, pipe))


async def _client(port: int, count: int, sign_in: bool) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=60)
    await client.connect()
    if sign_in:
        await client.login(USER, PASSWORD)
    for _ in range(count):
        await client.sendmail(USER, ["sink@example.org"], BODY)
    await client.quit()


async def _drive(port: int, messages: int, clients: int, sign_in: bool) -> float:
    share = [messages // clients + (1 if n < messages % clients else 0) for n in range(clients)]
    began = time.perf_counter()
    await asyncio.gather(*(_client(port, n, sign_in) for n in share))
    return messages / (time.perf_counter() - began)


@dataclass
class Result:
    """The best wall-clock rate over the rounds, and the least CPU time per message."""

    rate: float = 0.0
    server_cpu: float = float("inf")
    client_cpu: float = float("inf")


class Server:
    """One server kind ("bare" or "simulator") running in its own process."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sign_in = kind == "simulator"
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_server_process, args=(kind, child)
        )
        self.process.start()
        self.port: int = self.pipe.recv()
        self.sent = 0
        self.result = Result()

    def run(self, messages: int, clients: int, timed: bool = True) -> None:
        """Drive one round; a timed one updates the result."""
        self.pipe.send("begin")
        client_began = time.process_time()
        rate = asyncio.run(_drive(self.port, messages, clients, self.sign_in))
        client_cpu = (time.process_time() - client_began) / messages
        self.pipe.send("end")
        server_cpu = self.pipe.recv() / messages
        self.sent += messages
        if timed:
            result = self.result
            result.rate = max(result.rate, rate)
            result.server_cpu = min(result.server_cpu, server_cpu)
            result.client_cpu = min(result.client_cpu, client_cpu)

    def close(self) -> None:
        """Stop the server; the simulator must have stored every message sent."""
        try:
            self.pipe.send("stop")
            if self.sign_in:
                stored = self.pipe.recv() if self.pipe.poll(10) else None
                if stored != self.sent:
                    raise RuntimeError(f"the simulator stored {stored} of {self.sent} messages")
        finally:
            self.process.join(10)
            if self.process.is_alive():
                self.process.terminate()


def compare(messages: int, clients: int, rounds: int) -> tuple[Result, Result]:
    """Alternate rounds between the bare sink and the simulator, so load hits both alike."""
    servers = [Server("bare"), Server("simulator")]
    try:
        for server in servers:
            server.run(min(200, messages), clients, timed=False)  # warm up
        for round_number in range(rounds):
            for server in servers[:: 1 if round_number % 2 == 0 else -1]:
                server.run(messages, clients)
    finally:
        for server in servers:
            server.close()
    return servers[0].result, servers[1].result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="per round")
    parser.add_argument("--rounds", type=int, default=5, help="the best round counts")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50])
    args = parser.parse_args()
    ok = True
    print(
        f"{'clients':>7}  {'bare msg/s':>10}  {'sim msg/s':>9}  {'ratio':>5}  "
        f"{'server CPU/msg bare/sim':>23}  {'CPU ratio':>9}  {'client CPU/msg':>14}  verdict"
    )
    for clients in args.clients:
        bare, sim = compare(args.messages, clients, args.rounds)
        ratio = sim.rate / bare.rate
        cpu_ratio = bare.server_cpu / sim.server_cpu
        good = sim.rate >= TARGET_RATE and ratio >= TARGET_RATIO
        ok = ok and good
        verdict = "ok" if good else f"below target (>= {TARGET_RATE:.0f}/s, >= {TARGET_RATIO})"
        cpu = f"{bare.server_cpu * 1e6:.0f}us / {sim.server_cpu * 1e6:.0f}us"
        print(
            f"{clients:>7}  {bare.rate:>10.0f}  {sim.rate:>9.0f}  {ratio:>5.2f}  {cpu:>23}  "
            f"{cpu_ratio:>9.2f}  {sim.client_cpu * 1e6:>12.0f}us  {verdict}"
        )
    print(
        "msg/s: best round, wall clock; CPU/msg: CPU time per message of the server process "
        "(and of this process, the client, against the simulator)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
