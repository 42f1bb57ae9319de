"""Django settings for its SMTP email backend."""

from __future__ import annotations

from console.export.base import SECRET_VARIABLE, Context, quoted

WHERE = "your Django settings module (settings.py)"
SUMMARY = "Django EMAIL_* settings for the SMTP backend"


def render(context: Context) -> str:
    """The EMAIL_* settings; EMAIL_USE_TLS and EMAIL_USE_SSL are never both true."""
    channel = context.channel
    lines = context.header("#", WHERE)
    if context.oauth:
        lines += [
            "# Django's SMTP backend signs in with a password (LOGIN or PLAIN) only: this",
            "# channel uses OAuth, so use a backend that speaks XOAUTH2 for it.",
        ]
    if context.signs_in:
        lines += ["# The secret comes from the environment; fill it with:", f"#   {context.fill()}"]
    lines += [
        "import os",
        "",
        'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"',
        f"EMAIL_HOST = {quoted(channel.server.host)}",
        f"EMAIL_PORT = {channel.server.port}",
        "# STARTTLS is EMAIL_USE_TLS, TLS from the first byte EMAIL_USE_SSL: never both True.",
        f"EMAIL_USE_TLS = {context.starttls}",
        f"EMAIL_USE_SSL = {context.implicit_tls}",
        _user(context),
        (
            f'EMAIL_HOST_PASSWORD = os.environ.get("{SECRET_VARIABLE}", "")'
            if context.signs_in
            else 'EMAIL_HOST_PASSWORD = ""'
        ),
        f"EMAIL_TIMEOUT = {channel.server.timeout:g}",
        f"DEFAULT_FROM_EMAIL = {quoted(channel.sender.header)}",
        "SERVER_EMAIL = DEFAULT_FROM_EMAIL",
    ]
    return "\n".join(lines) + "\n"


def _user(context: Context) -> str:
    if context.token_user:  # the token is the user name too (Postmark)
        return f'EMAIL_HOST_USER = os.environ.get("{SECRET_VARIABLE}", "")'
    return f"EMAIL_HOST_USER = {quoted(context.channel.auth.username if context.signs_in else '')}"
