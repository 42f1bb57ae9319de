"""What a server's certificate says, read even when it fails verification."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from datetime import UTC, datetime
from typing import Any


def describe(der: bytes) -> dict[str, str]:
    """Subject, names, issuer and validity of a DER certificate."""
    from cryptography import x509  # only a check that meets TLS needs it

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return {"subject": "(a certificate this tool cannot read)"}
    summary = {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "valid_from": cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M UTC"),
        "expires": cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M UTC"),
    }
    with contextlib.suppress(x509.ExtensionNotFound):
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in alt.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in alt.get_values_for_type(x509.IPAddress)]
        if names:
            summary["names"] = ", ".join(names)
    return summary


_SHORT = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "domainComponent": "DC",
    "streetAddress": "STREET",
    "userId": "UID",
}


def describe_verified(cert: dict[str, Any]) -> dict[str, str] | None:
    """describe()'s summary from ssl's dict of a verified certificate; None if it cannot."""
    # No DER parsing here: importing cryptography costs a check more than its whole dialogue.
    subject, issuer = _rfc4514(cert.get("subject", ())), _rfc4514(cert.get("issuer", ()))
    if subject is None or issuer is None or "notBefore" not in cert or "notAfter" not in cert:
        return None
    summary = {"subject": subject, "issuer": issuer}
    for key, field in (("valid_from", "notBefore"), ("expires", "notAfter")):
        moment = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert[field]), UTC)
        summary[key] = moment.strftime("%Y-%m-%d %H:%M UTC")
    alt = cert.get("subjectAltName", ())
    names = [value for kind, value in alt if kind == "DNS"]
    names += [str(ipaddress.ip_address(v.strip())) for kind, v in alt if kind == "IP Address"]
    if names:
        summary["names"] = ", ".join(names)
    return summary


def _rfc4514(name: Any) -> str | None:
    parts = []
    for rdn in reversed(name):
        attributes = []
        for key, value in rdn:
            if key not in _SHORT:
                return None
            attributes.append(f"{_SHORT[key]}={_escape(value)}")
        parts.append("+".join(attributes))
    return ",".join(parts)


def _escape(value: str) -> str:
    escaped = "".join(f"\\{c}" if c in ',+"\\<>;' else c for c in value)
    if escaped[:1] in ("#", " "):
        escaped = "\\" + escaped
    if escaped.endswith(" ") and not escaped.endswith("\\ "):
        escaped = escaped[:-1] + "\\ "
    return escaped


def unverified_context() -> ssl.SSLContext:
    """A client context that completes any handshake, to read what the server presents."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


async def fetch(
    host: str, port: int, server_name: str, *, starttls: bool, timeout: float
) -> dict[str, str]:
    """The certificate a server presents, fetched on a second connection without verifying it."""
    try:
        return await asyncio.wait_for(_fetch(host, port, server_name, starttls), timeout)
    except (OSError, TimeoutError, ssl.SSLError, ValueError, EOFError):
        return {}


async def _fetch(host: str, port: int, server_name: str, starttls: bool) -> dict[str, str]:
    context = unverified_context()
    if not starttls:
        reader, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname=server_name
        )
    else:
        reader, writer = await asyncio.open_connection(host, port)
        await _reply(reader)
        writer.write(b"EHLO localhost\r\n")
        await _reply(reader)
        writer.write(b"STARTTLS\r\n")
        if not (await _reply(reader)).startswith(b"220"):
            raise ValueError("STARTTLS refused")
        await writer.start_tls(context, server_hostname=server_name)
    try:
        sslobj = writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        return describe(der) if der else {}
    finally:
        writer.close()


async def _reply(reader: asyncio.StreamReader) -> bytes:
    """One whole SMTP reply (the last line of a multi-line one), bounded."""
    for _ in range(100):
        line = await reader.readline()
        if not line:
            raise EOFError
        if line[3:4] != b"-":
            return line
    raise ValueError("endless reply")
