"""smtp-console check: the staged test of a channel, live or against the simulator."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from console import exitcodes, store
from console.channel import Channel, is_address
from console.check import run_check
from console.check_render import render_heading, render_report, render_stage
from console.check_report import Report, Stage, explain_missing_endpoint
from console.exitcodes import UsageError
from console.oauth.errors import SignInError, refused_token_hint
from console.target import Target, target_for
from simulator.profile import ProfileError, load

# Imported where used: a live check needs neither the simulator nor, mostly, the keyring.
if TYPE_CHECKING:
    from simulator.scenario import Scenario
    from simulator.server import Simulator


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the check command."""
    parser = commands.add_parser(
        "check",
        help="test a channel step by step and diagnose the first failure",
        description="Connect, greet, secure, sign in and address a test message, timing each "
        "step; stop at the first failure and explain it.",
        epilog="Exit codes: 0 passed, 1 the server refused or failed, 2 bad channel or usage.",
    )
    add_channel_argument(parser)
    add_simulate_option(parser)
    parser.add_argument("--send", action="store_true", help="also send a test message (DATA)")
    parser.add_argument("--to", metavar="ADDR", help="the recipient (required with --send)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per step")
    parser.add_argument(
        "--anyway",
        action="store_true",
        help="check even though validation found problems (they are listed first)",
    )
    add_secret_options(parser)
    parser.set_defaults(run=run)


def add_channel_argument(parser: argparse.ArgumentParser) -> None:
    """CHANNEL and --channels-dir, shared by check and burst."""
    parser.add_argument(
        "channel", metavar="CHANNEL", nargs="?", help="a saved channel's name or a file"
    )
    parser.add_argument(
        "--channels-dir",
        metavar="DIR",
        help="where saved channels live (default: $SMTP_CONSOLE_CHANNELS_DIR "
        "or the platform config folder)",
    )


def channel_and_scenario(args: argparse.Namespace) -> str:
    """CHANNEL, also when written after a bare --simulate (`check --simulate CHANNEL`)."""
    if args.channel is None and args.simulate:
        args.channel, args.simulate = args.simulate, ""
    if args.channel is None:
        raise UsageError("CHANNEL is required: a saved channel's name or a file")
    return str(args.channel)


def add_simulate_option(parser: argparse.ArgumentParser) -> None:
    """--simulate [SCENARIO], shared by check and burst."""
    parser.add_argument(
        "--simulate",
        nargs="?",
        const="",
        metavar="SCENARIO",
        help="run against the built-in simulator of the channel's provider "
        "(optionally a scenario file or lesson name)",
    )
    parser.add_argument(
        "--at",
        type=lesson_time,
        metavar="TIME",
        help="with a lesson: how far into it to run, e.g. 12m (default: just after its "
        "first event, where its failure shows)",
    )


def lesson_line(scenario: Scenario, simulator: Simulator) -> str:
    """Which lesson runs against the channel, and how far into it."""
    elapsed = int(simulator.clock.now() - simulator.started_at)
    minutes, seconds = divmod(elapsed, 60)
    title = scenario.title or str(scenario.path or "scenario")
    return f"lesson: {title}, {minutes}m{seconds:02d}s in, signing in as the channel does"


def lesson_time(text: str) -> float:
    """--at: a duration such as 90s, 12m or 1h30m."""
    from simulator.scenario import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {error}") from None


def add_secret_options(parser: argparse.ArgumentParser) -> None:
    """--password-stdin and --insecure, shared by check and burst."""
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the secret from standard input instead of the channel's source",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the server's certificate (only for servers you trust)",
    )


def load_channel(
    name_or_path: str, directory: str | None = None, *, anyway: bool = False
) -> Channel:
    """Read and validate a channel; UsageError names file, line and field.

    With anyway, problems are printed as warnings and the channel is used as it is.
    """
    path = store.resolve(name_or_path, directory)
    try:
        channel = store.read(path)
    except store.ChannelFileError as error:
        raise UsageError(str(error)) from None
    try:
        profile = load(channel.channel.provider)
    except KeyError as error:
        raise UsageError(f"{path}: provider: {error.args[0]}") from None
    except ProfileError as error:
        raise UsageError(str(error)) from None
    problems = channel.problems(profile)
    # What the provider itself refuses, the check shows: where, and in the provider's words.
    for problem in (p for p in problems if p.provider_refuses):
        print(f"note: {problem}; checking it anyway", file=sys.stderr)
    problems = [p for p in problems if not p.provider_refuses]
    if problems:
        lines = [f"{path}:{p.line}: {p}" if p.line else f"{path}: {p}" for p in problems]
        if not anyway:
            lines.append("(check --anyway runs the check despite these problems)")
            raise UsageError("\n".join(lines))
        for line in lines:
            print(f"warning: {line}", file=sys.stderr)
        print("checking anyway (--anyway)", file=sys.stderr)
    return channel.channel


def obtain_secret(channel: Channel, *, from_stdin: bool, simulate: bool) -> str:
    """The channel's secret; in a rehearsal a stand-in when the real one is not at hand."""
    if channel.auth.method == "none" or (simulate and channel.signs_in_with_oauth):
        return ""  # an OAuth rehearsal signs in at the simulated service for its token
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise UsageError("--password-stdin: standard input held no secret")
        return secret
    from console.secrets import SecretError, read_secret

    try:
        return read_secret(channel)
    except SignInError:
        raise
    except SecretError as error:
        if not simulate:
            raise UsageError(f"{channel.name}: {error}") from None
        reason = str(error).splitlines()[0]
        print(
            f"note: the channel's secret is not at hand ({reason.rstrip('.')}); "
            "this rehearsal signs in with a stand-in secret",
            file=sys.stderr,
        )
        from console.rehearse import stand_in_secret

        return stand_in_secret(channel, load(channel.provider))


def scenario_for(value: str | None) -> Scenario | None:
    """The scenario named by --simulate, or None for a plain simulation."""
    if not value:
        return None
    from simulator.scenario import ScenarioError, load_scenario, resolve_scenario

    try:
        return load_scenario(resolve_scenario(value))
    except ScenarioError as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    """Run the check; print stages as they pass (or JSON at the end)."""
    if args.send and not args.to:
        print("check: --send needs --to ADDR, the recipient of the test message", file=sys.stderr)
        return exitcodes.BAD_INPUT
    if args.to and not is_address(args.to):
        print(f"check: --to: {args.to!r} is not an email address", file=sys.stderr)
        return exitcodes.BAD_INPUT
    if args.timeout is not None and args.timeout <= 0:
        print("check: --timeout must be a positive number of seconds", file=sys.stderr)
        return exitcodes.BAD_INPUT
    try:
        name = channel_and_scenario(args)
        channel = load_channel(name, args.channels_dir, anyway=args.anyway)
        simulate = args.simulate is not None
        secret = obtain_secret(channel, from_stdin=args.password_stdin, simulate=simulate)
        scenario = scenario_for(args.simulate)
        report = asyncio.run(_check(channel, secret, args, scenario))
    except UsageError as error:
        print(f"check: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    except SignInError as error:
        print(f"check: {error}", file=sys.stderr)
        return exitcodes.REFUSED
    code = exitcodes.OK if report.passed else exitcodes.REFUSED
    if args.json:
        print(json.dumps({**report.to_dict(), "exit_code": code}, indent=2))
    else:
        print(render_report(report))
        failed = report.failed_stage
        if channel.signs_in_with_oauth and failed is not None and failed.name == "auth":
            print(refused_token_hint(channel), file=sys.stderr)
    return code


async def _check(
    channel: Channel, secret: str, args: argparse.Namespace, scenario: Scenario | None
) -> Report:
    target = target_for(
        channel,
        secret,
        recipient=args.to,
        send=args.send,
        timeout=args.timeout,
        insecure=args.insecure,
    )
    if args.simulate is None:
        if channel.signs_in_with_oauth and not args.password_stdin:
            from console.oauth.access import renewal, sign_in_for

            target = replace(target, renew=renewal(sign_in_for(channel)))
        return explain_missing_endpoint(await _run(target, args.json), channel)
    from console.rehearse import retarget, simulated

    try:
        async with simulated(channel, secret, scenario, at=args.at) as simulator:
            if scenario is not None and not args.json:
                print(lesson_line(scenario, simulator), file=sys.stderr)
            if channel.signs_in_with_oauth:
                from console.oauth.access import access_token, renewal
                from console.oauth.rehearsal import rehearsal_signin

                signin = await rehearsal_signin(channel, simulator)
                token, _ = await access_token(signin)
                target = replace(target, secret=token, renew=renewal(signin))
            report = await _run(retarget(target, simulator), args.json)
            return explain_missing_endpoint(report, channel)
    except ValueError as error:  # e.g. a scenario written for another provider
        raise UsageError(str(error)) from None


async def _run(target: Target, quiet: bool) -> Report:
    """Run the check; in text mode print each stage the moment it ends."""
    if quiet:
        return await run_check(target)
    print(render_heading(target), flush=True)

    def show(stage: Stage) -> None:
        if stage.status != "running":
            print(render_stage(stage), flush=True)

    return await run_check(target, show)
