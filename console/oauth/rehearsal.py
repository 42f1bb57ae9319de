"""A sign-in rehearsed against the built-in simulator's sign-in service: no browser, no store."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from console.channel import Channel
from console.check import run_check
from console.oauth import access
from console.oauth.access import LoginView, SignIn
from console.oauth.errors import OAuthFailure, SignInError
from console.oauth.flows import DeviceCode
from console.oauth.loopback import Loopback, first_answer
from console.oauth.tokens import MemoryStore
from console.rehearse import retarget, simulated
from console.target import target_for
from simulator.server import Simulator


@dataclass(frozen=True)
class Outcome:
    """How a rehearsed sign-in went: the account, and whether SMTP took the token."""

    account: str
    accepted: bool
    reply: str = ""


class RehearsalView:
    """Plays the person signing in: shows what a view would, browses, lets virtual time pass.

    Given an account, the person signs in as that account (not the simulator's first) and,
    when sign-ins wait for approval, waits for it at the virtual clock's pace.
    """

    def __init__(
        self,
        simulator: Simulator,
        shown: LoginView | None = None,
        *,
        account: str = "",
        say: Callable[[str], None] | None = None,
        on_code: Callable[[], None] | None = None,
    ) -> None:
        self.simulator, self.shown = simulator, shown
        self.account, self.say, self.on_code = account, say, on_code
        self._browsing: list[asyncio.Task[httpx.Response]] = []

    def _consent(self) -> str:
        service = self.simulator.signin
        return service.consent if service is not None else "auto"

    def device_code(self, code: DeviceCode) -> None:
        """Show the code as the real view would (the simulated user approves it)."""
        if self.shown is not None:
            self.shown.device_code(code)
        if self.on_code is not None:
            self.on_code()  # what befalls a code while it waits (slow_down, expiry)
        service = self.simulator.signin
        if self.account and self._consent() == "auto" and service is not None:
            if code.user_code in service.pending():
                service.approve(code.user_code, self.account)
        elif self.say is not None:
            self.say(f"waiting for the sign-in to be approved: {code.message}")

    def authorize(self, url: str) -> None:
        """Open the authorization address as a browser would, following its redirect."""
        if self.shown is not None:
            self.shown.authorize(url)
        self._browsing.append(asyncio.ensure_future(_browse(url)))

    def redirect(self, loopback: Loopback) -> Awaitable[str]:
        """The loopback redirect the simulated browser lands on, or the page it stopped at."""
        return first_answer(loopback.wait(), self._stopped(loopback.redirect_uri))

    async def _stopped(self, redirect_uri: str) -> str:
        """Wait for the browser; fail with the page's words when it did not come back."""
        try:
            page = await asyncio.shield(self._browsing[-1])
        except httpx.HTTPError as error:
            raise OAuthFailure("unreachable", f"the browser failed: {error!r}") from None
        if str(page.url).startswith(redirect_uri):
            answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            return await answer  # the loopback answers
        raise OAuthFailure("sign-in page", f"the browser stopped at: {page_words(page.text)}")

    async def sleep(self, seconds: float) -> None:
        """Let a polling interval of virtual time pass at once (as it passes, awaiting a person)."""
        if self.account and self._consent() == "manual":
            speed = self.simulator.clock.speed
            await asyncio.sleep(seconds / speed if speed else seconds)
            return
        self.simulator.clock.advance(seconds=seconds)
        await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Wait for the simulated browser to finish."""
        for task in self._browsing:
            with contextlib.suppress(httpx.HTTPError):
                await task


async def _browse(url: str) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=True, timeout=30) as browser:
        return await browser.get(url)


def page_words(page: str) -> str:
    """What an error page tells the person: its paragraphs, without the markup."""
    found = re.findall(r"<p>(.*?)</p>", page, flags=re.S) or [page]
    text = " ".join(re.sub(r"<[^>]+>", " ", part) for part in found[:2])
    return " ".join(html.unescape(text).split())[:600]


def signin_url(simulator: Simulator) -> str:
    """The base URL of the simulator's sign-in service."""
    url = simulator.signin_url
    if not url:
        raise SignInError("this simulator has no sign-in service")
    return str(url)


async def rehearsal_signin(
    channel: Channel, simulator: Simulator, shown: LoginView | None = None
) -> SignIn:
    """Sign the channel in at the simulator's service (auto consent); tokens in memory only."""
    signin = access.sign_in_for(
        channel, base=signin_url(simulator), store=MemoryStore(), clock=simulator.clock.now
    )
    view = RehearsalView(simulator, shown)
    try:
        await access.login(signin, view)
    finally:
        await view.close()
    return signin


async def rehearsal_token(
    channel: Channel, simulator: Simulator, shown: LoginView | None = None
) -> str:
    """Sign the channel in at the simulator's service (auto consent) and return the token."""
    token, _ = await access.access_token(await rehearsal_signin(channel, simulator, shown))
    return token


async def rehearse_login(channel: Channel, shown: LoginView | None = None) -> Outcome:
    """The whole sign-in against an embedded simulator, then an SMTP sign-in with the token."""
    async with simulated(channel, "") as simulator:
        token = await rehearsal_token(channel, simulator, shown)
        report = await run_check(retarget(target_for(channel, token), simulator))
    failed = report.failed_stage
    return Outcome(channel.auth.username, report.passed, failed.reply if failed else "")
