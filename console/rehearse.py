"""A check rehearsed against the built-in simulator: same code path, host and port swapped."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from console.channel import Channel, allows_anonymous
from console.target import Target
from simulator.clock import VirtualClock
from simulator.profile import Profile
from simulator.profile import load as load_profile_by_id
from simulator.scenario import Scenario
from simulator.server import Simulator
from simulator.state import Account


def simulated_account(channel: Channel, secret: str, profile: Profile) -> Account:
    """The account that makes the channel's own sign-in valid at the simulated provider."""
    domain = channel.sender.address.rpartition("@")[2]
    account = Account(
        channel.auth.username,
        send_as=[channel.sender.address],
        verified_domains=[domain] if domain else [],
    )
    if channel.auth.method == "xoauth2":
        account.tokens.append(secret)
    elif profile.secret_kind == "app-password":
        account.app_password, account.two_step = secret, True
    else:
        account.password = secret
    return account


@contextlib.asynccontextmanager
async def simulated(
    channel: Channel,
    secret: str,
    scenario: Scenario | None = None,
    *,
    clock: VirtualClock | None = None,
) -> AsyncIterator[Simulator]:
    """A running simulator of the channel's provider that accepts the channel's sign-in."""
    profile = load_profile_by_id(channel.provider)
    # A scenario that defines the channel's own user decides how that sign-in fares.
    scripted = {a.username.lower() for a in scenario.accounts} if scenario else set()
    mine = channel.auth.username.lower() in scripted or channel.auth.method == "none"
    own = [] if mine else [simulated_account(channel, secret, profile)]
    simulator = Simulator(
        profile,
        tls_port=0 if channel.server.security == "tls" else None,
        accounts=own,
        scenario=scenario,
        clock=clock,
    )
    async with simulator:
        if channel.auth.method == "none" and allows_anonymous(profile):
            simulator.control("relay_open")
        yield simulator


def retarget(target: Target, simulator: Simulator) -> Target:
    """The same target pointed at the simulator, trusting its CA."""
    port = simulator.tls_port if target.security == "tls" and simulator.tls_port else simulator.port
    return replace(
        target,
        host=simulator.host,
        port=port,
        tls_name=simulator.host,
        tls_context=simulator.client_ssl_context(),
        simulated=True,
    )
