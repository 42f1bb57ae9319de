"""Every shipped provider profile: it loads, its replies are well-formed SMTP, its facts hold."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from simulator.profile import Profile, ProfileError, load_all, load_defaults, profiles_dir

PROVIDERS = {
    "office365",
    "gmail",
    "sparkpost",
    "sendgrid",
    "mailgun",
    "amazon-ses",
    "postmark",
    "custom",
}
# The placeholders the simulator fills in (listed at the top of defaults.toml).
PLACEHOLDERS = {
    "host",
    "id",
    "ip",
    "port",
    "user",
    "sender",
    "domain",
    "recipient",
    "command",
    "date",
    "timestamp",
    "queue_id",
}
LINE = re.compile(r"^(?P<code>[2-5]\d\d)(?P<sep>[ -])(?P<rest>.*)$")

PROFILES = load_all()
ALL_REPLIES = [
    pytest.param(profile, key, id=f"{profile.id}-{key}")
    for profile in PROFILES.values()
    for key in profile.replies
]


def test_every_provider_is_shipped_and_loads() -> None:
    assert set(PROFILES) == PROVIDERS
    for profile in PROFILES.values():
        assert profile.endpoints and profile.mechanisms and profile.name and profile.summary
        assert profile.guide.pros and profile.guide.cons and profile.guide.warnings


@pytest.mark.parametrize(("profile", "key"), ALL_REPLIES)
def test_every_reply_is_well_formed_smtp(profile: Profile, key: str) -> None:
    reply = profile.reply(key)
    assert "\n" not in reply.text.replace("\r\n", ""), "a bare line feed"
    lines = reply.text.split("\r\n")
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), f"a line without a reply code: {lines}"
    codes = {m["code"] for m in parsed if m}
    assert codes == {str(reply.code)}, "every line carries the same code"
    separators = [m["sep"] for m in parsed if m]
    assert separators == ["-"] * (len(lines) - 1) + [" "], "dashes on all but the last line"
    assert set(re.findall(r"\{(\w+)\}", reply.text)) <= PLACEHOLDERS
    assert reply.source and reply.confidence in ("DOC", "OBS", "SEC", "RFC")


def test_multi_line_replies_are_sent_with_crlf_and_dashes() -> None:
    gmail = PROFILES["gmail"]
    quota = gmail.reply("daily_quota_exceeded").text.split("\r\n")
    assert [line[:4] for line in quota] == ["550-", "550-", "550 "]
    for key, code in (
        ("auth_required", "530"),
        ("auth_failed", "535"),
        ("auth_token_invalid", "535"),
        ("auth_app_password_required", "534"),
        ("too_many_logins", "454"),
    ):
        first, last = gmail.reply(key).text.split("\r\n")
        assert first.startswith(f"{code}-5.7." if code != "454" else "454-4.7.0")
        assert last.startswith(f"{code} ") and last.endswith(" {id} - gsmtp")


@pytest.mark.parametrize(
    ("provider", "key", "start", "stage"),
    [
        ("gmail", "tls_required", "530 5.7.0 Must issue a STARTTLS command first.", "mail"),
        ("gmail", "auth_required", "530-5.7.0 Authentication Required.", "mail"),
        ("gmail", "auth_failed", "535-5.7.8 Username and Password not accepted.", "auth"),
        ("gmail", "auth_app_password_required", "534-5.7.9 Application-specific", "auth"),
        ("gmail", "daily_quota_exceeded", "550-5.4.5 Daily user sending limit", "dot"),
        ("gmail", "too_many_logins", "454-4.7.0 Too many login attempts", "auth"),
        ("sparkpost", "auth_failed", "535 5.7.8 ", "auth"),
        ("sparkpost", "sender_unverified", "550 5.7.1 Unconfigured Sending Domain", "dot"),
        ("sendgrid", "auth_required", "550 Unauthenticated senders not allowed", "mail"),
        ("sendgrid", "sender_unverified", "550 The from address does not match a verified", "dot"),
        ("sendgrid", "auth_failed", "535 Authentication failed: Bad username / password", "auth"),
        ("mailgun", "auth_failed", "535 5.7.0 Mailgun is not loving your login", "auth"),
        ("amazon-ses", "auth_required", "530 Authentication required", "mail"),
        ("amazon-ses", "auth_failed", "535 Authentication Credentials Invalid", "auth"),
        ("amazon-ses", "daily_quota_exceeded", "454 Throttling failure: Daily message", "mail"),
        ("amazon-ses", "rate_exceeded", "454 Throttling failure: Maximum sending rate", "mail"),
        ("amazon-ses", "sender_unverified", "554 Message rejected: Email address is not", "dot"),
        ("postmark", "auth_failed", "535 5.7.8 Error: authentication failed", "auth"),
    ],
)
def test_provider_replies_at_their_stage(provider: str, key: str, start: str, stage: str) -> None:
    reply = PROFILES[provider].reply(key)
    assert reply.text.startswith(start)
    assert reply.stage == stage
    assert not reply.is_default


def test_gmail_xoauth2_challenge_is_base64_json_and_the_default_is_bare() -> None:
    challenge = PROFILES["gmail"].reply("xoauth2_challenge").text
    assert challenge.startswith("334 ")
    error = json.loads(base64.b64decode(challenge[4:]))
    assert error == {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}
    assert load_defaults(profiles_dir())["xoauth2_challenge"].text == "334 "
    assert PROFILES["office365"].reply("xoauth2_challenge").is_default


def test_limits_with_their_units() -> None:
    gmail, ses = PROFILES["gmail"].limits, PROFILES["amazon-ses"].limits
    assert (gmail.recipients_per_message, gmail.messages_per_day) == (100, 2000)
    assert (ses.recipients_per_day, ses.messages_per_second, ses.recipients_per_message) == (
        200,
        1,
        50,
    )
    assert PROFILES["office365"].limits.rate_mode == "delay"
    assert all(p.limits.rate_mode == "refuse" for p in PROFILES.values() if p.id != "office365")


def test_username_conventions() -> None:
    assert PROFILES["sparkpost"].fixed_username == "SMTP_Injection"
    assert PROFILES["sendgrid"].fixed_username == "apikey"
    assert PROFILES["postmark"].secret_as_username
    assert not any(p.secret_as_username for p in PROFILES.values() if p.id != "postmark")


def test_credential_scope_and_sharing() -> None:
    mailbox = {p.id for p in PROFILES.values() if p.scope == "mailbox"}
    assert mailbox == {"office365", "gmail"}
    assert all(p.shareable == (p.id not in mailbox) for p in PROFILES.values())
    assert PROFILES["mailgun"].scope == "domain"
    custom = PROFILES["custom"]
    assert custom.scope == "account" and custom.shareable
    assert all(reply.is_default for reply in custom.replies.values())


def test_ehlo_lists_as_observed() -> None:
    for provider in ("office365", "gmail"):
        profile = PROFILES[provider]
        assert not any(e.startswith("AUTH") for e in profile.ehlo_before_tls)
        assert "STARTTLS" not in profile.ehlo_after_tls
    assert "STARTTLS" in PROFILES["sendgrid"].ehlo_after_tls
    for profile in PROFILES.values():
        if any(e.security == "starttls" for e in profile.endpoints):
            assert "STARTTLS" in profile.ehlo_before_tls, profile.id
        advertised = next(e for e in profile.ehlo_after_tls if e.startswith("AUTH "))
        assert set(profile.mechanisms) <= set(advertised.split()[1:]), profile.id


def test_sizes_advertised_match_the_limit() -> None:
    for profile in PROFILES.values():
        sizes = {e.split()[1] for e in profile.ehlo_after_tls if e.startswith("SIZE ")}
        if profile.limits.max_message_bytes is not None:
            assert sizes == {str(profile.limits.max_message_bytes)}, profile.id


def _copy(tmp_path: Path, provider: str, old: str, new: str) -> Path:
    for name in ("defaults.toml", f"{provider}.toml"):
        shutil.copy(profiles_dir() / name, tmp_path / name)
    path = tmp_path / f"{provider}.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("provider", "old", "new", "field"),
    [
        ("gmail", "port = 465", "port = 99999", "endpoints[1].port"),
        (
            "amazon-ses",
            'port = 2465\nsecurity = "tls"',
            "port = 2465\nsecurity = 1",
            "endpoints[4].security",
        ),
        ("sparkpost", 'fixed_username = "SMTP_Injection"', "fixed_username = 7", None),
        ("postmark", "secret_as_username = true", 'secret_as_username = "yes"', None),
        ("mailgun", 'scope = "domain"', 'scope = "region"', "scope"),
        ("sendgrid", 'text = "221 See you later"', 'text = "See you later"', None),
        ("custom", '"PLAIN", "LOGIN"]', '"PLAIN", "NTLM"]', "auth.mechanisms"),
        ("gmail", "[replies.quit]", "[replies.goodbye]", "replies.goodbye"),
        ("postmark", 'id = "postmark"', 'id = "postmark-eu"', "id"),
        ("gmail", 'session_id = "~##sm#######~~~.##"', 'session_id = "fixed"', "session_id"),
        ("amazon-ses", 'session_id = "*', 'session_id = "a b*', "session_id"),
    ],
)
def test_malformed_copy_is_refused_with_file_line_field(
    tmp_path: Path, provider: str, old: str, new: str, field: str | None
) -> None:
    path = _copy(tmp_path, provider, old, new)
    with pytest.raises(ProfileError) as caught:
        load_all(tmp_path)
    error = caught.value
    bad_line = new.splitlines()[-1]
    lines = path.read_text().splitlines()
    expected_line = next(n for n, line in enumerate(lines, start=1) if bad_line in line)
    expected_field = field or _field_of(bad_line, path, expected_line)
    assert (error.path, error.line, error.field) == (path, expected_line, expected_field)
    assert str(error).startswith(f"{path}:{expected_line}: {expected_field}: ")


def _field_of(line: str, path: Path, number: int) -> str:
    """The dotted field a `key = value` line sets, from the table header above it."""
    lines = path.read_text().splitlines()[:number]
    header = next(h for h in reversed(lines) if h.startswith("["))
    table = header.strip("[]")
    return f"{table}.{lines[number - 1].split('=')[0].strip()}"
