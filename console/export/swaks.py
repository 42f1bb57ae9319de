"""swaks: one command line that sends a test message the way the channel would."""

from __future__ import annotations

import shlex

from console.export.base import Context

WHERE = "a shell, to send one test message by hand (set TO to the recipient first)"
SUMMARY = "a swaks command line for a manual test"


def render(context: Context) -> str:
    """The command; the secret reaches swaks through its environment, never its arguments."""
    channel = context.channel
    server = channel.server
    lines = context.header("#", WHERE)
    argv = ["swaks", "--server", server.host, "--port", str(server.port)]
    argv += {"tls": ["--tls-on-connect"], "starttls": ["--tls"], "none": []}[server.security]
    prefix = ""
    if context.oauth:
        lines.append("# swaks cannot sign in with OAuth: this command tests the connection only.")
    elif context.signs_in:
        argv += ["--auth", channel.auth.method.upper()]
        prefix = f'SWAKS_OPT_auth_password="$({context.secret_command})" \\\n  '
        if context.token_user:  # the user name is the secret too, so it also comes from there
            prefix = f'SWAKS_OPT_auth_user="$({context.secret_command})" \\\n  {prefix}'
        else:
            argv += ["--auth-user", channel.auth.username]
    argv += ["--from", channel.sender.address, "--timeout", f"{server.timeout:g}"]
    argv += ["--header", f"Subject: smtp-console test of {channel.name}"]
    command = " ".join(shlex.quote(part) for part in argv)
    lines.append(f'{prefix}{command} --to "${{TO:?set TO to the recipient}}"')
    return "\n".join(lines) + "\n"
