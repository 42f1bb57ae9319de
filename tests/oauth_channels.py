"""OAuth channel files for the tests: Office 365 (device code) and Gmail (PKCE)."""

from __future__ import annotations

from pathlib import Path

OFFICE365 = """\
name = "{name}"
provider = "office365"

[server]
host = "smtp.office365.com"
port = 587
security = "starttls"

[auth]
method = "{method}"
username = "alice@contoso.com"
secret = "oauth"

[sender]
from = "alice@contoso.com"

[oauth]
flow = "device_code"
tenant = "contoso.onmicrosoft.com"
client_id = "11111111-2222-3333-4444-555555555555"
{extra}"""

GMAIL = """\
name = "{name}"
provider = "gmail"

[server]
host = "smtp.gmail.com"
port = 587
security = "starttls"

[auth]
method = "{method}"
username = "bob@gmail.com"
secret = "oauth"

[sender]
from = "bob@gmail.com"

[oauth]
flow = "auth_code"
client_id = "123-abc.apps.googleusercontent.com"
{extra}"""

FILE_STORE = 'token_store = "file"\npassphrase = "env:TOKENS_PASSPHRASE"\n'


def write(folder: Path, template: str, name: str, method: str = "xoauth2", extra: str = "") -> Path:
    """Write a channel file from a template and return its path."""
    path = folder / f"{name}.toml"
    path.write_text(template.format(name=name, method=method, extra=extra))
    return path
