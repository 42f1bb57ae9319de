"""The diagnosis catalogue: provider-aware, complete for every profile reply, RFC fallback."""

from __future__ import annotations

import pytest

from console.diagnosis import Reply, catalogue, diagnose, diagnose_failure, failure_kinds
from console.guide import load_faq
from simulator.profile import load_all

SAMPLE = {
    "host": "AM6PR04CA0018.eurprd04.prod.outlook.com",
    "id": "o13sm2119833lfg.90",
    "ip": "127.0.0.1",
    "user": "alice@contoso.com",
    "sender": "ceo@contoso.com",
    "domain": "contoso.com",
    "recipient": "bob@example.org",
    "command": "XYZZY",
    "date": "Mon, 4 Aug 2025 11:15:30 +0000",
    "timestamp": "2025-08-04T11:15:30.123Z",
    "queue_id": "4AB12C",
}
REPLIES = [
    (profile.id, key, reply.stage, reply.render(**SAMPLE))
    for profile in load_all().values()
    for key, reply in profile.replies.items()
]


def test_catalogue_has_at_least_forty_entries_and_every_connection_failure() -> None:
    book = catalogue()
    assert len([e for e in book.entries if e.failure is None]) >= 40
    wanted = {
        "refused",
        "timeout",
        "dns",
        "tls-handshake",
        "cert-hostname",
        "cert-expired",
        "cert-self-signed",
        "tls-on-starttls-port",
        "plain-on-tls-port",
    }
    assert wanted <= set(failure_kinds())
    assert len({e.id for e in book.entries}) == len(book.entries)


@pytest.mark.parametrize(("provider", "key", "stage", "text"), REPLIES)
def test_every_profile_reply_has_its_own_catalogue_entry(
    provider: str, key: str, stage: str, text: str
) -> None:
    diagnosis = diagnose(text, provider=provider, stage=stage)
    assert diagnosis.source == "catalogue"
    assert key in diagnosis.keys, f"{provider}.{key} explained as {diagnosis.id}"


def test_the_same_535_means_different_things_at_office365_and_gmail() -> None:
    office = diagnose("535 5.7.3 Authentication unsuccessful [HOST]", provider="office365")
    gmail = diagnose(
        "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp",
        provider="gmail",
    )
    assert office.id == "office365-auth-unsuccessful"
    assert gmail.id == "gmail-bad-credentials"
    assert office.guide != gmail.guide


def test_office365_tenant_switch_is_told_apart_from_a_wrong_password() -> None:
    text = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
        "for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information."
    )
    diagnosis = diagnose(text)  # recognised from its text even without --provider
    assert diagnosis.id == "office365-smtp-auth-disabled"
    assert diagnosis.guide == "office365-smtp-auth-disabled"
    assert any("Set-CASMailbox" in step for step in diagnosis.fix)


def test_multiline_reply_is_flattened_with_codes_found() -> None:
    reply = Reply.parse(
        "534-5.7.9 Application-specific password required. Learn more at\r\n534 5.7.9  https://x"
    )
    assert (reply.code, reply.enhanced) == (534, "5.7.9")
    assert reply.text.startswith("534 5.7.9 Application-specific password required.")
    assert "534-" not in reply.text


def test_unknown_reply_is_explained_from_rfc3463() -> None:
    diagnosis = diagnose("459 4.4.1 nobody home")
    assert diagnosis.source == "rfc"
    assert "temporary failure" in diagnosis.cause
    assert "network and routing status" in diagnosis.cause
    assert "no answer from host" in diagnosis.cause
    assert diagnosis.title == "Temporary failure"


def test_generic_code_entry_adds_the_enhanced_code_meaning() -> None:
    diagnosis = diagnose("550 5.2.1 mailbox disabled")
    assert diagnosis.id == "rfc-mailbox-unavailable"
    assert "mailbox disabled" in diagnosis.cause


def test_enhanced_code_without_basic_code() -> None:
    diagnosis = diagnose("5.7.60 SMTP; Client does not have permissions to send as this sender")
    assert diagnosis.id == "office365-send-as-permission"
    assert diagnosis.enhanced == "5.7.60"


def test_connection_failure_diagnosis() -> None:
    diagnosis = diagnose_failure("tls-on-starttls-port", detail="wrong version number")
    assert diagnosis.guide == "starttls"
    assert diagnosis.reply == "wrong version number"
    with pytest.raises(KeyError):
        diagnose_failure("no-such-failure")


def test_to_dict_is_json_ready() -> None:
    data = diagnose("421 4.7.66 TLS 1.0 and 1.1 are not supported.", provider="office365").to_dict()
    assert data["id"] == "office365-legacy-tls"
    assert isinstance(data["fix"], list)
    assert "keys" not in data


def test_every_guide_entry_named_exists_in_the_faq() -> None:
    assert catalogue().guide_ids <= load_faq().ids()
    assert diagnose("599 9.9.9 ???").guide in load_faq().ids()


def test_a_common_wording_does_not_guess_a_provider() -> None:
    plain = diagnose("550 5.7.1 Sender address rejected: domain example.com is not verified")
    assert plain.id == "rfc-sender-unverified" and plain.provider is None
    at_ses = diagnose("554 Message rejected: Email address is not verified.", provider="amazon-ses")
    assert at_ses.id == "ses-identity-not-verified"
