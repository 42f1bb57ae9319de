"""The token store: keyring or an encrypted file, never a token in the clear; SASL payloads."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from console import store
from console.oauth import sasl
from console.oauth.tokens import FileStore, KeyringStore, TokenSet, TokenStoreError, store_for
from tests.conftest import MemoryKeyring
from tests.oauth_channels import FILE_STORE, OFFICE365, write

REFRESH, ACCESS = "Canary-refresh-5d1c", "Canary-access-77b2"
TOKENS = TokenSet(ACCESS, 1000.0, REFRESH, 10.0, 10.0, "SMTP.Send", "alice@contoso.com")


def test_rotation_keeps_the_newest_refresh_token() -> None:
    rotated = TOKENS.with_grant(
        {"access_token": "a2", "expires_in": 3599, "refresh_token": "r2"}, 50
    )
    assert (rotated.access_token, rotated.refresh_token, rotated.expires_at) == ("a2", "r2", 3649)
    assert rotated.refresh_issued_at == 50
    kept = TOKENS.with_grant({"access_token": "a3", "expires_in": 3599}, 60)
    assert kept.refresh_token == REFRESH and kept.refresh_issued_at == 10.0
    assert REFRESH not in repr(kept) and ACCESS not in repr(TOKENS)


def test_the_encrypted_file_holds_no_token_and_needs_the_passphrase(
    channels_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENS_PASSPHRASE", "correct horse")
    channel = store.read(write(channels_dir, OFFICE365, "o365", extra=FILE_STORE)).channel
    kept = store_for(channel)
    assert isinstance(kept, FileStore)
    kept.save(TOKENS)
    raw = kept.path.read_bytes()
    assert REFRESH.encode() not in raw and ACCESS.encode() not in raw
    assert b"alice" not in raw
    assert kept.path.stat().st_mode & 0o077 == 0
    assert store_for(channel).load() == TOKENS
    monkeypatch.setenv("TOKENS_PASSPHRASE", "wrong")
    with pytest.raises(TokenStoreError, match="passphrase does not open"):
        store_for(channel).load()
    monkeypatch.delenv("TOKENS_PASSPHRASE")
    with pytest.raises(TokenStoreError, match="TOKENS_PASSPHRASE holds no passphrase"):
        store_for(channel).load()
    assert kept.forget() and not kept.path.exists()


def test_the_keyring_store(channels_dir: Path, memory_keyring: MemoryKeyring) -> None:
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    kept = store_for(channel)
    assert isinstance(kept, KeyringStore)
    assert kept.load() is None
    kept.save(TOKENS)
    assert kept.load() == TOKENS
    assert kept.forget() and kept.load() is None


def test_without_a_keyring_nothing_is_written_and_the_alternatives_are_named(
    channels_dir: Path, isolated_config: Path, tmp_path: Path
) -> None:
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    with pytest.raises(TokenStoreError) as raised:
        store_for(channel).save(TOKENS)
    message = str(raised.value)
    assert "No usable system keyring" in message and 'token_store = "file"' in message
    assert not any(
        REFRESH in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file()
    )


def test_sasl_initial_responses() -> None:
    x = base64.b64decode(sasl.xoauth2("a@b.c", "TOK")).decode()
    assert x == "user=a@b.c\x01auth=Bearer TOK\x01\x01"
    o = base64.b64decode(sasl.oauthbearer("a,=b@c", "TOK", "smtp.gmail.com", 587)).decode()
    assert o == "n,a=a=2C=3Db@c,\x01host=smtp.gmail.com\x01port=587\x01auth=Bearer TOK\x01\x01"
