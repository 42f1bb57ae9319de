"""smtp-console simulate PROVIDER: run the provider-faithful SMTP simulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from console import exitcodes
from console.logwriter import LINES_PER_SECOND, LineBudget, LogWriter, report
from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.profile import ProfileError
from simulator.scenario import (
    Scenario,
    ScenarioError,
    lessons,
    load_scenario,
    resolve_scenario,
)
from simulator.server import Simulator, is_loopback
from simulator.state import Account

ARROWS = {"command": ">", "reply": "<"}
KEEP = 1000


class BadInput(Exception):
    """A command-line value that cannot be used; the message says which and why."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the simulate command."""
    parser = commands.add_parser(
        "simulate",
        help="run an SMTP server that answers as a provider does",
        description="Run an SMTP server that answers as PROVIDER does: its greeting, its "
        "EHLO lists, its reply texts at the stage it sends them, its limits. Stop it with "
        "Ctrl-C.",
    )
    parser.add_argument(
        "provider",
        nargs="?",
        metavar="PROVIDER",
        help="a provider id, e.g. office365 (optional with --scenario)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=2525,
        help="port for plain and STARTTLS (default %(default)s; 0: any free port)",
    )
    parser.add_argument(
        "--tls-port", type=int, metavar="N", help="also listen with implicit TLS on port N"
    )
    parser.add_argument(
        "--signin-port",
        type=int,
        default=0,
        metavar="N",
        help="port of the simulated OAuth sign-in service (Office 365, Gmail; default: any free)",
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="an account that may sign in (repeatable); other users of this machine can "
        "read the password in the process list, so prefer --accounts-file",
    )
    parser.add_argument(
        "--accounts-file",
        type=Path,
        metavar="FILE",
        help="accounts that may sign in, one USER:PASSWORD a line (- reads standard input; "
        "blank lines and lines starting with # are skipped)",
    )
    parser.add_argument("--scenario", metavar="FILE", help="a scenario file or lesson name")
    parser.add_argument(
        "--clock-speed", type=float, metavar="X", help="virtual seconds per real second"
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed for ids and faults")
    parser.add_argument("--maildir", type=Path, metavar="DIR", help="also store mail here")
    parser.add_argument(
        "--keep",
        type=int,
        default=KEEP,
        metavar="N",
        help="recent messages held in memory (default %(default)s); older ones are let go "
        "from memory, not from --maildir",
    )
    parser.add_argument(
        "--ca-out", type=Path, metavar="FILE", help="write the CA certificate (PEM) here"
    )
    parser.add_argument(
        "--force", action="store_true", help="let --ca-out replace a different existing file"
    )
    parser.add_argument("--json-log", action="store_true", help="log JSON lines to stdout")
    parser.add_argument(
        "--log-rate",
        type=float,
        default=LINES_PER_SECOND,
        metavar="N",
        help="log lines a second one connection may write after a first burst "
        "(default %(default)g; 0: no limit); repeats are always summarised",
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow --host to be a non-loopback address"
    )
    parser.add_argument(
        "--list-lessons",
        action="store_true",
        help="list the ready lessons (use one with --scenario NAME) and exit",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the simulator and serve until Ctrl-C or SIGTERM."""
    if args.list_lessons:
        return list_lessons()
    try:
        simulator = build(args)
        return asyncio.run(serve(simulator, json_log=args.json_log, log_rate=args.log_rate))
    except BadInput as error:
        print(f"smtp-console simulate: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT


def list_lessons() -> int:
    """Print each ready lesson's name and title."""
    found = lessons()
    width = max(map(len, found), default=0)
    for name, title in found.items():
        _write(sys.stdout, f"{name:<{width}}  {title}".rstrip())
    _write(sys.stdout, "\nRun one: smtp-console simulate --scenario NAME")
    return exitcodes.OK


def parse_account(text: str) -> Account:
    """USER:PASSWORD (the password may itself contain colons)."""
    user, colon, password = text.partition(":")
    if not colon:  # maybe another separator: the value may hold a password, so it is not shown
        raise BadInput("--account: expected USER:PASSWORD (the value is not repeated)")
    if not user or not password:
        raise BadInput(f"--account {user!r}: expected USER:PASSWORD, both non-empty")
    return Account(username=user, password=password)


def read_accounts(path: Path) -> list[Account]:
    """One USER:PASSWORD a line from `path` (or standard input for -); bad lines name file:line."""
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as error:
        raise BadInput(f"--accounts-file {path}: {error.strerror}") from None
    accounts = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{name}:{number}: not UTF-8 text") from None
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        user, colon, password = text.partition(":")
        if not colon or not user or not password:  # the line may hold a password: not shown
            raise BadInput(f"{name}:{number}: expected USER:PASSWORD, both non-empty")
        accounts.append(Account(username=user, password=password))
    return accounts


def build(args: argparse.Namespace) -> Simulator:
    """The Simulator the arguments describe; BadInput naming the value at fault."""
    scenario: Scenario | None = None
    if args.scenario:
        try:
            scenario = load_scenario(resolve_scenario(args.scenario))
        except ScenarioError as error:
            raise BadInput(str(error)) from None
    provider = args.provider or (scenario.provider if scenario else None)
    if not provider:
        raise BadInput("name a PROVIDER (see `smtp-console providers`) or give --scenario")
    if scenario and args.provider and scenario.provider != args.provider:
        raise BadInput(
            f"--scenario {args.scenario}: it is written for {scenario.provider!r}, "
            f"not {args.provider!r}"
        )
    if not is_loopback(args.host) and not args.allow_remote:
        raise BadInput(
            f"--host {args.host}: not a loopback address; add --allow-remote to listen there"
        )
    ports = (
        ("--port", args.port),
        ("--tls-port", args.tls_port),
        ("--signin-port", args.signin_port),
    )
    for name, port in ports:
        if port is not None and not 0 <= port <= 65535:
            raise BadInput(f"{name} {port}: must be between 0 and 65535")
    if args.keep < 0:
        raise BadInput(f"--keep {args.keep}: must be 0 or more")
    if args.log_rate < 0:
        raise BadInput(f"--log-rate {args.log_rate:g}: must be 0 or more")
    if args.clock_speed is not None and args.clock_speed < 0:
        raise BadInput(f"--clock-speed {args.clock_speed}: must be 0 or more")
    accounts = [parse_account(text) for text in args.account]
    if args.accounts_file is not None:
        accounts += read_accounts(args.accounts_file)
    clock = VirtualClock(speed=args.clock_speed) if args.clock_speed is not None else None
    try:
        return Simulator(
            provider,
            host=args.host,
            port=args.port,
            tls_port=args.tls_port,
            accounts=accounts,
            scenario=scenario,
            clock=clock,
            seed=args.seed,
            maildir=args.maildir,
            allow_remote=args.allow_remote,
            ca_out=args.ca_out,
            ca_replace=args.force,
            keep=args.keep,
            signin_port=args.signin_port,
            ca_in_child=True,  # the server runs for hours: cryptography stays out of its memory
        )
    except KeyError as error:
        raise BadInput(str(error.args[0])) from None
    except (ProfileError, ValueError) as error:
        raise BadInput(str(error)) from None
    except OSError as error:
        raise BadInput(f"--maildir {args.maildir}: {error.strerror}") from None


async def serve(
    simulator: Simulator,
    *,
    json_log: bool = False,
    out: TextIO | None = None,
    log_rate: float = LINES_PER_SECOND,
) -> int:
    """Listen, log every event, and return 0 once asked to stop."""
    out = out or sys.stdout
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    log = EventLog(out, json_log, LineBudget(rate=log_rate))
    try:
        return await _serve(simulator, log, stop)
    finally:
        log.close()  # before the signal handlers go: a second Ctrl-C cannot cut the last lines
        with contextlib.suppress(NotImplementedError):
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


async def _serve(simulator: Simulator, log: EventLog, stop: asyncio.Event) -> int:
    try:
        await simulator.start()
    except FileExistsError as error:
        raise BadInput(
            f"--ca-out {error.filename}: {error.strerror}; add --force to replace it"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        if error.filename:  # the CA file could not be written
            raise BadInput(f"--ca-out {error.filename}: {reason}") from None
        where = address(simulator.host, simulator.port)
        raise BadInput(f"cannot listen on {where}: {reason}") from None
    try:
        if not is_loopback(simulator.host):
            print(
                f"warning: listening on {simulator.host}, reachable from other machines; "
                "anyone who can connect can use it.",
                file=sys.stderr,
            )
        _announce(simulator, log)
        simulator.subscribe(log.event)
        await stop.wait()
    finally:
        await simulator.stop()
    accepted, let_go = simulator.mailbox.accepted, simulator.mailbox.let_go
    if log.json:
        log.line(json.dumps({"kind": "stopped", "accepted": accepted, "let_go": let_go}))
    else:
        held = f" ({let_go} let go from memory)" if let_go else ""
        log.line(f"stopped; {accepted} message(s) accepted{held}")
    return exitcodes.OK


class EventLog:
    """Events as text or JSON lines, within each connection's share, through a LogWriter."""

    def __init__(self, out: TextIO, json_log: bool, budget: LineBudget) -> None:
        self.json = json_log
        self.budget = budget
        self.writer = LogWriter(out, on_gone=_reader_gone(out))
        self._second = -1
        self._stamp = ""

    def line(self, text: str) -> None:
        """Log a line of the command's own (announcement, summary)."""
        self.writer.write(text)

    def event(self, event: Event) -> None:
        """Log one simulator event, or count it as left out."""
        kind, session, text = event.kind, event.session, event.text
        notes, keep = self.budget.admit(session, text, last=kind == "session-close")
        for note in notes:
            self.writer.write(self._format(event, "log", note))
        if keep:
            self.writer.write(self._format(event, kind, text))

    def _format(self, event: Event, kind: str, text: str) -> str:
        if self.json:
            return json.dumps(
                {
                    "kind": kind,
                    "session": event.session,
                    "text": text,
                    "virtual_time": event.virtual_time,
                    "real_time": event.real_time,
                }
            )
        second = int(event.virtual_time)
        if second != self._second:  # one strftime per second of log, not per line
            self._second = second
            self._stamp = datetime.fromtimestamp(second, tz=UTC).strftime("%H:%M:%S")
        marker = ARROWS.get(kind) or f"[{kind}]"
        if "\n" in text:
            text = text.replace("\n", " | ")
        return f"{self._stamp} {event.session or '-':>4} {marker} {text}"

    def close(self) -> None:
        """Write the last lines and say on stderr what was left out."""
        self.writer.close()
        report(sys.stderr, self.writer, self.budget)


def _announce(simulator: Simulator, log: EventLog) -> None:
    profile = simulator.profile
    accounts = [a.username for a in simulator.state.accounts.values()]
    if log.json:
        facts = {
            "kind": "listening",
            "provider": profile.id,
            "host": simulator.host,
            "port": simulator.port,
            "tls_port": simulator.tls_port,
            "tls_port_unserved": simulator.unserved_reason,
            "ca_file": str(simulator.ca_file),
            "accounts": accounts,
            "scenario": simulator.scenario.title if simulator.scenario else None,
            "clock_speed": simulator.clock.speed,
            "signin_url": simulator.signin.url if simulator.signin else None,
        }
        log.line(json.dumps(facts))
        return
    lines = [
        f"Simulating {profile.name} ({profile.id})",
        f"listening on {address(simulator.host, simulator.port)} (plain, STARTTLS offered)",
    ]
    if simulator.tls_port is not None and simulator.unserved_reason:
        where = address(simulator.host, simulator.tls_port)
        lines.append(f"port {where} held but not served: {simulator.unserved_reason}")
    elif simulator.tls_port is not None:
        lines.append(f"implicit TLS on {address(simulator.host, simulator.tls_port)}")
    lines.append(f"CA certificate: {simulator.ca_file}")
    lines.append(f"accounts: {', '.join(accounts) if accounts else 'none (every sign-in fails)'}")
    if simulator.signin is not None:
        lines.append(f"sign-in service: {simulator.signin.url}")
    scenario = simulator.scenario
    if scenario is not None:
        title = scenario.title or scenario.path or ""
        lines.append(f"scenario: {title} (clock speed {simulator.clock.speed:g})")
        lines.extend(f"  {text}" for text in scenario.description.strip().splitlines())
        lines.extend(rehearsal_credentials(scenario))
    lines.append("Press Ctrl-C to stop.")
    for text in lines:
        log.line(text)


def rehearsal_credentials(scenario: Scenario) -> list[str]:
    """Each lesson account's user name and sign-in, for a trainer to type into a client.

    These are the lesson's own made-up credentials, not anyone's secrets; they are shown
    here and never written into a channel file.
    """
    if not scenario.accounts:
        return []
    lines = ["rehearsal credentials (made up for this lesson; keep them out of channel files):"]
    for account in scenario.accounts:
        said = [f"password {account.password}"] if account.password else []
        if account.app_password:
            said.append(f"app password {account.app_password}")
        said += [f"token {token}" for token in account.tokens]
        if account.two_step:
            said.append("2-Step Verification on")
        lines.append(f"  {account.username}: {'; '.join(said) or 'no secret'}")
    return lines


def address(host: str, port: int | None) -> str:
    """host:port, with an IPv6 address in brackets as clients expect it."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _write(out: TextIO, line: str) -> None:
    try:
        try:
            out.write(line + "\n")
        except UnicodeEncodeError:  # a terminal that cannot show every character
            encoding = out.encoding or "ascii"
            out.write(line.encode(encoding, "backslashreplace").decode(encoding) + "\n")
        out.flush()
    except BrokenPipeError:
        _reader_gone(out)


def _reader_gone(out: TextIO) -> Callable[[], None]:
    """What to do once the log's reader went away (`| head`): keep serving, log nowhere."""

    def gone() -> None:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        print(
            "smtp-console simulate: the log output was closed; still serving (Ctrl-C to stop)",
            file=sys.stderr,
        )

    return gone
