"""Reading a token request's form, as the providers do (client credentials also by Basic auth)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from aiohttp import web


async def form_fields(request: web.Request) -> dict[str, str]:
    """The form's fields, with client_id and client_secret from HTTP Basic auth when sent so."""
    form = await request.post()
    fields = {k: str(v) for k, v in form.items()}
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return fields
        client_id, _, secret = decoded.partition(":")
        fields.setdefault("client_id", unquote_plus(client_id))
        if secret:
            fields.setdefault("client_secret", unquote_plus(secret))
    return fields
