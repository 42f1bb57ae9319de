"""A check rehearsed against the built-in simulator: same code path, host and port swapped."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import replace

from console.channel import (
    Channel,
    ServerSettings,
    allows_anonymous,
    endpoint_problem,
    login_name,
)
from console.target import Target
from simulator.clock import VirtualClock
from simulator.profile import Profile
from simulator.profile import load as load_profile_by_id
from simulator.scenario import Scenario, TimedEvent
from simulator.server import Simulator
from simulator.state import Account

KEEP = 1000  # messages a rehearsal holds in memory (a burst counts them as they arrive)


def simulated_account(channel: Channel, secret: str, profile: Profile) -> Account:
    """The account that makes the channel's own sign-in valid at the simulated provider."""
    domain = channel.sender.address.rpartition("@")[2]
    account = Account(
        login_name(channel, secret, profile),
        send_as=[channel.sender.address],
        verified_domains=[domain] if domain else [],
    )
    if channel.signs_in_with_oauth:
        pass  # the simulated sign-in service issues the tokens this account accepts
    elif channel.auth.method == "xoauth2":
        account.tokens.append(secret)
    else:
        grant_secret(account, secret, profile)
    return account


def grant_secret(account: Account, secret: str, profile: Profile) -> None:
    """Give the account this secret as the provider would hold it.

    Where only app passwords sign in (Gmail), a secret of another shape is the account's
    own password on a 2-Step account: the provider answers it with its app-password refusal.
    A legacy account (a lesson's) keeps it as the password that still signs in.
    """
    rules = profile.credentials
    if rules.password_sign_in or account.legacy:
        account.password = secret
        return
    account.two_step = True
    if rules.is_app_password(secret):
        account.password, account.app_password = None, secret
    else:
        account.password, account.app_password = secret, None


def stand_in_secret(channel: Channel, profile: Profile) -> str:
    """A secret of the shape the provider issues, for a rehearsal without the real one."""
    rules = profile.credentials
    if rules.username_is_secret and channel.auth.username:
        return channel.auth.username
    if rules.app_password_pattern:
        return "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
    return secrets.token_urlsafe(16)


@contextlib.asynccontextmanager
async def simulated(
    channel: Channel,
    secret: str,
    scenario: Scenario | None = None,
    *,
    clock: VirtualClock | None = None,
    at: float | None = None,
) -> AsyncIterator[Simulator]:
    """A running simulator of the channel's provider that accepts the channel's sign-in.

    With a lesson, its main account signs in as the channel does, and the lesson is
    moved on to `at` (by default to just after its first event, where its failure shows).
    """
    profile = load_profile_by_id(channel.provider)
    if scenario is not None and scenario.provider == profile.id:
        scenario = for_channel(scenario, channel, secret, profile)
    # A scenario that defines the channel's own user decides how that sign-in fares.
    scripted = {a.username.lower() for a in scenario.accounts} if scenario else set()
    user = login_name(channel, secret, profile)
    mine = user.lower() in scripted or channel.auth.method == "none"
    own = [] if mine else [simulated_account(channel, secret, profile)]
    server = channel.server
    missing = endpoint_problem(server, profile)
    # A port the provider has, with other security, is served as the provider serves it.
    actual = next((e.security for e in profile.endpoints if e.port == server.port), None)
    wants_tls = server.security == "tls" if missing is None or actual is None else actual == "tls"
    simulator = Simulator(
        profile,
        tls_port=0 if wants_tls else None,
        accounts=own,
        scenario=scenario,
        clock=clock,
        silent_port=0 if missing and actual is None else None,
        silent_reason=missing or "",
        keep=KEEP,
    )
    async with simulator:
        if channel.auth.method == "none" and allows_anonymous(profile):
            simulator.control("relay_open")
        if scenario is not None:
            await move_to(simulator, failure_point(scenario) if at is None else at)
        yield simulator


def for_channel(scenario: Scenario, channel: Channel, secret: str, profile: Profile) -> Scenario:
    """The lesson played against the channel: its main account becomes the channel's sign-in."""
    if not scenario.accounts or channel.auth.method == "none":
        return scenario
    main, user = scenario.accounts[0], login_name(channel, secret, profile)
    account = copy.deepcopy(main)
    account.username = user
    if channel.auth.method == "xoauth2":
        account.tokens = [secret]
    else:
        account.password = account.app_password = None
        grant_secret(account, secret, profile)
        account.two_step = account.two_step or main.two_step
    address = channel.sender.address
    if address and not account.may_send_as(address):
        account.send_as.append(address)
    others = [a for a in scenario.accounts[1:] if a.username.lower() != user.lower()]

    def mine(event: TimedEvent) -> TimedEvent:
        same = event.user is not None and event.user.lower() == main.username.lower()
        return replace(event, user=user) if same else event

    events = [mine(e) for e in scenario.events]
    return replace(scenario, accounts=[account, *others], events=events)


def failure_point(scenario: Scenario) -> float:
    """When a lesson's failure shows: a second after its first event (0 without events)."""
    return min(e.at for e in scenario.events) + 1 if scenario.events else 0.0


async def move_to(simulator: Simulator, at: float) -> None:
    """Jump the lesson's clock to `at` seconds in and let its events due by then happen."""
    if at <= 0:
        return
    for _ in range(3):  # the scenario task first takes its start time from the clock
        await asyncio.sleep(0)
    simulator.clock.advance(seconds=at)
    due = sum(1 for e in (simulator.scenario.events if simulator.scenario else []) if e.at <= at)
    for _ in range(4 * due + 4):  # each due event wakes the scenario task once more
        await asyncio.sleep(0)


def retarget(target: Target, simulator: Simulator) -> Target:
    """The same target pointed at the simulator, trusting its CA."""
    return replace(
        target,
        host=simulator.host,
        port=simulated_port(target, simulator),
        tls_name=simulator.host,
        tls_context=simulator.client_ssl_context(),
        simulated=True,
    )


def simulated_port(target: Target, simulator: Simulator) -> int:
    """The simulator's port that answers as the provider answers on the channel's port."""
    profile = simulator.profile
    server = ServerSettings(target.host, target.port, target.security)  # type: ignore[arg-type]
    served = [e.security for e in profile.endpoints if e.port == target.port]
    if endpoint_problem(server, profile) and not served:  # a port it lacks: nobody answers
        if simulator.silent_port is not None:
            return simulator.silent_port
        if simulator.unserved_reason and simulator.tls_port:
            return simulator.tls_port  # held silent too, for a provider without implicit TLS
    security = served[0] if served and endpoint_problem(server, profile) else target.security
    if security == "tls" and simulator.tls_port:
        return simulator.tls_port
    return simulator.port
