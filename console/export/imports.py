"""Read what already runs (an msmtp account, SMTP_* variables) into a draft channel's settings."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from console.channel import IMPLICIT_TLS_PORTS, SECURITIES, Security
from simulator.profile import load_all

HOST_VARIABLES = ("SMTP_HOST", "SMTP_SERVER")
USER_VARIABLES = ("SMTP_USERNAME", "SMTP_USER")
_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


class ImportProblem(Exception):
    """Input that cannot become a channel: "where: field: reason", exit code 2."""


@dataclass
class Imported:
    """The settings found, and notes for the user (what was left out and why)."""

    host: str
    port: int
    security: Security
    method: str | None
    username: str
    sender: str
    display_name: str = ""
    timeout: float | None = None
    name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def provider(self) -> str:
        """The profile whose endpoints include this host, else custom."""
        host = self.host.lower().rstrip(".")
        for profile in load_all().values():
            if any(e.host.lower() == host for e in profile.endpoints):
                return profile.id
        return "custom"


def from_msmtp(path: Path, account: str | None) -> Imported:
    """One account of an msmtp configuration file, defaults and inheritance applied."""
    accounts, lines = _msmtp_accounts(path)
    alias = accounts.get("default", {}).get("\0alias")
    chosen = account or alias or ("default" if "default" in accounts else _only(accounts, path))
    if chosen not in accounts:
        known = ", ".join(sorted(accounts)) or "none"
        raise ImportProblem(f"{path}: account: no account {chosen!r} (accounts: {known})")
    settings = accounts[chosen]
    where = f"{path}:{lines.get(chosen, 0)}"
    if "host" not in settings:
        raise ImportProblem(f"{where}: host: is missing in account {chosen!r}")
    tls = settings.get("tls", "off") == "on"
    starttls = settings.get("tls_starttls", "on") == "on"
    security: Security = "none" if not tls else ("starttls" if starttls else "tls")
    port = _number(settings.get("port", "465" if security == "tls" else "25"), where, "port")
    auth = settings.get("auth", "off")
    method = None if auth == "on" else ("none" if auth == "off" else auth)
    imported = Imported(
        host=settings["host"],
        port=port,
        security=security,
        method=method,
        username=settings.get("user", ""),
        sender=settings.get("from", ""),
        timeout=_timeout(settings.get("timeout"), where),
        name=chosen,
    )
    if "password" in settings:
        imported.notes.append("the password written in the msmtp file was not imported")
    if "passwordeval" in settings:
        imported.notes.append(
            "msmtp ran a command for the password; to keep it, set "
            f"auth.secret = {('command:' + settings['passwordeval'])!r}"
        )
    return imported


def _only(accounts: Mapping[str, object], path: Path) -> str:
    named = [a for a in accounts if a != "default"]
    if len(named) == 1:
        return named[0]
    raise ImportProblem(
        f"{path}: account: choose one with --account ({', '.join(named) or 'none found'})"
    )


def _msmtp_accounts(path: Path) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"{path}: cannot be read: {error}") from None
    defaults: dict[str, str] = {}
    accounts: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    current: dict[str, str] = defaults
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        value = _unquote(value.strip())
        if key == "defaults":
            current = defaults
        elif key == "account":
            name, colon, parents = value.partition(":")
            name = name.strip()
            current = dict(defaults)
            for parent in parents.split(",") if colon else ():
                if parent.strip() not in accounts:
                    raise ImportProblem(f"{path}:{number}: account: no account {parent.strip()!r}")
                current.update(accounts[parent.strip()])
            if name == "default" and colon:
                current["\0alias"] = parents.split(",")[0].strip()
            accounts[name], lines[name] = current, number
        else:
            current[key] = value
    return accounts, lines


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def from_env(variables: Mapping[str, str], where: str) -> Imported:
    """SMTP_* variables (as `export` writes them) from a file or the environment."""
    host = _first(variables, HOST_VARIABLES)
    if not host:
        raise ImportProblem(f"{where}: SMTP_HOST: is missing")
    port_text = variables.get("SMTP_PORT", "")
    port = _number(port_text, where, "SMTP_PORT") if port_text else None
    security = _env_security(variables, port, where)
    if port is None:
        port = 465 if security == "tls" else 587
    imported = Imported(
        host=host,
        port=port,
        security=security,
        method=variables.get("SMTP_AUTH_METHOD") or None,
        username=_first(variables, USER_VARIABLES),
        sender=variables.get("SMTP_FROM", ""),
        display_name=variables.get("SMTP_FROM_NAME", ""),
        timeout=_timeout(variables.get("SMTP_TIMEOUT"), where),
    )
    if variables.get("SMTP_PASSWORD"):
        imported.notes.append("SMTP_PASSWORD was not imported")
    return imported


def _env_security(variables: Mapping[str, str], port: int | None, where: str) -> Security:
    named = variables.get("SMTP_SECURITY", "").lower()
    for security in SECURITIES:
        if named == security:
            return security
    if named:
        raise ImportProblem(f"{where}: SMTP_SECURITY: must be starttls, tls or none")
    if "SMTP_SECURE" in variables:
        if variables["SMTP_SECURE"].lower() == "true":
            return "tls"
        return "none" if variables.get("SMTP_STARTTLS", "").lower() == "false" else "starttls"
    return "tls" if port in IMPLICIT_TLS_PORTS else "starttls"


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines (optionally `export NAME=value`, values quoted or not), comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(f"{path}: cannot be read: {error}") from None
    found = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if not match:
            raise ImportProblem(f"{path}:{number}: is not NAME=value")
        name, value = match.groups()
        try:
            parts = shlex.split(value, comments=True)
        except ValueError:
            raise ImportProblem(f"{path}:{number}: {name}: unbalanced quotes") from None
        found[name] = " ".join(parts)
    return found


def _first(variables: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((variables[n] for n in names if variables.get(n)), "")


def _number(text: str, where: str, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ImportProblem(f"{where}: {name}: must be a port number (1-65535)")
    return int(text)


def _timeout(text: str | None, where: str) -> float | None:
    if not text or text == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise ImportProblem(f"{where}: timeout: must be a number of seconds") from None
