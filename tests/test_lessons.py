"""Each shipped lesson tells the story its description promises, through the real simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiosmtplib
import pytest

from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.scenario import load_scenario, resolve_scenario
from simulator.server import Simulator


class Lesson:
    """A lesson's simulator on a frozen clock, moved only by advance()."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.origin = sim.clock.now()
        self.applied = 0
        self._changed = asyncio.Event()
        sim.subscribe(self._seen)

    def _seen(self, event: Event) -> None:
        if event.kind == "control":
            self.applied += 1
            self._changed.set()

    async def advance(self, **span: float) -> None:
        """Move the clock, then wait until the scenario has applied every event now due."""
        self.sim.clock.advance(**span)
        assert self.sim.scenario is not None
        elapsed = self.sim.clock.now() - self.origin
        due = sum(1 for event in self.sim.scenario.events if event.at <= elapsed)
        while self.applied < due:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 2)


@pytest.fixture
async def lesson() -> AsyncIterator[Callable[[str], Awaitable[Lesson]]]:
    """Start a lesson by name (the test moves time itself)."""
    running: list[Simulator] = []

    async def start(name: str) -> Lesson:
        scenario = load_scenario(resolve_scenario(name))
        sim = Simulator(scenario.provider, scenario=scenario, clock=VirtualClock(speed=0))
        await sim.start()
        running.append(sim)
        return Lesson(sim)

    yield start
    for sim in running:
        await sim.stop()


Start = Callable[[str], Awaitable[Lesson]]


async def attempt(
    sim: Simulator,
    user: str,
    secret: str,
    sender: str | None = None,
    *,
    token: bool = False,
    to: str = "x@example.org",
) -> str:
    """Sign in and send one message: "250", or the refusal's code and first line."""
    client = aiosmtplib.SMTP(hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context())
    await client.connect()
    sender = sender or user
    body = f"From: {sender}\r\nTo: {to}\r\nSubject: Lesson\r\n\r\nHi.\r\n"
    try:
        if token:
            await client.auth_xoauth2(user, secret)
        else:
            await client.login(user, secret)
        await client.sendmail(sender, [to], body)
        return "250"
    except aiosmtplib.SMTPRecipientsRefused as error:
        return f"{error.recipients[0].code} {error.recipients[0].message.splitlines()[0]}"
    except aiosmtplib.SMTPResponseException as error:
        return f"{error.code} {error.message.splitlines()[0]}"
    finally:
        client.close()


async def test_password_changed(lesson: Start) -> None:
    story = await lesson("password-changed")
    sim = story.sim
    alice = "alice@contoso.com"
    assert await attempt(sim, alice, "Winter-2026-old") == "250"
    await story.advance(minutes=10)
    assert (await attempt(sim, alice, "Winter-2026-old")).startswith("535 5.7.3")
    assert await attempt(sim, alice, "Summer-2026-new") == "250"


async def test_office365_bulk(lesson: Start) -> None:
    story = await lesson("office365-bulk")
    sim = story.sim
    user, password = "newsletter@contoso.com", "Bulk-Sender-1"
    for _ in range(31):
        assert await attempt(sim, user, password) == "250"
    assert [m.delayed for m in sim.mailbox.messages][-2:] == [False, True]
    await story.advance(minutes=5)
    assert (await attempt(sim, user, password)).startswith("554 5.2.0 STOREDRV")
    await story.advance(days=1)
    assert await attempt(sim, user, password) == "250"


async def test_gmail_no_app_password(lesson: Start) -> None:
    story = await lesson("gmail-no-app-password")
    sim = story.sim
    bob = "bob@example.com"
    assert (await attempt(sim, bob, "bobs-normal-password")).startswith("534 5.7.9")
    assert await attempt(sim, bob, "abcdefghijklmnop") == "250"
    await story.advance(minutes=30)
    assert (await attempt(sim, bob, "abcdefghijklmnop")).startswith("535")


async def test_tenant_disables_smtp_auth(lesson: Start) -> None:
    story = await lesson("tenant-disables-smtp-auth")
    sim = story.sim
    carol, password = "carol@contoso.com", "Carol-Pass-2026"
    assert await attempt(sim, carol, password) == "250"
    await story.advance(minutes=5)
    refused = await attempt(sim, carol, password)
    assert refused.startswith("535 5.7.139") and "SmtpClientAuthentication" in refused
    await story.advance(minutes=15)
    assert await attempt(sim, carol, password) == "250"


async def test_basic_auth_retired(lesson: Start) -> None:
    story = await lesson("basic-auth-retired")
    sim = story.sim
    dave = "dave@contoso.com"
    assert await attempt(sim, dave, "Dave-Pass-2026") == "250"
    await story.advance(minutes=10)
    assert (await attempt(sim, dave, "Dave-Pass-2026")).startswith("550 5.7.30")
    assert await attempt(sim, dave, "dave-oauth-access-token", token=True) == "250"


async def test_flaky_relay_greylists_then_stops(lesson: Start) -> None:
    story = await lesson("flaky-relay")
    sim = story.sim
    sim.faults.config.disconnect_probability = 0.0  # the drops are covered elsewhere
    sim.faults.config.injections.clear()
    sim.faults.config.latency = sim.faults.config.latency_jitter = 0.0
    user, password = "app@example.com", "Relay-Pass-2026"
    assert (await attempt(sim, user, password)).startswith("451 4.7.1")
    await story.advance(minutes=5)
    assert await attempt(sim, user, password) == "250"
    await story.advance(minutes=55)
    assert not sim.state.greylisting
    assert await attempt(sim, user, password, "other@example.com") == "250"


async def test_ses_sandbox(lesson: Start) -> None:
    story = await lesson("ses-sandbox")
    sim = story.sim
    user, password = "AKIAEXAMPLESMTPUSER1", "BExampleSmtpPasswordDerivedFromIam0123456789"
    verified = "ops@example.com"  # the sandbox takes only verified recipients

    async def send(sender: str, to: str = verified) -> str:
        return await attempt(sim, user, password, sender, to=to)

    unverified = await send("me@elsewhere.org")
    assert unverified.startswith("554 Message rejected: Email address is not verified")
    await story.advance(seconds=1)
    outsider = await send("app@example.com", to="x@example.org")
    assert outsider == (
        "554 Message rejected: Email address is not verified. The following identities "
        "failed the check in region US-EAST-1: x@example.org"
    )
    await story.advance(seconds=1)
    assert await send("app@example.com") == "250"
    assert (await send("app@example.com")).startswith(
        "454 Throttling failure: Maximum sending rate exceeded"
    )
    await story.advance(seconds=1)
    assert await send("app@example.com") == "250"
    await story.advance(minutes=30)
    assert (await send("app@example.com")).startswith(
        "454 Throttling failure: Daily message quota exceeded"
    )
