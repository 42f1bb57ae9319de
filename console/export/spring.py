"""Spring Boot's spring.mail.* properties (JavaMail / Jakarta Mail underneath)."""

from __future__ import annotations

from console.export.base import SECRET_VARIABLE, Context

WHERE = "src/main/resources/application.properties"
SUMMARY = "Spring Boot spring.mail.* properties"
PREFIX = "spring.mail.properties.mail.smtp"


def render(context: Context) -> str:
    """The properties; the password is a ${SMTP_PASSWORD} placeholder Spring resolves."""
    channel = context.channel
    millis = int(channel.server.timeout * 1000)
    lines = [
        *context.header("#", WHERE),
        f"spring.mail.host={_escape(channel.server.host)}",
        f"spring.mail.port={channel.server.port}",
        "spring.mail.protocol=smtp",
    ]
    if context.signs_in:
        lines += [
            f"spring.mail.username=${{{SECRET_VARIABLE}}}"  # the token is the user name too
            if context.token_user
            else f"spring.mail.username={_escape(channel.auth.username)}",
            "# Spring reads the secret from the environment; fill it with:",
            f"#   {context.fill()}",
            f"spring.mail.password=${{{SECRET_VARIABLE}}}",
        ]
    lines.append(f"{PREFIX}.auth={'true' if context.signs_in else 'false'}")
    if context.oauth:
        lines.append(f"{PREFIX}.auth.mechanisms=XOAUTH2")
    elif context.signs_in:
        lines.append(f"{PREFIX}.auth.mechanisms={channel.auth.method.upper()}")
    if context.implicit_tls:
        lines.append(f"{PREFIX}.ssl.enable=true")
    elif context.starttls:
        lines += [f"{PREFIX}.starttls.enable=true", f"{PREFIX}.starttls.required=true"]
    lines += [
        f"{PREFIX}.connectiontimeout={millis}",
        f"{PREFIX}.timeout={millis}",
        f"{PREFIX}.writetimeout={millis}",
        f"{PREFIX}.from={_escape(channel.sender.address)}",
    ]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """A .properties value: backslashes doubled, so the value reads back as written."""
    return value.replace("\\", "\\\\")
