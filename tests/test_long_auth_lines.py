"""AUTH lines up to RFC 4954's 12,288 octets are read whole; longer ones are refused."""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import AsyncIterator

import pytest
from smtp_wire import Wire, b64

from simulator.clock import VirtualClock
from simulator.server import Simulator, in_background
from simulator.state import Account
from simulator.wire import AUTH_LINE_LIMIT

USER = "ana@contoso.com"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(2300)  # over 3 KB
TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"


def xoauth2(user: str, token: str) -> str:
    return b64(f"user={user}\x01auth=Bearer {token}\x01\x01")


@pytest.fixture
async def office() -> AsyncIterator[Simulator]:
    account = Account(USER, tokens=[TOKEN])
    async with Simulator("office365", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        yield sim


async def ready(sim: Simulator) -> Wire:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    return wire


async def test_a_3kb_token_signs_in_as_initial_response(office: Simulator) -> None:
    assert len(TOKEN) > 3000
    wire = await ready(office)
    line = "AUTH XOAUTH2 " + xoauth2(USER, TOKEN)
    assert len(line) > 4000
    assert await wire.ask(line) == "235 2.7.0 Authentication successful"
    assert (await wire.ask(f"MAIL FROM:<{USER}>")).startswith("250")
    await wire.close()


async def test_a_3kb_token_signs_in_as_continuation_line(office: Simulator) -> None:
    wire = await ready(office)
    assert await wire.ask("AUTH XOAUTH2") == "334 "
    assert await wire.ask(xoauth2(USER, TOKEN)) == "235 2.7.0 Authentication successful"
    await wire.close()


async def test_the_limit_is_exactly_12288_octets_with_the_line_end(office: Simulator) -> None:
    wire = await ready(office)
    head = "AUTH XOAUTH2 "
    fits = head + "A" * (AUTH_LINE_LIMIT - len(head) - 2)  # + CRLF = 12,288
    # Read whole and judged: the base64 is well formed but not an XOAUTH2 answer.
    assert (await wire.ask(fits)).startswith("501 ")
    assert await wire.ask(fits + "A") == TOO_LONG
    assert await wire.ask(head + "A" * 100_000) == TOO_LONG  # longer than the reader holds
    # The connection is still in step: a good sign-in follows.
    assert (await wire.ask(head + xoauth2(USER, TOKEN))).startswith("235 ")
    await wire.close()


async def test_a_long_continuation_line_is_refused(office: Simulator) -> None:
    wire = await ready(office)
    assert await wire.ask("AUTH XOAUTH2") == "334 "
    assert await wire.ask("A" * AUTH_LINE_LIMIT) == TOO_LONG
    assert await wire.ask("AUTH XOAUTH2") == "334 "
    assert await wire.ask("A" * 50_000) == TOO_LONG
    assert await wire.ask("NOOP") == "250 2.0.0 OK"
    await wire.close()


async def test_other_commands_keep_their_limit(office: Simulator) -> None:
    wire = await ready(office)
    refused = "500 5.3.3 Unrecognized command '(line too long)' [" + office.profile.host_token
    assert (await wire.ask("NOOP " + "x" * 1100)).startswith(refused)
    assert (await wire.ask("MAIL FROM:<" + "a" * 3000 + "@contoso.com>")).startswith(refused)
    assert (await wire.ask("NOOP " + "x" * 990)) == "250 2.0.0 OK"
    await wire.close()


async def test_the_long_token_is_never_logged(office: Simulator) -> None:
    seen: list[str] = []
    office.subscribe(lambda event: seen.append(event.text))
    wire = await ready(office)
    await wire.ask("AUTH XOAUTH2 " + xoauth2(USER, TOKEN) + "A" * AUTH_LINE_LIMIT)
    await wire.ask("AUTH XOAUTH2")
    await wire.ask(xoauth2(USER, TOKEN))
    await wire.close()
    assert not [text for text in seen if TOKEN[40:80] in text or xoauth2(USER, TOKEN) in text]


def test_smtplib_sends_a_3kb_token() -> None:
    account = Account(USER, tokens=[TOKEN])
    simulator = Simulator("office365", accounts=[account], clock=VirtualClock(speed=0))
    with in_background(simulator) as sim, smtplib.SMTP("127.0.0.1", sim.port) as client:
        client.starttls(context=sim.client_ssl_context())
        client.ehlo()
        code, _ = client.docmd("AUTH", "XOAUTH2 " + xoauth2(USER, TOKEN))
        assert code == 235
        client.sendmail(USER, ["bo@example.org"], "Subject: t\r\n\r\nbody\r\n")
    assert sim.mailbox.messages[0].user == USER
