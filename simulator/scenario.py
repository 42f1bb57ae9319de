"""Scenario files: who may sign in, which limits and faults apply, and what happens when.

A scenario is a TOML file::

    provider = "office365"          # a profile id (required)
    title = "The password changed"  # shown to the trainer
    description = "..."
    clock_speed = 60                # virtual seconds per real second (default 1)
    seed = 7                        # same seed, same dialogue (default 0)
    consent = "auto"                # sign-ins: auto (as the first account), manual, deny

    [[accounts]]                    # as many as needed
    username = "alice@contoso.com"  # required
    password = "Winter-2026"
    app_password = "abcdefghijklmnop"
    tokens = ["token-1"]            # OAuth bearer tokens for XOAUTH2
    send_as = ["sales@contoso.com"] # extra From addresses (mailbox providers)
    verified_domains = ["contoso.com"]  # domain-scoped providers
    two_step = false                # Gmail: a plain password needs an app password
    legacy = false                  # Gmail: an old account whose plain password still works

    [limits]                        # overrides of the profile's limits
    messages_per_minute = 30        # also messages_per_second, messages_per_day,
    rate_mode = "delay"             # recipients_per_day, recipients_per_message,
                                    # max_message_bytes, connections_per_user,
                                    # failed_logins_per_10_minutes

    [faults]
    greylist = true                 # first attempt per sender and recipient deferred
    greylist_delay = "5m"           # virtual time until a retry is accepted
    disconnect_probability = 0.05   # chance of dropping the connection at any command
    latency = 0.2                   # real seconds before each reply
    latency_jitter = 0.1            # plus up to this much, drawn from the seed

    [[faults.injections]]           # with a probability, a chosen reply at a command
    command = "RCPT"                # CONNECT EHLO HELO STARTTLS AUTH MAIL RCPT DATA
    probability = 0.1               # DOT (end of the body) RSET NOOP QUIT or "*"
    reply = "451 4.3.0 Mail server temporarily rejected message."  # or a behaviour key

    [[oauth_clients]]               # app registrations the sign-in service knows; once any
    client_id = "0b1c..."           # is listed, other client ids are refused
    tenant = "contoso.com"          # Microsoft: the tenant it is registered in
    public_flows = true             # Microsoft: "Allow public client flows"
    secret = "..."                  # a confidential client (Microsoft) / desktop app (Google)
    single_tenant = false           # Microsoft: this organisation only (no /common)
    testing_mode = false            # Google: refresh tokens expire after 7 days
    test_users = ["ana@example.com"]  # Google, testing: who may sign in
    org_internal = false            # Google: internal to another organisation
    admin_blocked = false           # Google Workspace admin blocks the app
    name = "Contoso mailer"         # the app's display name in messages
    redirect_uris = ["http://localhost"]  # Microsoft: registered redirect URIs (default: any
                                    # loopback, as for a desktop app's http://localhost)

    [[events]]                      # applied at a virtual time after the start
    at = "10m"                      # 90s, 10m, 1h30m, 1d2h or a number of seconds
    action = "rotate_password"      # one of simulator.state.CONTROLS
    user = "alice@contoso.com"      # for per-account actions
    value = "Spring-2026"           # rotate_password: the new password
    note = "Alice's password was changed by IT."

Errors name the file, line and field: ``lesson.toml:12: events[1].action: ...``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol

from simulator.clock import VirtualClock
from simulator.faults import COMMANDS, FaultConfig, Injection, is_reply_text
from simulator.profile import DEFAULTS_FILE, RATE_MODES, Limits, load_defaults, profiles_dir
from simulator.signin.tokens import Client
from simulator.state import ACCOUNT_CONTROLS, CONTROLS, Account
from simulator.tomlsource import SourceError, entry_line, find_line, read_toml

LESSONS_DIR = Path(__file__).resolve().parent / "lessons"
ACCOUNT_ACTIONS = ACCOUNT_CONTROLS
CONSENT_MODES = ("auto", "manual", "deny")
LEDGER_ACTIONS = ("use_up_quota", "throttle", "reset_limits")
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[dhms])+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_TOP_KEYS = ("provider", "title", "description", "clock_speed", "seed", "consent")
_TABLES = ("accounts", "limits", "faults", "events", "oauth_clients")
_CLIENT_KEYS = tuple(f.name for f in fields(Client))
_ACCOUNT_KEYS = tuple(f.name for f in fields(Account))
_FAULT_KEYS = tuple(f.name for f in fields(FaultConfig))
_INJECTION_KEYS = ("command", "probability", "reply")
_EVENT_KEYS = ("at", "action", "user", "value", "note")
_LIMIT_KEYS = tuple(f.name for f in fields(Limits))
_SECRET_KEYS = ("password", "app_password", "tokens", "value", "secret")  # never repeated in errors
_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


class ScenarioError(SourceError):
    """A scenario that cannot be used, naming the file, line and field at fault."""


@dataclass(frozen=True)
class TimedEvent:
    """A control applied at a virtual time, in seconds after the scenario starts."""

    at: float
    action: str
    user: str | None = None
    value: str | None = None
    note: str = ""


@dataclass
class Scenario:
    """Everything a scenario file sets up."""

    provider: str
    accounts: list[Account] = field(default_factory=list)
    limits: dict[str, int | str] = field(default_factory=dict)
    faults: FaultConfig = field(default_factory=FaultConfig)
    clock_speed: float = 1.0
    seed: int = 0
    events: list[TimedEvent] = field(default_factory=list)
    title: str = ""
    description: str = ""
    path: Path | None = None
    oauth_clients: list[Client] = field(default_factory=list)
    consent: str = "auto"

    def apply_limits(self, limits: Limits) -> Limits:
        """The profile's limits with this scenario's overrides."""
        return replace(limits, **self.limits)  # type: ignore[arg-type]


def parse_duration(value: object) -> float:
    """Seconds from "90s", "10m", "1h30m", "1d2h" or a plain number; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 10m, 1h or 1d2h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    if isinstance(value, str):
        text = value.replace(" ", "").lower()
        if _DURATION.fullmatch(text):
            return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    raise ValueError(f"must be a duration such as 10m, 1h or 1d2h, not {value!r}")


class _Source:
    """The scenario text, for finding the line of a field (also inside [[array]] entries)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def line(self, table: str, index: int | None = None, key: str | None = None) -> int:
        if index is None:
            return find_line(self.text, f"{table}.{key}" if key else table)
        return entry_line(self.text, table, index, key) or find_line(self.text, table)

    def fail(self, name: str, reason: str, line: int) -> ScenarioError:
        return ScenarioError(self.path, line, name, reason)


def _name(table: str, index: int | None, key: str | None) -> str:
    name = table if index is None else f"{table}[{index}]"
    return f"{name}.{key}" if key else name


class _Table:
    """Typed reads from one table of the scenario, failing with its line."""

    def __init__(self, source: _Source, data: Mapping[str, Any], table: str, index: int | None):
        self.source, self.data, self.table, self.index = source, data, table, index

    def fail(self, key: str | None, reason: str) -> ScenarioError:
        if not self.table:
            return self.source.fail(key or "", reason, find_line(self.source.text, key or ""))
        line = self.source.line(self.table, self.index, key)
        return self.source.fail(_name(self.table, self.index, key), reason, line)

    def only(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                raise self.fail(key, f"is not a known field (known: {', '.join(known)})")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is missing")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            shown = [k for k in kinds if not (k is int and float in kinds)]
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in shown)
            given = _KIND_NAMES.get(type(value), type(value).__name__)
            raise self.fail(
                key, f"must be {names}, not {given if key in _SECRET_KEYS else repr(value)}"
            )
        return value

    def strings(self, key: str) -> list[str]:
        values = self.get(key, list, [])
        if not all(isinstance(v, str) for v in values):
            raise self.fail(key, "must be a list of strings")
        return list(values)

    def number(self, key: str, default: Any, low: float, high: float | None = None) -> float:
        value = float(self.get(key, (int, float), default))
        if value < low or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
            raise self.fail(key, f"must be {bounds}, not {value:g}")
        return value

    def duration(self, key: str, default: Any = None) -> Any:
        if key not in self.data:
            return self.get(key, str, default)
        try:
            return parse_duration(self.data[key])
        except ValueError as error:
            raise self.fail(key, str(error)) from None

    def entries(self, key: str) -> list[Mapping[str, Any]]:
        value = self.get(key, list, [])
        if not all(isinstance(entry, dict) for entry in value):
            raise self.fail(key, f"must be a list of tables ([[{self.table or key}]])")
        return list(value)


def known_providers(directory: Path | None = None) -> list[str]:
    """The ids of the installed provider profiles."""
    directory = directory or profiles_dir()
    return sorted(p.stem for p in directory.glob("*.toml") if p.name != DEFAULTS_FILE)


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; ScenarioError names path:line: field."""
    text, data = read_toml(path, ScenarioError)
    source = _Source(path, text)
    top = _Table(source, data, "", None)
    top.only(_TOP_KEYS + _TABLES)
    provider = top.get("provider", str, ...)
    providers = known_providers()
    if provider not in providers:
        raise top.fail("provider", f"unknown provider {provider!r} (known: {', '.join(providers)})")
    accounts = [_account(source, raw, n) for n, raw in enumerate(top.entries("accounts"))]
    names = {a.username.lower() for a in accounts}
    return Scenario(
        provider=provider,
        accounts=accounts,
        limits=_limits(_Table(source, top.get("limits", dict, {}), "limits", None)),
        faults=_faults(source, _Table(source, top.get("faults", dict, {}), "faults", None)),
        clock_speed=top.number("clock_speed", 1.0, 0),
        seed=top.get("seed", int, 0),
        events=sorted(
            (_event(source, raw, n, names) for n, raw in enumerate(top.entries("events"))),
            key=lambda event: event.at,
        ),
        title=top.get("title", str, ""),
        description=top.get("description", str, ""),
        path=path,
        oauth_clients=[
            _client(source, raw, n) for n, raw in enumerate(top.entries("oauth_clients"))
        ],
        consent=_consent(top),
    )


def _consent(top: _Table) -> str:
    consent = top.get("consent", str, "auto")
    if consent not in CONSENT_MODES:
        raise top.fail("consent", f"must be one of {', '.join(CONSENT_MODES)}, not {consent!r}")
    return str(consent)


def _client(source: _Source, raw: Mapping[str, Any], index: int) -> Client:
    table = _Table(source, raw, "oauth_clients", index)
    table.only(_CLIENT_KEYS)
    return Client(
        client_id=table.get("client_id", str, ...),
        tenant=table.get("tenant", str),
        public_flows=table.get("public_flows", bool, True),
        secret=table.get("secret", str),
        single_tenant=table.get("single_tenant", bool, False),
        testing_mode=table.get("testing_mode", bool, False),
        test_users=table.strings("test_users"),
        org_internal=table.get("org_internal", bool, False),
        admin_blocked=table.get("admin_blocked", bool, False),
        name=table.get("name", str, "smtp-console"),
        redirect_uris=table.strings("redirect_uris"),
    )


def _account(source: _Source, raw: Mapping[str, Any], index: int) -> Account:
    table = _Table(source, raw, "accounts", index)
    table.only(_ACCOUNT_KEYS)
    return Account(
        username=table.get("username", str, ...),
        password=table.get("password", str),
        app_password=table.get("app_password", str),
        tokens=table.strings("tokens"),
        send_as=table.strings("send_as"),
        verified_domains=table.strings("verified_domains"),
        two_step=table.get("two_step", bool, False),
        legacy=table.get("legacy", bool, False),
    )


def _limits(table: _Table) -> dict[str, int | str]:
    table.only(_LIMIT_KEYS)
    limits: dict[str, int | str] = {}
    for key in table.data:
        if key == "rate_mode":
            mode = table.get(key, str)
            if mode not in RATE_MODES:
                raise table.fail(key, f"must be one of {', '.join(RATE_MODES)}, not {mode!r}")
            limits[key] = mode
            continue
        value = table.get(key, int)
        if value < 1:
            raise table.fail(key, f"must be 1 or more, not {value} (use_up_quota empties it)")
        limits[key] = value
    return limits


def _faults(source: _Source, table: _Table) -> FaultConfig:
    table.only(_FAULT_KEYS)
    known_keys = set(load_defaults(profiles_dir()))
    injections = []
    for index, raw in enumerate(table.entries("injections")):
        entry = _Table(source, raw, "faults.injections", index)
        entry.only(_INJECTION_KEYS)
        command = entry.get("command", str, ...).upper()
        if command not in COMMANDS:
            raise entry.fail("command", f"must be one of {', '.join(COMMANDS)}, not {command!r}")
        reply = entry.get("reply", str, ...)
        if not is_reply_text(reply) and reply not in known_keys:
            raise entry.fail("reply", f"{reply!r} is neither a reply text nor a behaviour key")
        injections.append(Injection(command, entry.number("probability", ..., 0, 1), reply))
    return FaultConfig(
        greylist=table.get("greylist", bool, False),
        greylist_delay=table.duration("greylist_delay", 300.0),
        disconnect_probability=table.number("disconnect_probability", 0.0, 0, 1),
        latency=table.number("latency", 0.0, 0, 60),
        latency_jitter=table.number("latency_jitter", 0.0, 0, 60),
        injections=injections,
    )


def _event(source: _Source, raw: Mapping[str, Any], index: int, users: set[str]) -> TimedEvent:
    table = _Table(source, raw, "events", index)
    table.only(_EVENT_KEYS)
    at = table.duration("at", ...)
    action = table.get("action", str, ...)
    if action not in CONTROLS:
        raise table.fail("action", f"must be one of {', '.join(CONTROLS)}, not {action!r}")
    user = table.get("user", str)
    per_user = action in ACCOUNT_ACTIONS + LEDGER_ACTIONS
    if user is not None and not per_user:
        raise table.fail("user", f"is not used by {action} (it applies to the whole tenant)")
    if user is not None and users and user.lower() not in users:
        raise table.fail("user", f"{user!r} is not one of the scenario's accounts")
    value = table.get("value", str)
    if value is not None and action != "rotate_password":
        raise table.fail("value", f"is not used by {action}")
    return TimedEvent(at, action, user, value, table.get("note", str, ""))


def lessons() -> dict[str, str]:
    """The ready lessons shipped with the simulator: name -> title."""
    found = {}
    for path in sorted(LESSONS_DIR.glob("*.toml")):
        title = tomllib.loads(path.read_text(encoding="utf-8")).get("title", "")
        found[path.stem] = title if isinstance(title, str) else ""
    return found


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A scenario file path, or the lesson of that name; ScenarioError when neither exists."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    lesson = LESSONS_DIR / f"{Path(str(name_or_path)).name.removesuffix('.toml')}.toml"
    if lesson.is_file():
        return lesson
    known = ", ".join(lessons())
    raise ScenarioError(path, 0, "", f"no such file, nor a lesson of that name (lessons: {known})")


class Controllable(Protocol):
    """What play() drives: a clock and the control() entry point of a Simulator."""

    @property
    def clock(self) -> VirtualClock: ...

    def control(self, action: str, user: str | None = None, value: str | None = None) -> object: ...


async def play(
    events: list[TimedEvent],
    sim: Controllable,
    *,
    start: float | None = None,
    announce: Callable[[TimedEvent], None] | None = None,
) -> None:
    """Apply each event at its virtual time after `start` (default: now)."""
    origin = sim.clock.now() if start is None else start
    for event in sorted(events, key=lambda e: e.at):
        await sim.clock.sleep_until(origin + event.at)
        if announce is not None:
            announce(event)
        sim.control(event.action, event.user, event.value)
