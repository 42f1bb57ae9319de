"""The AUTH exchange for each sign-in method, shared by check and burst."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmtplib.response import SMTPResponse

from console.oauth import sasl as oauth_sasl

Send = Callable[[str], Awaitable[SMTPResponse]]


@dataclass(frozen=True)
class Mechanism:
    """A channel's sign-in method: the SASL name it offers and how the exchange goes."""

    name: str
    exchange: Callable[[Send, str, str], Awaitable[SMTPResponse]]


def b64(text: str) -> str:
    """Base64 of the UTF-8 text, as SASL sends it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


async def _plain(send: Send, user: str, secret: str) -> SMTPResponse:
    return await send(f"AUTH PLAIN {b64(chr(0) + user + chr(0) + secret)}")


async def _login(send: Send, user: str, secret: str) -> SMTPResponse:
    response = await send("AUTH LOGIN")
    for value in (user, secret):
        if response.code != 334:
            return response
        response = await send(b64(value))
    return response


async def _xoauth2(send: Send, user: str, secret: str) -> SMTPResponse:
    blob = b64(f"user={user}\x01auth=Bearer {secret}\x01\x01")
    response = await send(f"AUTH XOAUTH2 {blob}")
    if response.code == 334:  # the error details; an empty line gets the verdict
        response = await send("")
    return response


async def _oauthbearer(send: Send, user: str, secret: str) -> SMTPResponse:
    response = await send(f"AUTH OAUTHBEARER {oauth_sasl.oauthbearer(user, secret)}")
    if response.code == 334:  # RFC 7628: the error details; ^A ends the exchange with the verdict
        response = await send(b64("\x01"))
    return response


MECHANISMS: dict[str, Mechanism] = {
    "login": Mechanism("LOGIN", _login),
    "plain": Mechanism("PLAIN", _plain),
    "xoauth2": Mechanism("XOAUTH2", _xoauth2),
    "oauthbearer": Mechanism("OAUTHBEARER", _oauthbearer),
}


async def sign_in(method: str, send: Send, user: str, secret: str) -> SMTPResponse:
    """Run the channel method's AUTH exchange through `send`; the server's last reply."""
    return await MECHANISMS[method].exchange(send, user, secret)
