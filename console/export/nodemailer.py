"""Nodemailer: a createTransport options object; `secure` is true only for implicit TLS."""

from __future__ import annotations

import json

from console.export.base import SECRET_VARIABLE, Context

WHERE = "a module of your Node.js application (for example mailer.js)"
SUMMARY = "a Nodemailer transport (createTransport options)"


def render(context: Context) -> str:
    """A CommonJS module exporting the transport options and the From header."""
    channel = context.channel
    lines = context.header("//", WHERE)
    if context.signs_in:
        lines += [
            "// The secret comes from the environment; fill it with:",
            f"//   {context.fill()}",
        ]
    lines += [
        "const options = {",
        f"  host: {json.dumps(channel.server.host)},",
        f"  port: {channel.server.port},",
        "  // secure: true is TLS from the first byte (port 465); false upgrades with STARTTLS.",
        f"  secure: {_js(context.implicit_tls)},",
    ]
    if context.starttls:
        lines.append("  requireTLS: true,")
    elif channel.server.security == "none":
        lines.append("  ignoreTLS: true,")
    if context.oauth:
        lines.append(
            f'  auth: {{ type: "OAuth2", user: {json.dumps(channel.auth.username)}, '
            f"accessToken: process.env.{SECRET_VARIABLE} }},"
        )
    elif context.signs_in:
        lines += [
            f"  authMethod: {json.dumps(channel.auth.method.upper())},",
            f"  auth: {{ user: {_user(context)}, pass: process.env.{SECRET_VARIABLE} }},",
        ]
    timeout = int(channel.server.timeout * 1000)
    lines += [
        f"  connectionTimeout: {timeout},",
        f"  greetingTimeout: {timeout},",
        f"  socketTimeout: {timeout},",
        "};",
        "",
        f"const from = {json.dumps(channel.sender.header)};",
        "",
        "module.exports = { options, from };",
        '// require("nodemailer").createTransport(options).sendMail({ from, to, subject, text })',
    ]
    return "\n".join(lines) + "\n"


def _js(flag: bool) -> str:
    return "true" if flag else "false"


def _user(context: Context) -> str:
    if context.token_user:  # the token is the user name too (Postmark)
        return f"process.env.{SECRET_VARIABLE}"
    return json.dumps(context.channel.auth.username)
