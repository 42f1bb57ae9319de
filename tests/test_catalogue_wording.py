"""Replies whose cause a wording match used to get wrong, and advice kept to its provider."""

from __future__ import annotations

import re

import pytest

from console.check import run_check
from console.diagnosis import catalogue, diagnose, diagnose_failure, failure_kinds
from console.target import Target
from simulator.profile import load_all
from tests.wire_servers import Server, smtp

NOT_LOGGED_IN = "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in"
NOT_OWNED = (
    "553 5.7.1 <boss@example.com>: Sender address rejected: not owned by user alice@example.com"
)
PROVIDER_WORDS = re.compile(
    r"office ?365|microsoft|exchange online|outlook|gmail|google|sendgrid|sparkpost|mailgun|"
    r"postmark|amazon|\bSES\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("reply", "wanted"),
    [
        (NOT_LOGGED_IN, "rfc-sign-in-first"),
        (NOT_OWNED, "rfc-send-as-denied"),
        ("554 5.7.1 <bob@example.org>: Relay access denied", "rfc-relay-denied"),
        ("552 5.2.2 <bob@example.org>: Recipient address rejected: Mailbox is full", None),
        ("452 4.2.2 <bob@example.org>: Mailbox full, quota exceeded", None),
        ("451 4.7.0 Temporary failure: could not generate an id", "rfc-local-error"),
        ("530 5.7.0 Must issue a STARTTLS command first", "rfc-starttls-required"),
    ],
)
def test_postfix_wordings_get_their_real_cause(reply: str, wanted: str | None) -> None:
    found = diagnose(reply, None, "rcpt" if "bob@" in reply else "mail")
    if wanted is None:
        assert found.id.startswith("rfc-recipient-mailbox-full")
        assert "daily" not in found.title.lower()
    else:
        assert found.id == wanted
    assert found.provider is None


@pytest.mark.parametrize("reply", [NOT_LOGGED_IN, NOT_OWNED])
async def test_a_postfix_553_at_mail_from_a_real_server(reply: str) -> None:
    with Server(smtp(answers={"MAIL": reply})) as server:
        report = await run_check(Target("127.0.0.1", server.port, "none", "alice@example.com"))
    assert report.failed_stage is not None and report.failed_stage.name == "mail"
    assert report.diagnosis is not None
    wanted = "rfc-sign-in-first" if "not logged in" in reply else "rfc-send-as-denied"
    assert report.diagnosis.id == wanted
    if wanted == "rfc-sign-in-first":
        assert report.diagnosis.title == "Sign in first"
        assert "not a problem with the address" in report.diagnosis.cause


@pytest.mark.parametrize("kind", sorted(set(failure_kinds())))
@pytest.mark.parametrize("provider", [None, *sorted(load_all())])
def test_failure_advice_names_a_provider_only_for_its_channels(
    kind: str, provider: str | None
) -> None:
    found = diagnose_failure(kind, "detail", provider)
    text = " ".join([found.title, found.happened, found.cause, *found.fix])
    named = {m.lower().replace(" ", "") for m in PROVIDER_WORDS.findall(text)}
    allowed = {provider or ""} | (
        {"office365", "microsoft", "outlook"} if provider == "office365" else set()
    )
    assert named <= allowed, (kind, provider, named)


def test_generic_reply_entries_name_no_provider() -> None:
    for entry in catalogue().entries:
        if entry.provider is None:
            text = " ".join([entry.title, entry.happened, entry.cause, *entry.fix])
            assert not PROVIDER_WORDS.search(text), entry.id
