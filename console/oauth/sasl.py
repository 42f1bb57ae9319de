"""The SASL initial responses that carry an OAuth bearer token: XOAUTH2 and OAUTHBEARER."""

from __future__ import annotations

import base64


def xoauth2(user: str, token: str) -> str:
    """Google's and Microsoft's XOAUTH2 initial response, base64-encoded."""
    return _b64(f"user={user}\x01auth=Bearer {token}\x01\x01")


def oauthbearer(user: str, token: str, host: str = "", port: int = 0) -> str:
    """The RFC 7628 OAUTHBEARER initial response (GS2 header with authzid), base64-encoded."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    fields = [f"n,a={authzid},"]
    if host:
        fields.append(f"host={host}")
    if port:
        fields.append(f"port={port}")
    fields.append(f"auth=Bearer {token}")
    return _b64("\x01".join(fields) + "\x01\x01")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")
