"""smtp-console export: a channel as configuration for Postfix, msmtp, an application or a shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console import exitcodes, secrets, store
from console.commands.channels import add_channels_dir_argument, channel_problems
from console.exitcodes import UsageError
from console.export import FORMATS, Context, render, tool_version
from console.export.base import reference_for
from console.export.files import write_private
from console.export.postfix import secret_line
from simulator.profile import ProfileError


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the export command."""
    parser = commands.add_parser(
        "export",
        help="write a channel as configuration for Postfix, msmtp, Django, Laravel, ...",
        description="Print the channel as the settings another program reads. The secret is "
        "never written into an export: each one says which smtp-console command supplies it.",
        epilog="Exit codes: 0 written, 2 bad channel or usage.",
    )
    parser.add_argument("channel", nargs="?", metavar="CHANNEL", help="saved channel or file")
    parser.add_argument("--to", choices=tuple(FORMATS), metavar="FORMAT", help="the format")
    parser.add_argument("--list", action="store_true", help="name the formats and exit")
    parser.add_argument("--output", metavar="FILE", help="write to FILE (mode 0600 when new)")
    parser.add_argument(
        "--write-secret-file",
        metavar="PATH",
        help="postfix only: also write the sasl_passwd file WITH the secret, at mode 0600",
    )
    add_channels_dir_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List the formats, or export one channel in one format."""
    if args.list:
        width = max(len(name) for name in FORMATS)
        for item in FORMATS.values():
            print(f"{item.name:<{width}}  {item.summary}; goes in {item.where}")
        return exitcodes.OK
    try:
        return _export(args)
    except UsageError as error:
        print(error, file=sys.stderr)
        return exitcodes.BAD_INPUT


def _export(args: argparse.Namespace) -> int:
    if not args.channel or not args.to:
        raise UsageError("export: needs CHANNEL and --to FORMAT (or --list)")
    if args.write_secret_file and args.to != "postfix":
        raise UsageError("--write-secret-file: only with --to postfix (its sasl_passwd file)")
    try:
        file = store.read(store.resolve(args.channel, args.channels_dir))
        _, problems = channel_problems(file)
    except (store.ChannelFileError, ProfileError) as error:
        raise UsageError(str(error)) from None
    reference = reference_for(file.path, file.channel.name, chosen_dir=bool(args.channels_dir))
    context = Context(file.channel, reference, tool_version())
    if problems:
        print(
            f"warning: {file.path} has {len(problems)} problem(s); exported as it is "
            f"(see: smtp-console channels validate {context.reference})",
            file=sys.stderr,
        )
    text = render(args.to, context)
    if args.write_secret_file:
        write_secret_file(context, Path(args.write_secret_file))
    if args.output:
        _write(Path(args.output), text.encode(), keep_mode=True)
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return exitcodes.OK


def write_secret_file(context: Context, path: Path) -> None:
    """Postfix's sasl_passwd with the secret, mode 0600; UsageError when it cannot be."""
    if not context.signs_in:
        raise UsageError("--write-secret-file: the channel does not sign in; no secret to write")
    if context.oauth:
        raise UsageError(
            "--write-secret-file: an OAuth channel's sasl_passwd names the sasl-xoauth2 token "
            "file instead of a secret; see the comments in the export"
        )
    try:
        secret = secrets.read_secret(context.channel)
    except secrets.SecretError as error:
        raise UsageError(f"--write-secret-file: {error}") from None
    _write(path, secret_line(context, secret).encode(), keep_mode=False)
    print(f"Wrote {path} (mode 0600); now run: postmap hash:{path}", file=sys.stderr)


def _write(path: Path, data: bytes, *, keep_mode: bool) -> None:
    try:
        write_private(path, data, keep_mode=keep_mode)
    except OSError as error:
        raise UsageError(f"{path}: cannot be written: {error.strerror}") from None
