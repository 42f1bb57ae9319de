"""The channel model: drafts from every profile, and each validation rule."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console import store
from console.channel import (
    AuthSettings,
    Channel,
    SenderSettings,
    ServerSettings,
    as_dict,
    draft,
    is_address,
    secret_source_problem,
    validate,
)
from simulator.profile import Profile, load, load_all

PROFILES = load_all()
OFFICE365 = load("office365")


def good_draft(profile: Profile) -> Channel:
    """A draft a careful user would finish: a sign-in that fits the provider."""
    if profile.fixed_username or profile.secret_as_username:
        return draft(profile, "relay", from_address="news@example.com")
    if profile.id == "amazon-ses":
        user = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example access key id
        return draft(profile, "ses", username=user, from_address="news@example.com")
    return draft(profile, "alice", username="alice@example.com", from_address="alice@example.com")


def alice() -> Channel:
    return draft(OFFICE365, "alice", username="alice@contoso.com")


def fields(channel: Channel, profile: Profile = OFFICE365) -> list[str]:
    return [problem.field for problem in validate(channel, profile)]


@pytest.mark.parametrize("profile_id", sorted(PROFILES))
def test_a_finished_draft_of_every_provider_is_clean(profile_id: str) -> None:
    profile = PROFILES[profile_id]
    channel = good_draft(profile)
    assert validate(channel, profile) == []
    assert channel.server.host == profile.endpoint.host
    assert channel.provider == profile_id


def test_draft_follows_the_profile() -> None:
    channel = alice()
    assert (channel.server.host, channel.server.port, channel.server.security) == (
        "smtp.office365.com",
        587,
        "starttls",
    )
    assert channel.auth == AuthSettings("login", "alice@contoso.com", "keyring")
    assert channel.sender.address == "alice@contoso.com"  # mailbox providers send as the user
    assert channel.scope == "personal"
    assert channel.messages_per_minute == 30


def test_draft_of_a_relay_is_shared_with_its_fixed_username() -> None:
    channel = draft(PROFILES["sendgrid"], "team", from_address="news@example.com")
    assert channel.scope == "shared"
    assert channel.auth.username == "apikey"


def test_draft_picks_implicit_tls_for_port_465() -> None:
    channel = draft(PROFILES["gmail"], "bob", username="bob@example.com", port=465)
    assert channel.server.security == "tls"
    assert validate(channel, PROFILES["gmail"]) == []


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_port_out_of_range(port: int) -> None:
    channel = replace(alice(), server=replace(alice().server, port=port))
    assert "server.port" in fields(channel)


def test_implicit_tls_on_587_and_starttls_on_465() -> None:
    own = draft(PROFILES["custom"], "own", username="app", from_address="app@example.com")
    tls_on_587 = replace(own, server=ServerSettings("mail.example.com", 587, "tls"))
    starttls_on_465 = replace(own, server=ServerSettings("mail.example.com", 465, "starttls"))
    assert fields(tls_on_587, PROFILES["custom"]) == ["server.security"]
    assert fields(starttls_on_465, PROFILES["custom"]) == ["server.security"]


def test_office365_on_465_is_refused_by_the_profile() -> None:
    channel = replace(alice(), server=ServerSettings("smtp.office365.com", 465, "tls"))
    problems = validate(channel, OFFICE365)
    assert [p.field for p in problems] == ["server.port"]
    assert "has no port 465: use 587 with STARTTLS" in problems[0].reason


def test_office365_with_plain_auth() -> None:
    channel = replace(alice(), auth=replace(alice().auth, method="plain"))
    [problem] = validate(channel, OFFICE365)
    assert problem.field == "auth.method"
    assert "PLAIN" in problem.reason and "login or xoauth2" in problem.reason


def test_a_from_address_that_is_not_an_address() -> None:
    channel = replace(alice(), sender=SenderSettings("alice at contoso"))
    [problem] = validate(channel, OFFICE365)
    assert problem.field == "sender.from"
    assert "not an email address" in problem.reason


def test_mailbox_provider_refuses_send_as() -> None:
    channel = replace(alice(), sender=SenderSettings("boss@contoso.com"))
    [problem] = validate(channel, OFFICE365)
    assert problem.field == "sender.from"
    assert "Send As" in problem.reason


def test_from_differing_only_in_case_is_the_same_mailbox() -> None:
    channel = replace(alice(), sender=SenderSettings("Alice@Contoso.com"))
    assert validate(channel, OFFICE365) == []


def test_relay_may_send_from_any_address() -> None:
    channel = good_draft(PROFILES["sparkpost"])
    channel = replace(channel, sender=SenderSettings("other@example.org"))
    assert validate(channel, PROFILES["sparkpost"]) == []


def test_shared_scope_on_a_mailbox_provider() -> None:
    channel = replace(alice(), scope="shared")
    [problem] = validate(channel, OFFICE365)
    assert problem.field == "scope"
    assert "must not be shared" in problem.reason


def test_auth_without_tls() -> None:
    profile = PROFILES["custom"]
    channel = draft(profile, "own", username="app", from_address="app@example.com", port=2525)
    channel = replace(channel, server=replace(channel.server, security="none"))
    [problem] = validate(channel, profile)
    assert problem.field == "server.security"
    assert "without TLS" in problem.reason


def test_no_sign_in_is_fine_only_for_your_own_server() -> None:
    own = draft(PROFILES["custom"], "own", method="none", from_address="app@example.com")
    assert validate(own, PROFILES["custom"]) == []
    assert fields(replace(alice(), auth=replace(alice().auth, method="none"))) == ["auth.method"]


def test_fixed_username_must_match() -> None:
    profile = PROFILES["sparkpost"]
    channel = replace(good_draft(profile), auth=AuthSettings("login", "me@example.com"))
    [problem] = validate(channel, profile)
    assert problem.field == "auth.username"
    assert profile.fixed_username and profile.fixed_username in problem.reason


def test_empty_username_is_fine_when_the_secret_is_the_username() -> None:
    profile = PROFILES["postmark"]
    assert profile.secret_as_username
    assert validate(good_draft(profile), profile) == []
    assert "auth.username" in fields(replace(alice(), auth=replace(alice().auth, username="")))


def test_pacing_above_the_provider_limit() -> None:
    [problem] = validate(replace(alice(), messages_per_minute=100), OFFICE365)
    assert problem.field == "pacing.messages_per_minute"
    assert "30" in problem.reason and "held back" in problem.reason
    assert fields(replace(alice(), messages_per_minute=0)) == ["pacing.messages_per_minute"]


def test_every_problem_at_once_each_with_its_line() -> None:
    channel = Channel(
        name="bad name!",
        provider="office365",
        scope="shared",
        server=ServerSettings("smtp.office365.com", 465, "none", timeout=0),
        auth=AuthSettings("plain", "alice@contoso.com", "hunter2"),
        sender=SenderSettings("nobody"),
        messages_per_minute=500,
    )
    text = store.render(alice())
    problems = validate(channel, OFFICE365, text)
    assert {p.field for p in problems} == {
        "name",
        "scope",
        "server.port",
        "server.security",
        "server.timeout",
        "auth.method",
        "auth.secret",
        "sender.from",
        "pacing.messages_per_minute",
    }
    lines = text.splitlines()
    for problem in problems:
        key = problem.field.rsplit(".", 1)[-1]
        assert lines[problem.line - 1].startswith(f"{key} ="), problem


def test_a_pasted_password_is_never_repeated() -> None:
    channel = replace(alice(), auth=replace(alice().auth, secret="Tr0ub4dor&3"))
    [problem] = validate(channel, OFFICE365)
    assert problem.field == "auth.secret"
    assert "Tr0ub4dor" not in problem.reason
    assert "Tr0ub4dor" not in str(as_dict(channel))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#%&", min_size=12, max_size=40))
def test_no_secret_source_message_repeats_its_value(value: str) -> None:
    reason = secret_source_problem(value)
    assert reason is not None
    assert value not in reason


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("keyring", True),
        ("prompt", True),
        ("env:SMTP_PASS", True),
        ("command:pass show smtp/alice", True),
        ("env:", False),
        ("env:1BAD", False),
        ("command:  ", False),
        ("password123", False),
    ],
)
def test_secret_sources(source: str, ok: bool) -> None:
    assert (secret_source_problem(source) is None) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("alice@contoso.com", True),
        ("first.last+tag@mail.example.co.uk", True),
        ("anna@bücher.example", True),
        ("a@[192.0.2.1]", True),
        ("alice", False),
        ("alice@localhost", False),
        ("alice@@contoso.com", False),
        ("Alice <alice@contoso.com>", False),
        ("al ice@contoso.com", False),
        (".alice@contoso.com", False),
        ("alice@-contoso.com", False),
        ("x" * 65 + "@example.com", False),
    ],
)
def test_is_address(text: str, ok: bool) -> None:
    assert is_address(text) is ok


def test_validation_is_fast_enough_for_every_keystroke() -> None:
    channel, text = alice(), store.render(alice())
    start = time.perf_counter()
    for _ in range(200):
        validate(channel, OFFICE365, text)
    per_call = (time.perf_counter() - start) / 200
    assert per_call < 0.005, f"{per_call * 1000:.2f} ms per validation"
