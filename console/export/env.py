"""Plain SMTP_* environment variables, for tools and containers that read them."""

from __future__ import annotations

import re

from console.export.base import SECRET_VARIABLE, Context, quoted

_PLAIN = re.compile(r"^[A-Za-z0-9@._:+/-]*$")

WHERE = "an environment file (.env, systemd EnvironmentFile=, docker --env-file)"
SUMMARY = "SMTP_* environment variables"


def variables(context: Context) -> dict[str, str]:
    """The variables and their values; never the secret."""
    channel = context.channel
    return {
        "SMTP_HOST": channel.server.host,
        "SMTP_PORT": str(channel.server.port),
        "SMTP_SECURITY": channel.server.security,
        "SMTP_SECURE": "true" if context.implicit_tls else "false",
        "SMTP_STARTTLS": "true" if context.starttls else "false",
        "SMTP_AUTH_METHOD": str(channel.auth.method),
        "SMTP_USERNAME": channel.auth.username if context.signs_in else "",
        "SMTP_FROM": channel.sender.address,
        "SMTP_FROM_NAME": channel.sender.display_name,
        "SMTP_TIMEOUT": f"{channel.server.timeout:g}",
    }


def render(context: Context) -> str:
    """One NAME=value line per variable; SMTP_PASSWORD is set at start-up instead."""
    lines = context.header("#", WHERE)
    shown = variables(context)
    if context.token_user:
        del shown["SMTP_USERNAME"]
    lines += [f"{name}={_value(value)}" for name, value in shown.items()]
    if context.signs_in:
        lines += [
            f"# {SECRET_VARIABLE} is not here: set it when the sender starts, for example",
            f"#   {context.fill()}",
        ]
    if context.token_user:
        lines += [
            f"# SMTP_USERNAME is the same token as {SECRET_VARIABLE}: set it there too:",
            f'#   export SMTP_USERNAME="${SECRET_VARIABLE}"',
        ]
    return "\n".join(lines) + "\n"


def _value(text: str) -> str:
    """Bare when it needs no quotes (docker --env-file keeps quotes as part of the value)."""
    return text if _PLAIN.match(text) else quoted(text)
