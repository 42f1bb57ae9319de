"""What real servers refuse that a lenient one lets through: names, addresses, parameters."""

from __future__ import annotations

import ipaddress
import re

from simulator.behaviour import Behaviour

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_QUOTED = r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"'
_ASCII_LOCAL = re.compile(rf"^(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})$")
_WIDE = r"\u0080-\U0010ffff"
_UTF8_ATOM = rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~{_WIDE}-]+"
_UTF8_LOCAL = re.compile(rf"^{_UTF8_ATOM}(?:\.{_UTF8_ATOM})*$")
_UTF8_LABEL = rf"[A-Za-z0-9{_WIDE}](?:[A-Za-z0-9{_WIDE}-]{{0,61}}[A-Za-z0-9{_WIDE}])?"
_UTF8_DOMAIN = re.compile(rf"^{_UTF8_LABEL}(?:\.{_UTF8_LABEL})*$")
# NUL, ESC, DEL, and the surrogates that stand for bytes that are not UTF-8 (such as 0xFF).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")
# The MAIL/RCPT parameters this simulator knows, and the EHLO keyword each needs.
_NEEDS = {
    "SIZE": "SIZE",
    "BODY": "8BITMIME",
    "SMTPUTF8": "SMTPUTF8",
    "AUTH": "AUTH",
    "RET": "DSN",
    "ENVID": "DSN",
    "NOTIFY": "DSN",
    "ORCPT": "DSN",
}


def ehlo_name_ok(name: str) -> bool:
    """True for a domain name or an address literal, as RFC 5321 4.1.3 allows in EHLO."""
    if name.startswith("[") and name.endswith("]"):
        literal = name[1:-1]
        literal = literal[5:] if literal[:5].upper() == "IPV6:" else literal
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    return len(name) <= 255 and bool(_DOMAIN.match(name))


def address_problem(address: str, *, utf8: bool) -> str | None:
    """'syntax' for an address RFC 5321 does not allow, 'utf8' when it needs SMTPUTF8; else None."""
    if address == "":
        return None  # the null reverse-path <>
    if _UNPRINTABLE.search(address):
        return "syntax"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(local) > 64 or len(address) > 254:
        return "syntax"
    ascii_ok = bool(_ASCII_LOCAL.match(local)) and (bool(_DOMAIN.match(domain)) or _literal(domain))
    if ascii_ok:
        return None
    if _UTF8_LOCAL.match(local) and (_UTF8_DOMAIN.match(domain) or _literal(domain)):
        return None if utf8 else "utf8"
    return "syntax"


def _literal(domain: str) -> bool:
    return domain.startswith("[") and ehlo_name_ok(domain)


def parameter_problem(
    params: str, behaviour: Behaviour, *, tls: bool, command: str
) -> tuple[str, str | None]:
    """(behaviour key, BODY value) for MAIL/RCPT parameters; key '' when they are acceptable."""
    body: str | None = None
    for param in params.split():
        name, equals, value = param.partition("=")
        name = name.upper()
        needs = _NEEDS.get(name)
        if needs is None or (command == "RCPT") != (name in ("NOTIFY", "ORCPT")):
            return "params_unrecognized", body
        if name == "BODY" and value.upper() == "BINARYMIME":
            needs = "BINARYMIME"
        if not behaviour.advertises(needs, tls=tls):
            return "params_unrecognized", body
        if name == "SIZE" and not (equals and value.isdigit()):
            return "syntax_error", body
        if name == "BODY":
            body = value.upper()
            if body not in ("7BIT", "8BITMIME", "BINARYMIME"):
                return "syntax_error", body
        if name == "SMTPUTF8" and equals:
            return "syntax_error", body
    return "", body
