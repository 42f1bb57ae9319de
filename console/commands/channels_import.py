"""smtp-console channels import: a draft channel from an msmtp account or SMTP_* variables."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from console import exitcodes, store
from console.channel import DEFAULT_TIMEOUT, NAME_PATTERN, NAME_RULE, AuthMethod, draft
from console.export.imports import Imported, ImportProblem, from_env, from_msmtp, read_env_file
from simulator.profile import ProfileError, load


def register(
    actions: argparse._SubParsersAction[argparse.ArgumentParser],
    add_channels_dir: Callable[..., None],
) -> None:
    """Add `channels import`."""
    parser = actions.add_parser(
        "import",
        help="create a draft channel from an msmtp account or SMTP_* variables",
        description="Reads host, port, security, sign-in name and From; never a password. "
        "The draft asks for its secret until you choose where it lives (auth.secret).",
    )
    parser.add_argument("--from", dest="source", required=True, choices=("msmtp", "env"))
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the msmtp configuration, or a file of NAME=value lines (env: default, "
        "this process's environment)",
    )
    parser.add_argument("--account", metavar="NAME", help="msmtp: the account to import")
    parser.add_argument("--name", metavar="N", help="the new channel's name")
    add_channels_dir(parser, nested=True)
    parser.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Read the source, write the draft channel (never overwriting), say what is left to do."""
    try:
        imported, default_name = _read(args)
    except ImportProblem as error:
        print(error, file=sys.stderr)
        return exitcodes.BAD_INPUT
    name = args.name or default_name
    if not NAME_PATTERN.match(name):
        print(f"--name: {NAME_RULE}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    try:
        profile = load(imported.provider)
    except (KeyError, ProfileError) as error:
        print(error, file=sys.stderr)
        return exitcodes.BAD_INPUT
    channel = draft(
        profile,
        name,
        username=imported.username,
        from_address=imported.sender or None,
        display_name=imported.display_name,
        host=imported.host,
        port=imported.port,
        security=imported.security,
        method=cast(AuthMethod, imported.method) if imported.method else None,
        secret="prompt",
        timeout=imported.timeout or DEFAULT_TIMEOUT,
    )
    path = store.channels_dir(getattr(args, "channels_dir", None)) / f"{name}{store.SUFFIX}"
    try:
        store.save(channel, path, profile=profile)
    except store.ChannelFileError as error:
        print(error, file=sys.stderr)
        return exitcodes.BAD_INPUT
    print(f"Wrote {path} (a draft, provider {profile.id})")
    for note in imported.notes:
        print(f"Note: {note}")
    print(
        'Its secret is asked for each time (auth.secret = "prompt"); choose where it lives:\n'
        f"  keyring, then: smtp-console channels secret {name}   or env:NAME, or command:CMD"
    )
    print(f"Check it:    smtp-console channels validate {name}")
    print(f"Rehearse it: smtp-console check {name} --simulate")
    return exitcodes.OK


def _read(args: argparse.Namespace) -> tuple[Imported, str]:
    if args.source == "msmtp":
        if not args.file:
            raise ImportProblem("channels import --from msmtp: needs FILE (for example ~/.msmtprc)")
        path = Path(args.file).expanduser()
        imported = from_msmtp(path, args.account)
        return imported, imported.name if NAME_PATTERN.match(imported.name) else "imported"
    if args.account:
        raise ImportProblem("--account: only with --from msmtp")
    if args.file:
        path = Path(args.file).expanduser()
        return from_env(read_env_file(path), str(path)), "env"
    return from_env(dict(os.environ), "the environment"), "env"
