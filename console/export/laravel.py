"""Laravel's .env mail keys (MAIL_SCHEME since Laravel 11, MAIL_ENCRYPTION before)."""

from __future__ import annotations

from console.export.base import Context, quoted

WHERE = "your Laravel application's .env"
SUMMARY = "Laravel MAIL_* keys for .env (Laravel 11+, with the older key noted)"


def render(context: Context) -> str:
    """The MAIL_* lines; the password stays out, to be set in the process environment."""
    channel = context.channel
    scheme = "smtps" if context.implicit_tls else "smtp"
    encryption = {"tls": "ssl", "starttls": "tls", "none": "null"}[channel.server.security]
    lines = [
        *context.header("#", WHERE),
        "MAIL_MAILER=smtp",
        "# Laravel 11 and later: smtps is TLS from the first byte; smtp upgrades with STARTTLS.",
        f"MAIL_SCHEME={scheme}",
        f"MAIL_HOST={channel.server.host}",
        f"MAIL_PORT={channel.server.port}",
    ]
    if context.signs_in:
        lines += [
            # The token is the user name too (Postmark): Laravel's .env reads it from MAIL_PASSWORD.
            'MAIL_USERNAME="${MAIL_PASSWORD}"'
            if context.token_user
            else f"MAIL_USERNAME={quoted(channel.auth.username)}",
            "# MAIL_PASSWORD is left out on purpose: set it in the environment of the PHP",
            "# process (a real variable wins over .env), for example:",
            f"#   {context.fill('MAIL_PASSWORD')}",
        ]
    if context.oauth:
        lines.append(
            "# Symfony Mailer sends MAIL_PASSWORD as the XOAUTH2 token when the server offers it."
        )
    lines += [
        f"MAIL_FROM_ADDRESS={quoted(channel.sender.address)}",
        f"MAIL_FROM_NAME={quoted(channel.sender.display_name or '${APP_NAME}')}",
        "# Laravel 10 and older read MAIL_ENCRYPTION instead of MAIL_SCHEME:",
        f"# MAIL_ENCRYPTION={encryption}",
    ]
    return "\n".join(lines) + "\n"
