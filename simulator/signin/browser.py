"""What both providers' authorization endpoints share: loopback redirects and PKCE."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from urllib.parse import urlencode, urlsplit

from aiohttp import web


def is_loopback(uri: str) -> bool:
    """True for an http:// redirect to a loopback address (any port), as desktop apps use."""
    parts = urlsplit(uri)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def verifies(verifier: str, challenge: str, method: str) -> bool:
    """True when the PKCE code verifier answers the challenge (RFC 7636 4.6)."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected.encode(), challenge.encode())


def redirect(uri: str, **params: str | None) -> web.Response:
    """A 302 back to the client's redirect URI with these query parameters."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    joiner = "&" if urlsplit(uri).query else "?"
    return web.Response(status=302, headers={"Location": f"{uri}{joiner}{query}"})
