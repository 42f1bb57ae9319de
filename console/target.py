"""What a check or burst talks to and sends: the target and the test message."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from console.channel import Channel, login_name


@dataclass(frozen=True)
class Target:
    """Everything one check needs: where to connect, how to sign in, who sends."""

    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    sender: str
    method: str = "none"  # a key of console.sasl.MECHANISMS, or "none"
    username: str = field(default="", repr=False)  # it may be the secret (Postmark)
    secret: str = field(default="", repr=False)
    recipient: str | None = None
    sender_header: str = ""
    timeout: float = 30.0
    provider: str | None = None
    tls_name: str | None = None  # the name the certificate must carry (default: host)
    tls_context: ssl.SSLContext | None = field(default=None, repr=False)
    insecure: bool = False
    send: bool = False
    channel_name: str = ""
    simulated: bool = False
    # OAuth: a fresh access token when the server refuses the one held (expired by its clock).
    renew: Callable[[], Awaitable[str]] | None = field(default=None, repr=False, compare=False)


def target_for(
    channel: Channel,
    secret: str,
    *,
    recipient: str | None = None,
    send: bool = False,
    timeout: float | None = None,
    insecure: bool = False,
) -> Target:
    """The live target a channel describes."""
    return Target(
        host=channel.server.host,
        port=channel.server.port,
        security=channel.server.security,
        sender=channel.sender.address,
        method=channel.auth.method,
        username=login_name(channel, secret),
        secret=secret,
        recipient=recipient,
        sender_header=channel.sender.header,
        timeout=timeout if timeout is not None else channel.server.timeout,
        provider=channel.provider,
        insecure=insecure,
        send=send,
        channel_name=channel.name,
    )


def compose_message(target: Target, subject: str, text: str) -> EmailMessage:
    """A plain-text test message from the target's sender to its recipient (or itself)."""
    message = EmailMessage()
    message["From"] = target.sender_header or target.sender
    message["To"] = target.recipient or target.sender
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain=target.sender.rpartition("@")[2] or None)
    message.set_content(text)
    return message
