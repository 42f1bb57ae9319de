"""TLS for the check: the client context, what a handshake failure means, the peer's certificate."""

from __future__ import annotations

import asyncio
import ssl

from console.check_cert import describe, describe_verified
from console.target import Target


def tls_context(target: Target) -> ssl.SSLContext:
    """The client TLS context: the target's own, the system's, or unverified when asked."""
    if target.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return target.tls_context or ssl.create_default_context()


def tls_failure_kind(error: BaseException) -> str:
    """Which catalogue failure a TLS error is."""
    if isinstance(error, ssl.SSLCertVerificationError):
        message = (error.verify_message or str(error)).lower()
        if error.verify_code in (9, 10) or "expired" in message or "not yet valid" in message:
            return "cert-expired"
        if error.verify_code in (18, 19) or "self-signed" in message or "self signed" in message:
            return "cert-self-signed"
        if error.verify_code == 62 or "mismatch" in message:
            return "cert-hostname"
        return "cert-untrusted"
    text = str(error).lower()
    plain_answer = ("wrong version number", "record layer failure", "packet length too long")
    if any(words in text for words in (*plain_answer, "unknown protocol", "http request")):
        return "tls-on-starttls-port"
    return "tls-handshake"


def certificate_summary(transport: asyncio.BaseTransport, verified: bool) -> dict[str, str]:
    """The negotiated TLS and what the peer's certificate says (read even when not verified)."""
    sslobj = transport.get_extra_info("ssl_object")
    summary = {"verified": "yes" if verified else "no (--insecure)"}
    if sslobj is not None:
        summary["protocol"] = str(sslobj.version())
        cipher = sslobj.cipher()
        if cipher:
            summary["cipher"] = str(cipher[0])
        known = describe_verified(sslobj.getpeercert() or {}) if verified else None
        if known is not None:
            summary.update(known)
        elif der := sslobj.getpeercert(binary_form=True):
            summary.update(describe(der))
    return summary
