"""smtp-console providers [--json] | providers show ID [--json]: the provider profiles."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

from console import exitcodes
from console.providers import (
    SCOPE_TEXT,
    SECRET_TEXT,
    SENDER_TEXT,
    UnknownProviderError,
    all_profiles,
    describe,
    get_profile,
    is_own,
    limit_texts,
)
from simulator.profile import Endpoint, Profile, ProfileError

LABEL = 13  # width of the label column in `show`


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the providers command and its `show` subcommand."""
    parser = commands.add_parser(
        "providers",
        help="list the provider profiles, or show one",
        usage="smtp-console providers [--json] [--profiles-dir DIR] [show ID]",
        description="List the provider profiles, or show everything about one.",
    )
    _add_common(parser, "")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser(
        "show",
        prog="smtp-console providers show",
        help="show one provider: endpoints, credentials, limits, guide notes, replies",
        description="Show one provider: endpoints, credentials, limits, guide notes and "
        "every reply, marked as the provider's own or the RFC default.",
    )
    show.add_argument("provider", metavar="ID", help="a provider id, e.g. office365")
    # Separate names, so that a flag given before `show` is not reset by the subparser.
    _add_common(show, "show_")
    parser.set_defaults(run=run)


def _add_common(parser: argparse.ArgumentParser, prefix: str) -> None:
    parser.add_argument(
        "--json", dest=f"{prefix}json", action="store_true", help="print JSON instead of text"
    )
    parser.add_argument(
        "--profiles-dir",
        dest=f"{prefix}profiles_dir",
        type=Path,
        metavar="DIR",
        help="read profiles from DIR (it needs its own defaults.toml) instead of the built-in ones",
    )


def run(args: argparse.Namespace) -> int:
    """List the profiles or show one; exit 2 naming file, line and field if one is malformed."""
    as_json = args.json or getattr(args, "show_json", False)
    directory = getattr(args, "show_profiles_dir", None) or args.profiles_dir
    try:
        if args.action == "show":
            profile = get_profile(args.provider, directory)
            output = json.dumps(describe(profile), indent=2) if as_json else render(profile)
        else:
            profiles = all_profiles(directory)
            output = (
                json.dumps([describe(p) for p in profiles], indent=2)
                if as_json
                else render_list(profiles)
            )
    except (ProfileError, UnknownProviderError) as error:
        print(f"smtp-console providers: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    print(output)
    return exitcodes.OK


def render_list(profiles: Iterable[Profile]) -> str:
    """One line per provider: id, name, credential scope, shareable, recommended port."""
    rows = [("ID", "NAME", "SCOPE", "SHARED", "PORT")]
    for p in profiles:
        port = f"{p.endpoint.port} {p.endpoint.security}"
        rows.append((p.id, p.name, p.scope, "yes" if p.shareable else "no", port))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.append("")
    lines.append("Details: smtp-console providers show ID")
    return "\n".join(line.rstrip() for line in lines)


def render(profile: Profile) -> str:
    """Everything about one provider, as text for a terminal."""
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    out: list[str] = [f"{profile.name} ({profile.id})", *textwrap.wrap(profile.summary, width), ""]

    def field(label: str, values: Iterable[str], bullet: str = "") -> None:
        first = True
        for value in values:
            lead = label.ljust(LABEL) if first else " " * LABEL
            wrapped = textwrap.wrap(
                bullet + value,
                width,
                initial_indent=lead,
                subsequent_indent=" " * (LABEL + len(bullet)),
            )
            out.extend(wrapped or [lead.rstrip()])
            first = False

    sharing = "may be shared by a team" if profile.shareable else "must not be shared"
    field("Credentials", [f"{SCOPE_TEXT[profile.scope]} ({profile.scope}); {sharing}"])
    field("Endpoints", [_endpoint_text(profile, e) for e in profile.endpoints])
    tls = "only over TLS" if profile.tls_required else "TLS optional"
    field("Auth", [f"{', '.join(profile.mechanisms)}; {tls}"])
    field("User name", [profile.username_hint])
    secret = f"{SECRET_TEXT.get(profile.secret_kind, profile.secret_kind)} ({profile.secret_kind})"
    if profile.secret_as_username:
        secret += "; also sent as the user name when none is given"
    field("Secret", [secret])
    field("From", [f"{SENDER_TEXT[profile.sender_policy]} ({profile.sender_policy})"])
    field("Limits", limit_texts(profile.limits) or ["none simulated"])
    field("EHLO", [f"before TLS: {', '.join(profile.ehlo_before_tls)}"])
    field("", [f"after TLS: {', '.join(profile.ehlo_after_tls)}"])
    for label, notes in (
        ("Pros", profile.guide.pros),
        ("Cons", profile.guide.cons),
        ("Warnings", profile.guide.warnings),
    ):
        field(label, notes, bullet="- ")
    out.append("")
    out.extend(_replies(profile))
    out.append("")
    out.append(f"Profile: {profile.path}")
    return "\n".join(out)


def _endpoint_text(profile: Profile, endpoint: Endpoint) -> str:
    security = {"starttls": "STARTTLS", "tls": "implicit TLS", "none": "no TLS"}
    text = f"{endpoint.host}:{endpoint.port} {security[endpoint.security]}"
    return text + (" (recommended)" if endpoint is profile.endpoint else "")


def _replies(profile: Profile) -> list[str]:
    own = [r for r in profile.replies.values() if is_own(r)]
    lines = [
        f"Replies: {len(own)} the provider's own, "
        f"{len(profile.replies) - len(own)} RFC defaults (marked RFC)"
    ]
    key_width = max(len(key) for key in profile.replies)
    for reply in profile.replies.values():
        head = f"  {reply.key.ljust(key_width)}  {reply.stage.ljust(8)} {reply.confidence}  "
        text_lines = reply.text.split("\r\n")
        lines.append(head + text_lines[0])
        lines.extend(" " * len(head) + more for more in text_lines[1:])
    return lines
