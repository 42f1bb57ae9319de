"""The [oauth] table: read from the channel file and validated in path:line: field: reason form."""

from __future__ import annotations

from pathlib import Path

import pytest

from console import store
from console.cli import main
from console.oauth import presets
from console.oauth.settings import OAuthSettings, endpoints
from simulator.profile import load
from tests.oauth_channels import GMAIL, OFFICE365, write


def problems(path: Path) -> list[str]:
    channel_file = store.read(path)
    found = channel_file.problems(load(channel_file.channel.provider))
    return [f"{p.line}: {p.field}: {p.reason}" for p in found]


def test_a_good_office365_channel_validates(channels_dir: Path) -> None:
    path = write(channels_dir, OFFICE365, "o365")
    assert problems(path) == []
    settings = store.read(path).channel.oauth
    assert settings is not None
    assert settings.scopes_for("office365") == presets.OFFICE365_SCOPES


def test_a_good_gmail_channel_validates(channels_dir: Path) -> None:
    assert problems(write(channels_dir, GMAIL, "gm", extra='client_secret = "env:GSECRET"\n')) == []


@pytest.mark.parametrize(
    ("template", "extra", "field", "words"),
    [
        (OFFICE365, "single_tenant = true\n", "", ""),
        (
            GMAIL,
            'scopes = ["https://www.googleapis.com/auth/gmail.send"]\n',
            "oauth.scopes",
            "exactly",
        ),
        (OFFICE365, 'refresh_token = "0.AXkA-canary"\n', "oauth.refresh_token", "never goes"),
        (OFFICE365, 'access_token = "eyJ0-canary"\n', "oauth.access_token", "never goes"),
        (GMAIL, 'client_secret = "GOCSPX-literal"\n', "oauth.client_secret", "by reference"),
        (OFFICE365, 'client_secret = "env:S"\n', "oauth.client_secret", "AADSTS700025"),
        (
            OFFICE365,
            'scopes = ["https://outlook.office.com/SMTP.Send"]\n',
            "oauth.scopes",
            "offline_access",
        ),
        (OFFICE365, 'token_store = "file"\n', "oauth.passphrase", "needs one"),
        (OFFICE365, 'passphrase = "hunter2"\n', "oauth.passphrase", "never the passphrase"),
        (
            OFFICE365,
            'authority = "http://login.example.com/{tenant}"\n',
            "oauth.authority",
            "https",
        ),
    ],
)
def test_each_mistake_is_named_with_its_line(
    channels_dir: Path, template: str, extra: str, field: str, words: str
) -> None:
    path = write(channels_dir, template, "bad", extra=extra)
    found = problems(path)
    if not field:  # a single-organisation app with a specific tenant is fine
        assert found == []
        return
    text = path.read_text().splitlines()
    matching = [p for p in found if f": {field}: " in p and words in p]
    assert matching, found
    line, key = int(matching[0].split(":")[0]), field.split(".")[1]
    expected = key if key in extra else "[oauth]"  # a missing setting: its table's line
    assert text[line - 1].startswith(expected)
    assert "canary" not in "\n".join(found) and "GOCSPX" not in "\n".join(found)


def test_tenant_common_with_a_single_organisation_app(channels_dir: Path) -> None:
    path = write(channels_dir, OFFICE365, "bad", extra="single_tenant = true\n")
    path.write_text(path.read_text().replace("contoso.onmicrosoft.com", "common"))
    assert any("oauth.tenant: 'common'" in p for p in problems(path))


def test_gmail_device_flow_is_refused_with_the_reason(channels_dir: Path) -> None:
    path = write(channels_dir, GMAIL, "bad")
    path.write_text(path.read_text().replace('flow = "auth_code"', 'flow = "device_code"'))
    assert any("device flow does not allow the Gmail scope" in p for p in problems(path))


def test_oauth_secret_needs_an_oauth_method(channels_dir: Path) -> None:
    path = write(channels_dir, OFFICE365, "bad", method="login")
    assert any("auth.secret: oauth needs" in p for p in problems(path))


def test_endpoints_live_overridden_and_simulated() -> None:
    settings = OAuthSettings(tenant="contoso.onmicrosoft.com", client_id="x")
    live = endpoints(settings, "office365")
    assert live.device == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
    )
    simulated = endpoints(settings, "office365", "http://127.0.0.1:9/")
    assert simulated.token == "http://127.0.0.1:9/contoso.onmicrosoft.com/oauth2/v2.0/token"
    google = endpoints(OAuthSettings(token_url="https://tokens.example/t"), "gmail")
    assert google.token == "https://tokens.example/t"
    assert google.authorize == presets.GOOGLE_AUTH_URL
    assert endpoints(OAuthSettings(), "gmail", "http://127.0.0.1:9").revoke == (
        "http://127.0.0.1:9/revoke"
    )


@pytest.mark.parametrize(
    ("provider", "user"), [("office365", "a@contoso.com"), ("gmail", "b@gmail.com")]
)
def test_a_new_oauth_channel_gets_an_oauth_table_to_fill_in(
    channels_dir: Path, capsys: pytest.CaptureFixture[str], provider: str, user: str
) -> None:
    argv = ["channels", "new", "--provider", provider, "--name", "fresh", "--username", user]
    assert main([*argv, "--method", "xoauth2", "--secret", "oauth"]) == 0
    out = capsys.readouterr().out
    path = channels_dir / "fresh.toml"
    assert "[oauth]" in path.read_text()
    assert "oauth.client_id: is empty" in out
    assert [p.split(": ")[1] for p in problems(path)] == ["oauth.client_id"]
