"""A stand-in sign-in service until the simulator has its own: the providers' OAuth shapes.

Only for the tests; it issues tokens the simulator's SMTP side accepts (added to the account).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from simulator.server import Simulator


class Stopgap:
    """Device code, authorization code + PKCE, refresh (rotating on Microsoft), revoke."""

    def __init__(self, simulator: Simulator, account: str) -> None:
        self.simulator, self.account = simulator, account
        self.pending: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh: dict[str, str] = {}
        self.polls = 0
        self.refreshes = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/devicecode", self.devicecode)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        app.router.add_get("/o/oauth2/v2/auth", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_post("/revoke", self.revoke)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _issue(self, rotate: bool) -> dict[str, Any]:
        access = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(1500)
        account = self.simulator.state.account(self.account)
        assert account is not None
        account.tokens.append(access)
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": "https://outlook.office.com/SMTP.Send",
            "expires_in": 3599,
            "access_token": access,
        }
        if rotate:
            refresh = "0.R-" + secrets.token_urlsafe(40)
            self.refresh[refresh] = self.account
            answer["refresh_token"] = refresh
        return answer

    async def devicecode(self, request: web.Request) -> web.Response:
        code = secrets.token_hex(3).upper()
        device = secrets.token_urlsafe(20)
        self.pending[device] = {"user_code": code, "approved": False}
        return web.json_response(
            {
                "device_code": device,
                "user_code": code,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page "
                f"https://microsoft.com/devicelogin and enter the code {code} to authenticate.",
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            self.polls += 1
            entry = self.pending.get(str(form.get("device_code")))
            if entry is None:
                return _error("expired_token", "AADSTS70019: code expired")
            if not entry["approved"]:
                entry["approved"] = True  # auto consent after one poll
                return _error("authorization_pending", "AADSTS70016: pending")
            del self.pending[str(form.get("device_code"))]
            return web.json_response(self._issue(rotate=True))
        if grant == "refresh_token":
            self.refreshes += 1
            token = str(form.get("refresh_token"))
            if self.refresh.pop(token, None) is None:
                return _error("invalid_grant", "AADSTS700082: The refresh token has expired.")
            return web.json_response(self._issue(rotate=True))
        if grant == "authorization_code":
            entry = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if entry is None or digest.decode().rstrip("=") != entry["challenge"]:
                return _error("invalid_grant", "Bad Request")
            return web.json_response(self._issue(rotate=True))
        return _error("unsupported_grant_type", "")

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": q["code_challenge"]}
        target = f"{q['redirect_uri']}?" + urlencode({"code": code, "state": q["state"]})
        raise web.HTTPFound(target)

    async def revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.refresh.pop(str(form.get("token")), None)
        return web.Response(status=200)


def _error(error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=400)
