"""Masking secrets: plain, base64 in LOGIN, PLAIN and XOAUTH2 forms, and AUTH continuations."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from console.redact import MASK, Redactor, TranscriptMasker

SECRET = "Tr0ub4dor&3-canary"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_plain_secret_is_masked_anywhere_in_a_line() -> None:
    masked = Redactor([SECRET]).mask(f"error: password {SECRET} rejected")
    assert SECRET not in masked and MASK in masked


def test_base64_forms_are_masked() -> None:
    redactor = Redactor([SECRET])
    forms = [
        b64(SECRET),  # AUTH LOGIN password line
        b64(f"\0alice@contoso.com\0{SECRET}"),  # AUTH PLAIN
        b64(f"user=alice@contoso.com\x01auth=Bearer {SECRET}\x01\x01"),  # XOAUTH2
    ]
    for form in forms:
        assert redactor.mask(f"AUTH PLAIN {form}") == f"AUTH PLAIN {MASK}"


@given(prefix=st.text(max_size=7), suffix=st.text(max_size=7))
def test_secret_inside_any_base64_blob_is_masked(prefix: str, suffix: str) -> None:
    blob = b64(prefix + SECRET + suffix)
    assert Redactor([SECRET]).mask(f"C: {blob}") == f"C: {MASK}"


def test_unrelated_base64_is_kept() -> None:
    assert Redactor([SECRET]).mask("334 VXNlcm5hbWU6") == "334 VXNlcm5hbWU6"


def test_auth_payloads_are_masked_even_without_knowing_the_secret() -> None:
    masker = TranscriptMasker()
    assert masker.client("AUTH PLAIN AGFsaWNlAHB3") == f"AUTH PLAIN {MASK}"
    assert masker.server("235 2.7.0 ok") == "235 2.7.0 ok"
    assert masker.client("AUTH LOGIN") == "AUTH LOGIN"
    assert masker.server("334 VXNlcm5hbWU6") == "334 VXNlcm5hbWU6"
    assert masker.client(b64("alice")) == MASK
    assert masker.server("334 UGFzc3dvcmQ6") == "334 UGFzc3dvcmQ6"
    assert masker.client(b64("hunter2")) == MASK
    assert masker.server("535 5.7.8 no") == "535 5.7.8 no"
    assert masker.client("MAIL FROM:<alice@contoso.com>") == "MAIL FROM:<alice@contoso.com>"


def test_empty_secret_masks_nothing() -> None:
    assert Redactor([""]).mask("hello world") == "hello world"
