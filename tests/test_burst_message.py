"""burst composes its test message once and varies only the number, Date and Message-ID."""

from __future__ import annotations

import email
import re
from email.header import decode_header, make_header

import pytest

from console import burst
from console.check import Target

TARGET = Target(
    "127.0.0.1",
    2525,
    "none",
    "alice@contoso.com",
    recipient="bob@example.org",
    channel_name="team",
    sender_header='"Älice Example" <alice@contoso.com>',
)


def test_copies_differ_only_where_they_must(monkeypatch: pytest.MonkeyPatch) -> None:
    composed = []
    compose = burst.compose_message
    monkeypatch.setattr(burst, "compose_message", lambda *a: composed.append(a) or compose(*a))
    burst._template.cache_clear()
    copies = [burst._message(TARGET, index, 300) for index in range(300)]
    assert len(composed) == 1, "the message is composed once per burst"
    ids = {message_id for _, message_id in copies}
    assert len(ids) == 300
    for index in (0, 299):
        raw, message_id = copies[index]
        parsed = email.message_from_bytes(raw)
        assert parsed["Message-ID"] == message_id
        assert parsed["Subject"] == f"smtp-console burst {index + 1}/300 (team)"
        assert (
            parsed.get_payload()
            == f"Test message {index + 1} of 300, sent by smtp-console burst.\n"
        )
        assert (
            str(make_header(decode_header(parsed["From"]))) == "Älice Example <alice@contoso.com>"
        )
        assert parsed["To"] == "bob@example.org" and email.utils.parsedate_tz(parsed["Date"])
    first, last = (
        re.sub(rb"(Date|Message-ID): .*|\d+", b"", raw) for raw, _ in (copies[0], copies[299])
    )
    assert first == last
