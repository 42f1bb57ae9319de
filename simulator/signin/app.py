"""The sign-in service: an aiohttp server on loopback, beside the simulator's SMTP ports."""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

from aiohttp import web

from simulator.events import Event, EventBus
from simulator.signin.google import Google
from simulator.signin.microsoft import Microsoft
from simulator.state import Account

if TYPE_CHECKING:
    from simulator.state import State

CONSENT_MODES = ("auto", "manual", "deny")


class SigninService:
    """The simulated identity provider of one simulator: same State, same virtual clock."""

    def __init__(
        self,
        state: State,
        identity: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        events: EventBus | None = None,
    ) -> None:
        if identity not in ("microsoft", "google"):
            raise ValueError(f"unknown identity provider {identity!r}")
        self.state, self.identity, self.host, self.port = state, identity, host, port
        self.events = events
        self._runner: web.AppRunner | None = None

    def note(self, text: str) -> None:
        """Log what the identity provider did (never a token, code or secret)."""
        if self.events is not None:
            now = self.state.oauth.clock.now()
            self.events.emit(Event("signin", "", text, now, time.time()))

    @property
    def url(self) -> str:
        """The service's base URL (BASE in the endpoint table), once started."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one) on the running event loop."""
        app = web.Application()
        provider = Microsoft(self) if self.identity == "microsoft" else Google(self)
        app.add_routes(provider.routes())
        app.add_routes(
            [
                web.post("/_simulator/approve", self._approve),
                web.post("/_simulator/deny", self._deny),
                web.get("/_simulator/pending", self._pending),
                web.get("/devicelogin", self._device_page),
                web.post("/devicelogin", self._device_form),
            ]
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=False)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # The simulated user, for tests, trainers and scenarios

    @property
    def consent(self) -> str:
        """auto (approve as the first account), manual (wait for approve()) or deny."""
        return self.state.oauth.consent

    @consent.setter
    def consent(self, mode: str) -> None:
        if mode not in CONSENT_MODES:
            raise ValueError(f"consent must be one of {', '.join(CONSENT_MODES)}, not {mode!r}")
        self.state.oauth.consent = mode

    def pending(self) -> list[str]:
        """The user codes of device authorizations waiting for the user."""
        return [r.user_code for r in self.state.oauth.devices.pending(self._now())]

    def approve(self, user_code: str, account: str) -> None:
        """The user signs in as `account` and approves this device code."""
        request = self.state.oauth.devices.by_user_code(user_code)
        if request is None or request.status != "pending" or self._now() >= request.expires:
            raise KeyError(f"no pending sign-in with the code {user_code!r}")
        request.status, request.account = "approved", self.ensure_account(account)
        self.note(f"device code {request.user_code} approved as {request.account}")

    def deny(self, user_code: str) -> None:
        """The user declines this device code."""
        request = self.state.oauth.devices.by_user_code(user_code)
        if request is None or request.status != "pending":
            raise KeyError(f"no pending sign-in with the code {user_code!r}")
        request.status = "declined"
        self.note(f"device code {request.user_code} declined")

    def default_account(self) -> str | None:
        """The account auto consent signs in as: the simulator's first."""
        return next((a.username for a in self.state.accounts.values()), None)

    def ensure_account(self, username: str) -> str:
        """The account's name as the simulator knows it, added (without a password) if new."""
        account = self.state.account(username)
        if account is None:
            account = Account(username)
            self.state.add(account)
        return account.username

    def _now(self) -> float:
        return self.state.oauth.clock.now()

    # HTTP forms of the same

    async def _approve(self, request: web.Request) -> web.Response:
        form = await request.post()
        account = str(form.get("account", "")) or self.default_account() or ""
        try:
            if not account:
                raise KeyError("no account named and the simulator has none")
            self.approve(str(form.get("user_code", "")), account)
        except KeyError as error:
            return web.json_response({"error": str(error.args[0])}, status=404)
        return web.Response(status=204)

    async def _deny(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            self.deny(str(form.get("user_code", "")))
        except KeyError as error:
            return web.json_response({"error": str(error.args[0])}, status=404)
        return web.Response(status=204)

    async def _pending(self, request: web.Request) -> web.Response:
        return web.json_response(self.pending())

    async def _device_page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=_device_html(self.default_account() or ""), content_type="text/html"
        )

    async def _device_form(self, request: web.Request) -> web.Response:
        form = await request.post()
        code = str(form.get("user_code", ""))
        try:
            if form.get("decision") == "deny":
                self.deny(code)
                return web.Response(text="Sign-in declined.", content_type="text/plain")
            self.approve(code, str(form.get("account", "")) or self.default_account() or "")
        except KeyError:
            text = _device_html(str(form.get("account", "")), "That code is not valid any more.")
            return web.Response(status=400, text=text, content_type="text/html")
        return web.Response(
            text="You have signed in. You may now close this window.", content_type="text/plain"
        )


def _device_html(account: str, problem: str = "") -> str:
    note = f"<p>{html.escape(problem)}</p>" if problem else ""
    return (
        "<!doctype html><title>Enter code</title><h1>Enter code</h1>"
        + note
        + '<form method="post">'
        '<label>Code <input name="user_code" autofocus></label>'
        f'<label>Account <input name="account" value="{html.escape(account)}"></label>'
        '<button name="decision" value="allow">Next</button>'
        '<button name="decision" value="deny">Decline</button></form>'
    )
