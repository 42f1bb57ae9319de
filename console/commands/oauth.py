"""smtp-console oauth: sign a channel in, hand out its access token, report, sign out."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from console import exitcodes
from console.channel import Channel
from console.commands.check import load_channel
from console.exitcodes import UsageError
from console.oauth import access
from console.oauth.access import SignIn
from console.oauth.errors import SignInError
from console.oauth.tokens import TokenStoreError
from console.secrets import SecretError

# authlib, httpx, aiohttp and the simulator load only on the paths that use them.
if TYPE_CHECKING:
    from console.oauth.flows import DeviceCode
    from console.oauth.loopback import Loopback


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the oauth command and its subcommands."""
    parser = commands.add_parser(
        "oauth",
        help="sign a channel in with OAuth 2.0 and hand out its access token",
        description="OAuth 2.0 sign-in for XOAUTH2/OAUTHBEARER channels (Office 365, Gmail): "
        "tokens are kept in the channel's secret store, never in a file in the clear.",
        epilog="Exit codes: 0 done, 1 the sign-in service refused, 2 bad channel or usage.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    login = actions.add_parser("login", help="sign in and keep the tokens")
    token = actions.add_parser("token", help="print a fresh access token and nothing else")
    status = actions.add_parser("status", help="what is stored and what happens next")
    logout = actions.add_parser("logout", help="forget the tokens (revoking where offered)")
    for sub in (login, token, status, logout):
        sub.add_argument("channel", metavar="CHANNEL", help="a saved channel's name or a file")
        sub.add_argument("--channels-dir", metavar="DIR", help="where saved channels live")
        sub.add_argument(
            "--signin-url",
            metavar="URL",
            help="the base URL of a sign-in service to use instead of the provider's "
            "(e.g. the one `smtp-console simulate` prints)",
        )
    login.add_argument(
        "--simulate",
        action="store_true",
        help="rehearse: sign in against the built-in simulator's sign-in service "
        "(consent is given automatically; nothing is stored)",
    )
    token.add_argument("--refresh", action="store_true", help="refresh even if still valid")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand; errors go to standard error with the right exit code."""
    try:
        channel = _oauth_channel(args.channel, args.channels_dir)
        if args.action == "login" and args.simulate:
            return _rehearse(channel)
        signin = access.sign_in_for(channel, base=args.signin_url)
        if args.action == "login":
            return _login(signin)
        if args.action == "token":
            token, _ = asyncio.run(access.access_token(signin, refresh=args.refresh))
            print(token)
            return exitcodes.OK
        if args.action == "status":
            return _status(signin, args.json)
        for line in asyncio.run(access.logout(signin)):
            print(line)
        return exitcodes.OK
    except UsageError as error:
        print(f"oauth {args.action}: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    except SignInError as error:
        print(f"oauth {args.action}: {error}", file=sys.stderr)
        return exitcodes.REFUSED
    except (TokenStoreError, SecretError) as error:
        print(f"oauth {args.action}: {error}", file=sys.stderr)
        return exitcodes.BAD_INPUT


def _oauth_channel(name: str, directory: str | None = None) -> Channel:
    channel = load_channel(name, directory)
    if not channel.signs_in_with_oauth:
        raise UsageError(
            f"{name}: auth: this channel does not sign in with OAuth; set "
            'auth.method = "xoauth2" (or "oauthbearer"), auth.secret = "oauth" and an [oauth] '
            "table (see the README's OAuth walk-through)"
        )
    return channel


def _login(signin: SignIn) -> int:
    started = time.monotonic()
    tokens = asyncio.run(access.login(signin, TerminalView()))
    minutes = round((tokens.expires_at - signin.clock()) / 60)
    took = time.monotonic() - started
    print(f"signed in as {tokens.account or signin.channel.name} in {took:.1f} s")
    print(f"  tokens kept in {signin.store.where}")
    print(
        f"  access token valid for {minutes} minutes"
        + ("; the refresh token renews it" if tokens.refresh_token else "")
    )
    print(f"  use it: smtp-console check {signin.channel.name}")
    return exitcodes.OK


def _rehearse(channel: Channel) -> int:
    from console.oauth.rehearsal import rehearse_login

    started = time.monotonic()
    outcome = asyncio.run(rehearse_login(channel, TerminalView()))
    print(
        f"rehearsal: signed in as {outcome.account} at the simulated service "
        f"in {time.monotonic() - started:.1f} s; nothing was stored"
    )
    print(
        f"  the simulated {channel.provider} server accepted the token: "
        + ("yes" if outcome.accepted else f"no ({outcome.reply})")
    )
    return exitcodes.OK if outcome.accepted else exitcodes.REFUSED


def _status(signin: SignIn, as_json: bool) -> int:
    data = access.status(signin)
    if as_json:
        print(json.dumps(data, indent=2))
        return exitcodes.OK
    if not data["signed_in"]:
        print(f"{data['channel']}: not signed in ({data['store']})")
        print(f"  next: {data['next']}")
        return exitcodes.OK
    age = data["refresh_token_age_days"]
    lines = [
        f"{data['channel']}: signed in as {data['account']} ({data['provider']}, {data['flow']})",
        f"  scopes:        {' '.join(data['scopes']) or '(not reported)'}",
        f"  access token:  expires {data['access_token_expires_at']} "
        f"({data['access_token_seconds_left'] // 60} min left)",
        f"  refresh token: {'none' if age is None else f'{age:g} days old'}",
        f"  kept in:       {data['store']}",
        f"  next:          {data['next']}",
    ]
    print("\n".join(lines))
    return exitcodes.OK


class TerminalView:
    """The login as shown in a terminal: plain text that can be copied, a countdown on a TTY."""

    def __init__(self) -> None:
        self._countdown: asyncio.Task[None] | None = None

    def device_code(self, code: DeviceCode) -> None:
        """Show the code and address big and plain; copy the code with OSC 52 on a terminal."""
        print(
            f"To sign in, open this address in any browser (a phone will do):\n\n"
            f"    {code.verification_uri}\n\nand enter the code\n\n    {code.user_code}\n",
            flush=True,
        )
        if sys.stdout.isatty() and os.environ.get("TERM", "dumb") != "dumb":
            copied = base64.b64encode(code.user_code.encode()).decode()
            sys.stdout.write(f"\x1b]52;c;{copied}\x07")
            print("(the code is on your clipboard where the terminal allows it)", flush=True)
        if sys.stderr.isatty():
            self._countdown = asyncio.ensure_future(_count_down(code.expires_in))

    def authorize(self, url: str) -> None:
        """Show the authorization address and how to finish over SSH."""
        print(
            f"Open this address in a browser and sign in:\n\n{url}\n\n"
            "When the browser runs on another machine (over SSH), its last page fails to load "
            "an address starting with http://127.0.0.1: copy that whole address from the "
            "address bar and paste it here, then press Enter.",
            flush=True,
        )

    def redirect(self, loopback: Loopback) -> Awaitable[str]:
        """The loopback redirect or a pasted address, whichever comes first."""
        from console.oauth.loopback import first_answer, pasted_line

        return first_answer(loopback.wait(), pasted_line())

    async def sleep(self, seconds: float) -> None:
        """Wait one polling interval."""
        await asyncio.sleep(seconds)


async def _count_down(seconds: int) -> None:
    deadline = time.monotonic() + seconds
    try:
        while (left := int(deadline - time.monotonic())) > 0:
            print(
                f"\r  waiting for the sign-in: {left // 60}:{left % 60:02d} left ",
                end="",
                file=sys.stderr,
                flush=True,
            )
            await asyncio.sleep(1)
    finally:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)
