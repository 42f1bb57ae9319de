"""Protocol leniencies real servers do not have: each gets the RFC's reply or the provider's."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from smtp_wire import Wire

from simulator.server import Simulator, in_background
from simulator.state import Account
from tests.accounts import shaped
from tests.clients import need

ALICE = "alice@contoso.com"
HOST = "AM6PR04CA0018.eurprd04.prod.outlook.com"


async def session(provider: str) -> tuple[Simulator, Wire]:
    user, secret = shaped(provider)
    user = ALICE if provider == "office365" else user
    sim = Simulator(provider, accounts=[Account(user, secret)])
    await sim.start()
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(user, secret)).startswith("235")
    return sim, wire


@pytest.fixture
async def o365() -> AsyncIterator[Wire]:
    sim, wire = await session("office365")
    yield wire
    await wire.close()
    await sim.stop()


async def test_office365_out_of_sequence_texts(o365: Wire) -> None:
    assert (await o365.ask("RCPT TO:<bob@example.org>")).startswith("503 5.5.1 ")
    assert (await o365.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    assert await o365.ask("DATA") == f"503 5.5.2 Need rcpt command [{HOST}]"
    assert (await o365.ask(f"MAIL FROM:<{ALICE}>")).startswith("503 5.5.1 ")
    assert "Send hello first" not in await o365.ask("AUTH LOGIN")


async def test_office365_invalid_ehlo_name_gets_501_5_5_4(o365: Wire) -> None:
    reply = await o365.ask("EHLO MacBook..")
    assert reply.startswith(f"501 5.5.4 Invalid domain name [{HOST} ")


def test_office365_invalid_ehlo_name_with_swaks(tmp_path: Path) -> None:
    swaks = need("swaks")
    with in_background(Simulator("office365")) as sim:
        argv = [swaks, "--server", f"127.0.0.1:{sim.port}", "--ehlo", "bad..name"]
        argv += ["--to", "bob@example.org", "--quit-after", "EHLO", "--timeout", "10"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert "501 5.5.4 Invalid domain name" in done.stdout


@pytest.mark.parametrize(
    ("rcpt", "reply"),
    [
        ("RCPT TO:<not an address>", "553 5.1.3 "),
        ("RCPT TO:<bob@@example.org>", "553 5.1.3 "),
        (b"RCPT TO:<b\x00ob@example.org>", "553 5.1.3 "),
        (b"RCPT TO:<b\x1bob@example.org>", "553 5.1.3 "),
        (b"RCPT TO:<b\xffob@example.org>", "553 5.1.3 "),
        ("RCPT TO:<j\u00f6rg@example.de>", "553 5.6.7 "),
    ],
)
async def test_bad_recipients_are_refused(o365: Wire, rcpt: str | bytes, reply: str) -> None:
    assert (await o365.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    line = rcpt.encode() if isinstance(rcpt, str) else rcpt
    assert (await o365.ask(line)).startswith(reply)


@pytest.mark.parametrize(
    ("mail", "reply"),
    [
        (b"MAIL FROM:<a\x00lice@contoso.com>", "553 5.1.7 "),
        (b"MAIL FROM:<a\x1blice@contoso.com>", "553 5.1.7 "),
        (b"MAIL FROM:<a\xfflice@contoso.com>", "553 5.1.7 "),
        (f"MAIL FROM:<{ALICE}> SIZE=lots".encode(), "501 5.5.4 "),
        (f"MAIL FROM:<{ALICE}> FROB=1".encode(), "555 5.5.4 "),
    ],
)
async def test_bad_senders_and_parameters_are_refused(o365: Wire, mail: bytes, reply: str) -> None:
    assert (await o365.ask(mail)).startswith(reply)


async def test_utf8_address_with_smtputf8_is_taken(o365: Wire) -> None:
    assert (await o365.ask(f"MAIL FROM:<{ALICE}> SMTPUTF8")).startswith("250")
    assert (await o365.ask("RCPT TO:<j\u00f6rg@example.de>".encode())).startswith("250")


async def test_data_after_binarymime_is_refused(o365: Wire) -> None:
    assert (await o365.ask(f"MAIL FROM:<{ALICE}> BODY=BINARYMIME")).startswith("250")
    assert (await o365.ask("RCPT TO:<bob@example.org>")).startswith("250")
    assert (await o365.ask("DATA")).startswith("503 5.5.1 ")


@pytest.mark.parametrize(
    ("provider", "mail"),
    [
        ("gmail", "MAIL FROM:<user@example.com> RET=HDRS"),  # no DSN advertised
        ("sparkpost", "MAIL FROM:<user@example.com> SMTPUTF8"),  # no SMTPUTF8
        ("sparkpost", "MAIL FROM:<user@example.com> BODY=BINARYMIME"),  # no BINARYMIME
        ("sendgrid", "MAIL FROM:<user@example.com> SMTPUTF8"),
    ],
)
async def test_unadvertised_extensions_are_refused(provider: str, mail: str) -> None:
    sim, wire = await session(provider)
    try:
        assert (await wire.ask(mail)).startswith("555")
    finally:
        await wire.close()
        await sim.stop()


async def test_no_enhanced_codes_from_a_provider_that_does_not_advertise_them() -> None:
    sim, wire = await session("sendgrid")
    try:
        assert (await wire.ask("MAIL FROM:<user@example.com>")).startswith("250")
        assert await wire.ask("RCPT TO:<not an address>") == (
            "553 Requested action not taken: mailbox name not allowed"
        )
        assert (await wire.ask("MAIL FROM:<user@example.com>")) == "503 Bad sequence of commands"
    finally:
        await wire.close()
        await sim.stop()
