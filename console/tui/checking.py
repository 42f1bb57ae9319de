"""The rehearsal's check target: the channel's own target, pointed at the simulator."""

from __future__ import annotations

from console.channel import Channel
from console.check import Target, target_for
from console.rehearse import retarget
from simulator.server import Simulator

TEST_RECIPIENT_DOMAIN = "example.com"
REHEARSAL_TIMEOUT = 10.0


def simulated_target(
    channel: Channel, simulator: Simulator, secret: str, recipient: str = ""
) -> Target:
    """The channel as the CLI would check it, with the simulator's address and CA swapped in."""
    live = target_for(
        channel,
        secret,
        recipient=recipient or channel.sender.address or f"test@{TEST_RECIPIENT_DOMAIN}",
        # A rehearsal sends its test message too: refusals after the body (send-as,
        # quota) only show there, and the message lands in the Messages tab.
        send=True,
        timeout=min(channel.server.timeout, REHEARSAL_TIMEOUT),
    )
    return retarget(live, simulator)
