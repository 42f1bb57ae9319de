"""smtp-console channels new|list|show|validate|secret|import: delivery-channel files."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from console import exitcodes, secret_shapes, secrets, store
from console.channel import (
    AUTH_METHODS,
    NAME_PATTERN,
    NAME_RULE,
    RESERVED_RULE,
    SCOPES,
    SECURITIES,
    Channel,
    Problem,
    as_dict,
    draft,
    reserved_name,
    secret_source_problem,
)
from console.commands import channels_import
from console.paths import CHANNELS_DIR_VARIABLE
from simulator.profile import Profile, ProfileError, load
from simulator.tomlsource import find_line

OPTIONS = {
    "name": "--name",
    "server.host": "--host",
    "auth.username": "--username",
    "auth.secret": "--secret",
    "sender.from": "--from",
    "sender.display_name": "--display-name",
}


def add_channels_dir_argument(parser: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """The --channels-dir option, for any command that takes CHANNEL."""
    parser.add_argument(
        "--channels-dir",
        metavar="DIR",
        default=argparse.SUPPRESS if nested else None,
        help=f"where saved channels live (default: ${CHANNELS_DIR_VARIABLE} "
        "or the platform config folder)",
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the channels command and its subcommands."""
    parser = commands.add_parser(
        "channels",
        help="create, list, show and validate delivery channels; store their secret",
        description="Delivery channels are TOML files; CHANNEL is a saved name or a file path. "
        "Exit codes: 0 fine, 1 problems found, 2 unreadable file or bad input.",
    )
    add_channels_dir_argument(parser)
    parser.set_defaults(run=lambda args: _usage(parser))
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    new = actions.add_parser("new", help="write a draft channel filled from a provider profile")
    new.add_argument("--provider", required=True, metavar="P", help="provider profile id")
    new.add_argument("--name", required=True, metavar="N", help="channel name (its file name)")
    new.add_argument("--username", metavar="U", help="sign-in name")
    new.add_argument("--from", dest="from_address", metavar="ADDR", help="From address")
    new.add_argument("--display-name", default="", metavar="TEXT", help="name shown with From")
    new.add_argument("--host", metavar="H", help="server host (default: the provider's)")
    new.add_argument("--port", type=int, metavar="N", help="server port")
    new.add_argument("--security", choices=SECURITIES, help="starttls, tls or none")
    new.add_argument("--method", choices=AUTH_METHODS, help="sign-in method")
    new.add_argument("--scope", choices=SCOPES, help="personal or shared credentials")
    new.add_argument(
        "--secret",
        default="keyring",
        metavar="SOURCE",
        help="where the secret lives: keyring (default), env:NAME, command:CMD or prompt",
    )
    add_channels_dir_argument(new, nested=True)
    new.set_defaults(run=run_new)

    listing = actions.add_parser("list", help="list saved channels")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add_channels_dir_argument(listing, nested=True)
    listing.set_defaults(run=run_list)

    for name, run, help_text in (
        ("show", run_show, "show one channel"),
        ("validate", run_validate, "report every problem in a channel (exit 1 if any)"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("channel", metavar="CHANNEL", help="saved channel name or file path")
        action.add_argument("--json", action="store_true", help="machine-readable output")
        add_channels_dir_argument(action, nested=True)
        action.set_defaults(run=run)

    secret = actions.add_parser(
        "secret",
        help="store the channel's secret in the system keyring",
        description="Reads the secret from standard input (one line), or asks without echo "
        "on a terminal, and stores it in the system keyring. Never written to a file.",
    )
    secret.add_argument("channel", metavar="CHANNEL", help="saved channel name or file path")
    secret.add_argument(
        "--print",
        dest="print_secret",
        action="store_true",
        help="print the secret instead (for msmtp's passwordeval and the like); "
        "on a terminal only after confirmation",
    )
    add_channels_dir_argument(secret, nested=True)
    secret.set_defaults(run=run_secret)

    channels_import.register(actions, add_channels_dir_argument)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return exitcodes.OK


def _fail(message: str, code: int = exitcodes.BAD_INPUT) -> int:
    print(message, file=sys.stderr)
    return code


def _directory(args: argparse.Namespace) -> str | None:
    return getattr(args, "channels_dir", None)


def _open(args: argparse.Namespace) -> store.ChannelFile:
    return store.read(store.resolve(args.channel, _directory(args)))


def run_new(args: argparse.Namespace) -> int:
    """Write a draft channel from the provider profile; never overwrite."""
    try:
        profile = load(args.provider)
    except KeyError as error:
        return _fail(f"--provider: {error.args[0]}")
    except ProfileError as error:
        return _fail(str(error))
    if not NAME_PATTERN.match(args.name):
        return _fail(f"--name: {NAME_RULE}")
    if reserved_name(args.name):
        return _fail(f"--name: {RESERVED_RULE}")
    if args.port is not None and not 0 < args.port < 65536:
        return _fail(f"--port: must be between 1 and 65535, not {args.port}")
    problem = secret_source_problem(args.secret)
    if problem:
        return _fail(f"--secret: {problem}")
    channel = draft(
        profile,
        args.name,
        username=args.username,
        from_address=args.from_address,
        display_name=args.display_name,
        host=args.host,
        port=args.port,
        security=args.security,
        method=args.method,
        secret=args.secret,
        scope=args.scope,
    )
    token_user = profile.secret_as_username
    for shape in secret_shapes.scan(channel, token_as_username=token_user):
        hint = f"; store it with: smtp-console channels secret {args.name}"
        if token_user and shape.field == "auth.username":
            hint += f" (leave --username out: {profile.name} sends the token as the user name)"
        return _fail(f"{OPTIONS[shape.field]}: {shape.reason}{hint}")
    path = store.channels_dir(_directory(args)) / f"{args.name}{store.SUFFIX}"
    try:
        written = store.save(channel, path, profile=profile)
    except store.ChannelFileError as error:
        return _fail(str(error))
    print(f"Wrote {path}")
    problems = written.problems(profile)
    if problems:
        print("Still to fill in or fix:")
        _print_problems(path, problems)
    if channel.auth.secret == "keyring" and channel.auth.method != "none":
        print(f"Store its secret:  smtp-console channels secret {args.name}")
    print(f"Rehearse it:       smtp-console check {args.name} --simulate")
    return exitcodes.OK


def run_list(args: argparse.Namespace) -> int:
    """List the saved channels, unreadable ones with their error."""
    folder = store.channels_dir(_directory(args))
    if folder.exists() and not folder.is_dir():
        return _fail(f"{folder}: is not a folder (see --channels-dir)")
    listed = store.list_channels(folder)
    if args.json:
        rows: list[dict[str, Any]] = [
            {
                "path": str(item.path),
                "channel": as_dict(item.file.channel),
                "problems": [_problem_dict(p) for p in channel_problems(item.file)[1]],
            }
            if item.file
            else {"path": str(item.path), "error": str(item.error)}
            for item in listed
        ]
        print(json.dumps(rows, indent=2))
        return exitcodes.OK
    if not listed:
        print(f"No channels in {folder}")
        return exitcodes.OK
    width = max(len(item.name) for item in listed)
    for item in listed:
        if item.file is None:
            print(f"{item.name:<{width}}  unreadable: {item.error}")
            continue
        c = item.file.channel
        server = f"{c.server.host}:{c.server.port} {c.server.security}"
        print(f"{c.name:<{width}}  {c.provider:<10}  {server:<34}  {c.sender.address}")
    return exitcodes.OK


def run_show(args: argparse.Namespace) -> int:
    """Show one channel: its settings, where its secret lives, and whether it validates."""
    try:
        file = _open(args)
        profile, problems = channel_problems(file)
    except (store.ChannelFileError, ProfileError) as error:
        return _fail(str(error))
    channel = file.channel
    if args.json:
        data: dict[str, Any] = {
            "path": str(file.path),
            "channel": as_dict(channel),
            "secret_source": secrets.describe_source(channel),
            "problems": [_problem_dict(p) for p in problems],
        }
        print(json.dumps(data, indent=2))
        return exitcodes.OK
    auth = channel.auth
    rate = channel.messages_per_minute
    rows = [
        ("channel", f"{channel.name}  ({file.path})"),
        ("provider", f"{channel.provider}" + (f"  ({profile.name})" if profile else "")),
        ("scope", channel.scope),
        ("server", f"{channel.server.host}:{channel.server.port} {channel.server.security}"),
        ("timeout", f"{channel.server.timeout:g} s"),
        ("sign-in", f"{auth.method}" + (f" as {auth.username}" if auth.username else "")),
        ("secret", secrets.describe_source(channel)),
        ("from", channel.sender.header),
        ("pacing", f"{rate} messages a minute" if rate else "no limit set"),
        (
            "problems",
            f"{len(problems)}: run smtp-console channels validate" if problems else "none",
        ),
    ]
    for label, value in rows:
        print(f"{label:<9} {value}")
    return exitcodes.OK


def run_validate(args: argparse.Namespace) -> int:
    """Report every problem at once: exit 0 clean, 1 problems, 2 unreadable."""
    try:
        file = _open(args)
        _, problems = channel_problems(file)
    except (store.ChannelFileError, ProfileError) as error:
        return _fail(str(error))
    if args.json:
        data = {
            "path": str(file.path),
            "ok": not problems,
            "problems": [_problem_dict(p) for p in problems],
        }
        print(json.dumps(data, indent=2))
    elif problems:
        _print_problems(file.path, problems)
    else:
        print(f"{file.path}: ok")
    return exitcodes.REFUSED if problems else exitcodes.OK


def run_secret(args: argparse.Namespace) -> int:
    """Store the channel's secret in the keyring, read from stdin or asked without echo."""
    try:
        file = _open(args)
    except store.ChannelFileError as error:
        return _fail(str(error))
    channel = file.channel
    if args.print_secret:
        return print_secret(channel)
    try:
        secrets.ensure_keyring_source(channel)
        if not secrets.keyring_available():
            raise secrets.NoKeyringError("Nothing was stored.")
    except secrets.NoKeyringError as error:
        return _fail(f"{error}\nThe channel file to edit: {file.path}")
    except secrets.SecretError as error:
        return _fail(str(error))
    value = _read_secret_input(channel.name)
    if value is None:
        return _fail("No secret was given; nothing was stored.")
    try:
        secrets.store_secret(channel, value)
    except secrets.SecretError as error:
        return _fail(str(error))
    print(f"Stored the secret for {channel.name} in {secrets.describe_source(channel)}.")
    return exitcodes.OK


def print_secret(channel: Channel) -> int:
    """Print the secret for another program; on a terminal only once the user confirms."""
    if sys.stdout.isatty() and not _confirm(f"Show the secret for {channel.name} on screen?"):
        return _fail("Nothing was printed.")
    try:
        value = secrets.read_secret(channel)
    except secrets.SecretError as error:
        return _fail(str(error))
    sys.stdout.write(value + "\n")
    return exitcodes.OK


def _confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ") if sys.stdin.isatty() else ""
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


def _read_secret_input(name: str) -> str | None:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        return line or None
    try:
        first = getpass.getpass(f"Secret for {name}: ")
        again = getpass.getpass("Again, to confirm: ")
    except (EOFError, KeyboardInterrupt):
        return None
    if first != again:
        print("The two entries differ.", file=sys.stderr)
        return None
    return first or None


def channel_problems(file: store.ChannelFile) -> tuple[Profile | None, list[Problem]]:
    """The channel's provider profile and every problem in its file; an unknown provider is one."""
    try:
        profile = load(file.channel.provider)
    except KeyError as error:  # its message names the known providers
        return None, [Problem("provider", error.args[0], find_line(file.text, "provider"))]
    return profile, file.problems(profile)


def _problem_dict(problem: Problem) -> dict[str, object]:
    return {"field": problem.field, "reason": problem.reason, "line": problem.line}


def _print_problems(path: Path, problems: list[Problem]) -> None:
    for problem in problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        print(f"{where}: {problem}")
