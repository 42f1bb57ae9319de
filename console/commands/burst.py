"""smtp-console burst: paced test messages to rehearse a provider's limits."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from console import exitcodes
from console.burst import Summary, pacing, render_summary, run_burst
from console.channel import Channel, is_address
from console.commands.check import (
    add_channel_argument,
    add_secret_options,
    add_simulate_option,
    channel_and_scenario,
    load_channel,
    obtain_secret,
    scenario_for,
)
from console.exitcodes import UsageError
from console.oauth.errors import SignInError
from console.target import target_for

if TYPE_CHECKING:
    from simulator.scenario import Scenario

MAX_CONNECTIONS = 50


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the burst command."""
    parser = commands.add_parser(
        "burst",
        help="send paced test messages and summarise what the provider did",
        description="Send N test messages at a paced rate, then summarise: accepted, "
        "delayed (carried over by the provider), deferred (4xx), rejected (5xx), "
        "grouped by reply, with a per-minute timeline.",
        epilog="Exit codes: 0 all accepted, 1 some deferred, rejected, failed or not sent, "
        "2 bad input, 130 interrupted (the summary so far is printed first).",
    )
    add_channel_argument(parser)
    parser.add_argument("--count", type=int, required=True, metavar="N", help="messages to send")
    parser.add_argument(
        "--rate",
        type=rate_value,
        metavar="R",
        help="messages per minute (default: the channel's pacing; none means no pacing)",
    )
    parser.add_argument(
        "--connections", type=int, default=1, metavar="K", help="parallel sessions (default 1)"
    )
    parser.add_argument("--to", metavar="ADDR", help="recipient (default: the channel's sender)")
    add_simulate_option(parser)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--yes", action="store_true", help="do not ask before a live burst")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per step")
    add_secret_options(parser)
    parser.set_defaults(run=run)


def rate_value(text: str) -> float | str:
    """--rate: a number of messages per minute, or none for no pacing."""
    if text.strip().lower() == "none":
        return "none"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a number of messages per minute nor none"
        ) from None


def _usage(args: argparse.Namespace) -> str | None:
    if not 1 <= args.count <= 100_000:
        return "--count must be between 1 and 100000"
    if isinstance(args.rate, float) and args.rate <= 0:
        return "--rate must be a positive number of messages per minute"
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        return f"--connections must be between 1 and {MAX_CONNECTIONS}"
    if args.to and not is_address(args.to):
        return f"--to: {args.to!r} is not an email address"
    if args.timeout is not None and args.timeout <= 0:
        return "--timeout must be a positive number of seconds"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the burst and print its summary."""
    problem = _usage(args)
    if problem:
        print(f"burst: {problem}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    try:
        channel = load_channel(channel_and_scenario(args), args.channels_dir)
        simulate = args.simulate is not None
        if not simulate and not args.yes and not _confirmed(channel, args):
            return exitcodes.BAD_INPUT
        secret = obtain_secret(channel, from_stdin=args.password_stdin, simulate=simulate)
        scenario = scenario_for(args.simulate)
        summary = asyncio.run(_burst(channel, secret, args, scenario))
    except UsageError as error:
        print(f"burst: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    except SignInError as error:
        print(f"burst: {error}", file=sys.stderr)
        return exitcodes.REFUSED
    except KeyboardInterrupt:
        print("burst: interrupted before any message was sent", file=sys.stderr)
        return exitcodes.INTERRUPTED
    if summary.interrupted and sys.stderr.isatty() and not args.json:
        print(file=sys.stderr)  # end the progress line
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(render_summary(summary))
    if summary.interrupted:
        return exitcodes.INTERRUPTED
    return exitcodes.OK if summary.ok else exitcodes.REFUSED


def _confirmed(channel: Channel, args: argparse.Namespace) -> bool:
    recipient = args.to or channel.sender.address
    question = (
        f"Send {args.count} real test messages through {channel.server.host} to {recipient}? [y/N] "
    )
    if not sys.stdin.isatty():
        refusal = f"burst: a live burst needs confirmation ({question[:-8]}): pass --yes"
        print(refusal, file=sys.stderr)
        return False
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        print("burst: nothing sent", file=sys.stderr)
        return False
    return True


async def _burst(
    channel: Channel, secret: str, args: argparse.Namespace, scenario: Scenario | None
) -> Summary:
    rate = pacing(channel, args.rate)
    target = target_for(
        channel, secret, recipient=args.to, timeout=args.timeout, insecure=args.insecure
    )
    progress = _progress if sys.stderr.isatty() and not args.json else None
    if args.simulate is None:
        if channel.signs_in_with_oauth and not args.password_stdin:
            from console.oauth.access import renewal, sign_in_for

            target = replace(target, renew=renewal(sign_in_for(channel)))
        return await run_burst(
            target,
            args.count,
            rate=rate,
            connections=args.connections,
            on_progress=progress,
            partial_on_cancel=True,
        )
    from console.rehearse import retarget, simulated
    from simulator.clock import VirtualClock

    # A frozen virtual clock that the pacer moves forward: simulated minutes take no real time.
    clock = VirtualClock(speed=0)
    try:
        async with simulated(channel, secret, scenario, clock=clock, at=args.at) as simulator:
            if channel.signs_in_with_oauth:
                from console.oauth.access import access_token, renewal
                from console.oauth.rehearsal import rehearsal_signin

                signin = await rehearsal_signin(channel, simulator)
                token, _ = await access_token(signin)
                target = replace(target, secret=token, renew=renewal(signin))
            return await run_burst(
                retarget(target, simulator),
                args.count,
                rate=rate,
                connections=args.connections,
                clock=clock,
                mailbox=simulator.mailbox,
                on_progress=progress,
                partial_on_cancel=True,
            )
    except ValueError as error:
        raise UsageError(str(error)) from None


def _progress(done: int, count: int) -> None:
    width = 30
    filled = width * done // count
    bar = "#" * filled + "." * (width - filled)
    end = "\n" if done == count else ""
    print(f"\r[{bar}] {done}/{count}", end=end, file=sys.stderr, flush=True)
