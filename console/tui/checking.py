"""Turn the edited channel into a check target: against the simulator or the real server."""

from __future__ import annotations

from console.channel import Channel
from console.check import Target
from simulator.server import Simulator

TEST_RECIPIENT_DOMAIN = "example.com"


def live_target(channel: Channel, secret: str) -> Target:
    """The channel exactly as configured, against its real server."""
    return Target(
        host=channel.server.host,
        port=channel.server.port,
        security=channel.server.security,
        sender=channel.sender.address,
        method=channel.auth.method,
        username=channel.auth.username,
        secret=secret,
        recipient=channel.sender.address,
        sender_header=channel.sender.header,
        timeout=channel.server.timeout,
        provider=channel.provider,
        channel_name=channel.name,
    )


def simulated_target(channel: Channel, simulator: Simulator, secret: str) -> Target:
    """The same channel with host and port swapped for the simulator's, its CA trusted."""
    implicit = channel.server.security == "tls"
    port = simulator.tls_port if implicit and simulator.tls_port else simulator.port
    return Target(
        host=simulator.host,
        port=port,
        security=channel.server.security,
        sender=channel.sender.address,
        method=channel.auth.method,
        username=channel.auth.username,
        secret=secret,
        recipient=channel.sender.address or f"test@{TEST_RECIPIENT_DOMAIN}",
        sender_header=channel.sender.header,
        timeout=min(channel.server.timeout, 10.0),
        provider=channel.provider,
        tls_context=simulator.client_ssl_context(),
        channel_name=channel.name,
        simulated=True,
        # A rehearsal sends its test message too: refusals after the body (send-as,
        # quota) only show there, and the message lands in the Messages tab.
        send=True,
    )
