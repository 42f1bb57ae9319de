"""The channel editor: one row per channel field, each with its problem shown beneath."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from console.channel import (
    AUTH_METHODS,
    SCOPES,
    SECURITIES,
    AuthSettings,
    Channel,
    Problem,
    SenderSettings,
    ServerSettings,
)
from console.tui.messages import ChannelEdited
from simulator.profile import Profile

if TYPE_CHECKING:  # loaded when a channel signs in with OAuth
    from console.oauth.settings import OAuthSettings

SECRET_KINDS = ("keyring", "env", "command", "prompt", "oauth")
FIELD_INPUTS: dict[str, str] = {
    "name": "channel-name",
    "provider": "channel-provider",
    "scope": "channel-scope",
    "server.host": "server-host",
    "server.port": "server-port",
    "server.security": "server-security",
    "server.timeout": "server-timeout",
    "auth.method": "auth-method",
    "auth.username": "auth-username",
    "auth.secret": "auth-secret-kind",
    "sender.from": "sender-from",
    "sender.display_name": "sender-display-name",
    "pacing.messages_per_minute": "pacing-rate",
    "oauth.client_id": "oauth-client-id",
    "oauth.tenant": "oauth-tenant",
    "oauth.client_secret": "oauth-client-secret",
}
# The [oauth] rows each provider's sign-in reads; shown only when the secret is "oauth".
OAUTH_ROWS = {
    "office365": ("oauth-client-id", "oauth-tenant"),
    "gmail": ("oauth-client-id", "oauth-client-secret"),
}

FIELD_LABELS = {
    "name": "Name",
    "server.host": "Host",
    "auth.username": "Username",
    "auth.secret": "Secret kept in",
    "sender.from": "From",
    "sender.display_name": "Display name",
}
# Where a secret-shaped value sits, by field: the secret source's detail has its own input.
TEXT_INPUTS = {**FIELD_INPUTS, "auth.secret": "auth-secret-detail"}


def problem_id(field: str) -> str:
    """The DOM id of the line that shows a field's problem."""
    return "problem-" + field.replace(".", "-").replace("_", "-")


class ChannelForm(VerticalScroll):
    """Every channel field; posts ChannelEdited on each change."""

    def __init__(
        self,
        providers: Mapping[str, str],
        *,
        initial: Channel | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.providers = providers
        self.initial = initial  # filled in once mounted (the form mounts after the first screen)

    def on_mount(self) -> None:
        if self.initial is not None:
            self.fill(self.initial)
        else:
            self._show_detail()

    def compose(self) -> ComposeResult:
        def choices(values: Iterable[str]) -> list[tuple[str, str]]:
            return [(value, value) for value in values]

        provider_choices = [(name, pid) for pid, name in self.providers.items()]
        yield from self._row("Name", "name", Input(id="channel-name"))
        yield from self._row(
            "Provider",
            "provider",
            Select(provider_choices, id="channel-provider", allow_blank=False),
        )
        yield from self._row(
            "Scope", "scope", Select(choices(SCOPES), id="channel-scope", allow_blank=False)
        )
        yield from self._row("Host", "server.host", Input(id="server-host"))
        yield from self._row("Port", "server.port", Input(id="server-port", type="integer"))
        yield from self._row(
            "Security",
            "server.security",
            Select(choices(SECURITIES), id="server-security", allow_blank=False),
        )
        yield from self._row("Timeout (s)", "server.timeout", Input(id="server-timeout"))
        yield from self._row(
            "Sign-in",
            "auth.method",
            Select(choices(AUTH_METHODS), id="auth-method", allow_blank=False),
        )
        yield from self._row("Username", "auth.username", Input(id="auth-username"))
        yield from self._row(
            "Secret kept in",
            "auth.secret",
            Select(choices(SECRET_KINDS), id="auth-secret-kind", allow_blank=False),
            Input(placeholder="NAME or command", id="auth-secret-detail"),
        )
        yield from self._row(
            "Secret",
            "auth.password",
            Input(
                password=True, placeholder="stored on ctrl+s, never in the file", id="auth-password"
            ),
        )
        yield from self._row(
            "Client ID",
            "oauth.client_id",
            Input(placeholder="from the app's registration", id="oauth-client-id"),
        )
        yield from self._row(
            "Tenant", "oauth.tenant", Input(placeholder="organizations", id="oauth-tenant")
        )
        yield from self._row(
            "Client secret",
            "oauth.client_secret",
            Input(placeholder="env:NAME, keyring or command:CMD", id="oauth-client-secret"),
        )
        # OAuth channels: whether the token store holds a sign-in (filled by the editor).
        yield Static(id="oauth-status", markup=False)
        yield from self._row("From", "sender.from", Input(id="sender-from"))
        yield from self._row("Display name", "sender.display_name", Input(id="sender-display-name"))
        yield from self._row(
            "Max per minute",
            "pacing.messages_per_minute",
            Input(id="pacing-rate", type="integer", placeholder="no pacing"),
        )

    def _row(self, title: str, field: str, *widgets: Widget) -> Iterable[Widget]:
        for widget in widgets:
            if isinstance(widget, Input | Select):
                widget.compact = True
        label = Label(f"  {title}", classes="field-label", name=title)
        yield Horizontal(label, *widgets, classes="field-row")
        yield Static(classes="problem", id=problem_id(field), markup=False)

    def fill(self, channel: Channel) -> list[str]:
        """Put a channel's values into the fields; return the values no field can show."""
        kind, _, detail = channel.auth.secret.partition(":")
        self.send_as = channel.sender.send_as  # no field: kept as the file has it
        self.oauth = channel.oauth  # what the [oauth] table holds beyond the rows shown here
        oauth = channel.oauth
        values: dict[str, Any] = {
            "channel-name": channel.name,
            "channel-provider": channel.provider,
            "channel-scope": channel.scope,
            "server-host": channel.server.host,
            "server-port": str(channel.server.port),
            "server-security": channel.server.security,
            "server-timeout": f"{channel.server.timeout:g}",
            "auth-method": channel.auth.method,
            "auth-username": channel.auth.username,
            "auth-secret-kind": kind if kind in SECRET_KINDS else "keyring",
            "auth-secret-detail": detail,
            "sender-from": channel.sender.address,
            "sender-display-name": channel.sender.display_name,
            "pacing-rate": ""
            if channel.messages_per_minute is None
            else str(channel.messages_per_minute),
            "oauth-client-id": oauth.client_id if oauth else "",
            "oauth-tenant": oauth.tenant if oauth else "",
            "oauth-client-secret": oauth.client_secret if oauth else "",
        }
        choices = {
            "channel-provider": tuple(self.providers),
            "channel-scope": SCOPES,
            "server-security": SECURITIES,
            "auth-method": AUTH_METHODS,
        }
        refused = [
            f"{widget_id.replace('-', '.', 1)} = {values[widget_id]!r} is not one of "
            + ", ".join(allowed)
            for widget_id, allowed in choices.items()
            if values[widget_id] not in allowed
        ]
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#auth-password", Input).value = ""  # a secret belongs to one channel
            for widget_id, value in values.items():
                widget = self.query_one(f"#{widget_id}")
                allowed = value in choices.get(widget_id, SECRET_KINDS)
                if isinstance(widget, Input) or (isinstance(widget, Select) and allowed):
                    widget.value = value
        self._show_detail()
        self.edited()
        return refused

    def password(self) -> str:
        """The secret typed in this session (never saved to the file)."""
        return self.query_one("#auth-password", Input).value

    def clear_password(self) -> None:
        """Forget the typed secret."""
        with self.prevent(Input.Changed):
            self.query_one("#auth-password", Input).value = ""

    def focus_field(self, field: str) -> None:
        """Put the cursor in a field's input."""
        self.query_one(f"#{TEXT_INPUTS.get(field, 'channel-name')}").focus()

    def set_from(self, address: str) -> None:
        """Fill From (posts a change like typing would)."""
        self.query_one("#sender-from", Input).value = address

    def set_name(self, name: str) -> None:
        """Rename the channel in the form."""
        self.query_one("#channel-name", Input).value = name

    def move_to_secret(self, field: str, value: str, profile: Profile | None) -> None:
        """Take a secret-shaped value out of a field and into the Secret field."""
        source = self.query_one(f"#{TEXT_INPUTS[field]}", Input)
        rest = " ".join(source.value.replace(value, " ").split())
        if field == "auth.username" and not rest and profile and profile.fixed_username:
            rest = profile.fixed_username
        with self.prevent(Input.Changed):
            source.value = rest
            self.query_one("#auth-password", Input).value = value
        self.edited()

    def set_secret_source(self, source: str) -> None:
        """Switch where the secret is kept, e.g. env:SMTP_PASSWORD."""
        kind, _, detail = source.partition(":")
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#auth-secret-kind", Select).value = kind
            self.query_one("#auth-secret-detail", Input).value = detail
        self._show_detail()
        self.edited()

    def read(self) -> tuple[Channel | None, dict[str, str]]:
        """The channel in the fields, or None and the fields that cannot be read."""
        text = {wid: self._value(wid) for wid in FIELD_INPUTS.values()}
        text["auth-secret-detail"] = self._value("auth-secret-detail")
        unreadable: dict[str, str] = {}
        port = _number(text["server-port"], int)
        if port is None:
            unreadable["server.port"] = "must be a whole number, e.g. 587"
        timeout = _number(text["server-timeout"] or "30", float)
        if timeout is None:
            unreadable["server.timeout"] = "must be a number of seconds, e.g. 30"
        rate = _number(text["pacing-rate"], int) if text["pacing-rate"].strip() else None
        if text["pacing-rate"].strip() and rate is None:
            unreadable["pacing.messages_per_minute"] = "must be a whole number, or empty"
        if unreadable:
            return None, unreadable
        kind, detail = text["auth-secret-kind"], text["auth-secret-detail"].strip()
        secret = kind if kind in ("keyring", "prompt", "oauth") else f"{kind}:{detail}"
        channel = Channel(
            name=text["channel-name"].strip(),
            provider=text["channel-provider"],
            scope=text["channel-scope"],  # type: ignore[arg-type]
            server=ServerSettings(
                text["server-host"].strip(),
                port or 0,
                text["server-security"],  # type: ignore[arg-type]
                timeout or 0.0,
            ),
            auth=AuthSettings(
                text["auth-method"],  # type: ignore[arg-type]
                text["auth-username"].strip(),
                secret,
            ),
            sender=SenderSettings(
                text["sender-from"].strip(),
                text["sender-display-name"],
                getattr(self, "send_as", False),
            ),
            messages_per_minute=rate,
            oauth=self._oauth(text, kind == "oauth"),
        )
        return channel, {}

    def _oauth(self, text: Mapping[str, str], wanted: bool) -> OAuthSettings | None:
        """The [oauth] table: the file's, with the rows' values; None if neither asks for one."""
        kept: OAuthSettings | None = getattr(self, "oauth", None)
        if kept is None and not wanted:
            return None
        from console.oauth.settings import OAuthSettings

        return replace(
            kept or OAuthSettings(),
            client_id=text["oauth-client-id"].strip(),
            tenant=text["oauth-tenant"].strip() or "organizations",
            client_secret=text["oauth-client-secret"].strip(),
        )

    def show_problems(self, problems: Iterable[Problem], unreadable: Mapping[str, str]) -> int:
        """Show each problem beneath its field; return how many there are."""
        by_field: dict[str, list[str]] = {field: [reason] for field, reason in unreadable.items()}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem.reason)
        for line in self.query(".problem").results(Static):
            field = next((f for f in by_field if problem_id(f) == line.id), None)
            reasons = by_field.get(field, []) if field else []
            line.update("\n".join(f"! {reason}" for reason in reasons))
            line.set_class(bool(reasons), "-shown")
        for field, widget_id in FIELD_INPUTS.items():
            self.query_one(f"#{widget_id}").set_class(field in by_field, "-invalid-field")
        return sum(len(reasons) for reasons in by_field.values())

    def _value(self, widget_id: str) -> str:
        widget = self.query_one(f"#{widget_id}")
        if isinstance(widget, Select):
            return "" if widget.value is Select.BLANK else str(widget.value)
        return widget.value if isinstance(widget, Input) else ""

    def _show_detail(self) -> None:
        kind = self._value("auth-secret-kind")
        detail = self.query_one("#auth-secret-detail", Input)
        detail.display = kind in ("env", "command")
        detail.placeholder = "variable name" if kind == "env" else "command printing the secret"
        shown = OAUTH_ROWS.get(self._value("channel-provider"), ()) if kind == "oauth" else ()
        for widget_id in ("oauth-client-id", "oauth-tenant", "oauth-client-secret"):
            row = self.query_one(f"#{widget_id}").parent
            if isinstance(row, Widget):
                row.display = widget_id in shown

    @on(Input.Changed)
    @on(Select.Changed)
    def edited(self) -> None:
        """Tell the screen the channel changed."""
        self._show_detail()
        channel, unreadable = self.read()
        self.post_message(ChannelEdited(channel, unreadable))


def _number(text: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        return None
