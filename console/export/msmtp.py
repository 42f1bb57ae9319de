"""msmtp: one account block; the password comes from passwordeval, never inline."""

from __future__ import annotations

from console.export.base import Context

WHERE = "~/.msmtprc or /etc/msmtprc (keep it mode 0600); send with: msmtp -a ACCOUNT"
SUMMARY = "an msmtp account block (password by passwordeval)"


def render(context: Context) -> str:
    """The account block, named after the channel."""
    channel = context.channel
    server = channel.server
    tls = server.security != "none"
    lines = [
        *context.header("#", WHERE),
        f"account {channel.name}",
        f"host {_value(server.host)}",
        f"port {server.port}",
        f"tls {'on' if tls else 'off'}",
    ]
    if tls:
        # tls_starttls off means TLS from the first byte (implicit TLS, port 465 style).
        lines += [f"tls_starttls {'on' if context.starttls else 'off'}", "tls_trust_file system"]
    if context.signs_in:
        lines.append(f"auth {channel.auth.method}")
        if context.token_user:
            # The user name is the secret too: eval writes the line from the secret store.
            lines.append(f"eval printf 'user %s\\n' \"$({context.secret_command})\"")
        else:
            lines.append(f"user {_value(channel.auth.username)}")
        lines.append(f"passwordeval {context.secret_command}")
    else:
        lines.append("auth off")
    if channel.sender.address:
        lines.append(f"from {_value(channel.sender.address)}")
    else:
        lines.append("# from: the channel has no From address yet; msmtp needs one")
    lines.append(f"timeout {server.timeout:g}")
    lines.append(f"# To make it the default account: account default : {channel.name}")
    return "\n".join(lines) + "\n"


def _value(text: str) -> str:
    """A value msmtp reads back as written: double-quoted when it has spaces or quotes."""
    if text and not any(c.isspace() or c in '"#' for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
