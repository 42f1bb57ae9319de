"""smtp-console explain: the diagnosis of a pasted SMTP reply."""

from __future__ import annotations

import argparse
import json
import sys

from console import exitcodes
from console.diagnosis import catalogue, diagnose
from simulator.profile import STAGES
from simulator.scenario import known_providers as profile_ids


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the explain command."""
    parser = commands.add_parser(
        "explain",
        help="explain an SMTP reply in plain language",
        description="Explain an SMTP reply: what happened, the likely cause, the fix, "
        "and the guide entry to read.",
    )
    parser.add_argument(
        "reply", metavar="REPLY", help='the reply text, e.g. "535 5.7.3 ..."; - reads stdin'
    )
    parser.add_argument("--provider", metavar="ID", help="the provider that sent it")
    parser.add_argument(
        "--stage",
        choices=[stage for stage in STAGES if stage != "any"],
        help="the dialogue stage the reply answered",
    )
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    parser.set_defaults(run=run)


def known_providers() -> set[str]:
    """Provider ids explain accepts: every profile plus any the catalogue names."""
    return set(profile_ids()) | {e.provider for e in catalogue().entries if e.provider}


def run(args: argparse.Namespace) -> int:
    """Print the diagnosis; exit 2 for an empty reply or an unknown provider."""
    if args.reply == "-":
        args.reply = sys.stdin.read()
    if not args.reply.strip():
        print("explain: REPLY is empty; paste the server's reply text", file=sys.stderr)
        return exitcodes.BAD_INPUT
    known = known_providers()
    if args.provider is not None and args.provider not in known:
        print(
            f"explain: --provider: unknown provider {args.provider!r} "
            f"(known: {', '.join(sorted(known))})",
            file=sys.stderr,
        )
        return exitcodes.BAD_INPUT
    diagnosis = diagnose(args.reply, provider=args.provider, stage=args.stage)
    if args.json:
        print(json.dumps(diagnosis.to_dict(), indent=2))
    else:
        print(diagnosis.render())
    return exitcodes.OK
