"""Secret-shaped values never reach a channel file: recognised, refused, and named by field."""

from __future__ import annotations

import base64
import secrets
from dataclasses import replace
from pathlib import Path

import pytest

from console import secret_shapes, store
from console.channel import draft
from console.cli import main
from simulator.profile import load

SENDGRID = "SG." + "a1B2c3D4e5F6g7H8i9J0kL" + "." + "mN0pQ1rS2tU3vW4xY5zA6bC7dE8fG9hI0jK1lM2nO3p"
SHAPES = {
    "sendgrid": SENDGRID,
    "aws": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "google": "ya29.a0AfH6SMBx3k9Qw7Zr2LmN5pT8vY1cE4gH6jK",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r",
    "random": "Xk9vQ2mL7pR4tW8yB3nF6hJ1cZ5gD0sA",
}
HARMLESS = (
    "smtp.office365.com",
    "email-smtp.eu-west-1.amazonaws.com",
    "alice@contoso.com",
    "AKIAIOSFODNN7EXAMPLE",  # an SES user name: an access key id, not its secret
    "SMTP_Injection",
    "SMTP_PASSWORD_FOR_THE_SHARED_MAILBOX_2024",
    "pass show smtp/office365-shared-mailbox-2024",
    "Accounts Receivable Department (Contoso Ltd)",
    "MyCompanyNewsletterSender2025Q4Edition",
    "postmaster@mg.example-company-with-a-long-name.com",
)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_well_known_shape_is_recognised(kind: str) -> None:
    found = secret_shapes.find(f"alice@contoso.com {SHAPES[kind]}")
    assert found is not None and found[1] == SHAPES[kind]


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_values_pass(value: str) -> None:
    assert secret_shapes.find(value) is None


def test_random_keys_are_mostly_caught() -> None:
    keys = [base64.b64encode(secrets.token_bytes(33)).decode() for _ in range(300)]
    keys += [secrets.token_urlsafe(32) for _ in range(300)]
    missed = [key for key in keys if secret_shapes.find(key) is None]
    assert len(missed) <= 6


def test_a_postmark_server_token_is_a_secret_only_as_a_postmark_user_name() -> None:
    token = "5c57a11e-1563-4730-9c19-44d44fd8be4d"
    assert secret_shapes.find(token) is None
    channel = draft(load("postmark"), "pm", username=token, from_address="a@example.com")
    [shape] = secret_shapes.scan(channel, token_as_username=True)
    assert shape.field == "auth.username" and "Postmark" in shape.kind


@pytest.mark.parametrize("field", secret_shapes.FIELDS)
def test_the_store_refuses_a_secret_in_every_field(field: str, tmp_path: Path) -> None:
    base = draft(load("office365"), "desk", username="alice@contoso.com")
    channel = {
        "name": replace(base, name=SENDGRID),
        "server.host": replace(base, server=replace(base.server, host=SENDGRID)),
        "auth.username": replace(base, auth=replace(base.auth, username=SENDGRID)),
        "auth.secret": replace(base, auth=replace(base.auth, secret=f"command:echo {SENDGRID}")),
        "sender.from": replace(base, sender=replace(base.sender, address=SENDGRID)),
        "sender.display_name": replace(
            base, sender=replace(base.sender, display_name=f"Desk {SENDGRID}")
        ),
    }[field]
    path = tmp_path / "desk.toml"
    with pytest.raises(store.SecretInFieldError) as refused:
        store.save(channel, path)
    assert refused.value.field == field and SENDGRID not in str(refused.value)
    assert not path.exists()


@pytest.mark.parametrize(
    ("option", "provider", "value"),
    [
        ("--username", "sendgrid", SENDGRID),
        ("--username", "postmark", "5c57a11e-1563-4730-9c19-44d44fd8be4d"),
        ("--display-name", "office365", SHAPES["google"]),
        ("--from", "office365", SHAPES["jwt"]),
        ("--secret", "office365", f"command:echo {SHAPES['aws']}"),
    ],
)
def test_channels_new_refuses_a_secret_shaped_option(
    option: str,
    provider: str,
    value: str,
    channels_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["channels", "new", "--provider", provider, "--name", "c", option, value])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(f"{option}: looks like ") and value not in err + out
    assert not (channels_dir / "c.toml").exists()


def test_postmark_needs_no_user_name_in_the_file(
    channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["channels", "new", "--provider", "postmark", "--name", "pm", "--from", "a@b.org"])
    assert code == 0
    file = store.read(channels_dir / "pm.toml")
    assert file.channel.auth.username == ""
    assert not [p for p in file.problems(load("postmark")) if p.field == "auth.username"]
