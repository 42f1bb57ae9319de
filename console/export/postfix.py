"""Postfix as a relay client: main.cf lines, the sasl_passwd entry, the TLS settings."""

from __future__ import annotations

import shlex

from console.export.base import Context

WHERE = "/etc/postfix/main.cf (add or replace these lines, then run: postfix reload)"
SUMMARY = "Postfix main.cf relay settings and the sasl_passwd entry"
SASL_PASSWD = "/etc/postfix/sasl_passwd"
CA_FILE = "/etc/ssl/certs/ca-certificates.crt"


def relayhost(context: Context) -> str:
    """The [host]:port form, which tells Postfix not to look up MX records."""
    server = context.channel.server
    return f"[{server.host}]:{server.port}"


def secret_line(context: Context, secret: str) -> str:
    """The sasl_passwd entry with the secret in it: written only to the 0600 file."""
    user = secret if context.token_user else context.channel.auth.username
    return f"{relayhost(context)} {user}:{secret}\n"


def render(context: Context) -> str:
    """The main.cf lines and, as comments, how to fill sasl_passwd."""
    lines = [*context.header("#", WHERE), f"relayhost = {relayhost(context)}"]
    lines += _tls(context)
    if context.signs_in:
        lines += _sasl(context)
    return "\n".join(lines) + "\n"


def _tls(context: Context) -> list[str]:
    if context.channel.server.security == "none":
        return ["# The channel uses no TLS.", "smtp_tls_security_level = none"]
    lines = ["smtp_tls_security_level = encrypt", f"smtp_tls_CAfile = {CA_FILE}"]
    if context.implicit_tls:
        lines = [
            "# TLS from the first byte (port 465 style):",
            "smtp_tls_wrappermode = yes",
            *lines,
        ]
    return lines


def _sasl(context: Context) -> list[str]:
    user = "SECRET" if context.token_user else context.channel.auth.username
    entry = f"{relayhost(context)} {user}"
    lines = [
        "smtp_sasl_auth_enable = yes",
        f"smtp_sasl_password_maps = hash:{SASL_PASSWD}",
        "smtp_sasl_security_options = noanonymous",
        "smtp_sasl_tls_security_options = noanonymous",
    ]
    if context.oauth:
        return [*lines, *_oauth(context, entry)]
    return [
        *lines,
        "# LOGIN and PLAIN need the Cyrus SASL plugins (Debian: libsasl2-modules).",
        f"smtp_sasl_mechanism_filter = {context.channel.auth.method}",
        "",
        f"# {SASL_PASSWD} (owner root, mode 0600) holds one line:",
        f"#   {entry}:SECRET",
        "# Write it from the secret store, then build the map Postfix reads:",
        f"#   smtp-console export {shlex.quote(context.reference)} --to postfix "
        f"--write-secret-file {SASL_PASSWD}",
        f"#   postmap hash:{SASL_PASSWD}",
        f"# The secret alone, for another tool: {context.secret_command}",
    ]


def _oauth(context: Context, entry: str) -> list[str]:
    user = context.channel.auth.username
    return [
        "# OAuth sign-in goes through the sasl-xoauth2 plugin (package sasl-xoauth2),",
        "# which speaks XOAUTH2 and refreshes the token file itself.",
        "smtp_sasl_mechanism_filter = xoauth2",
        "",
        f"# {SASL_PASSWD} (owner root, mode 0600) names the token file, not a password:",
        f"#   {entry}:/etc/tokens/{user}",
        f"#   postmap hash:{SASL_PASSWD}",
        "# Create that file (under /var/spool/postfix/etc/tokens when smtp runs chrooted)",
        "# with sasl-xoauth2-tool and the application's client id in /etc/sasl-xoauth2.conf.",
        f"# A fresh access token for a manual test: {context.secret_command}",
    ]
