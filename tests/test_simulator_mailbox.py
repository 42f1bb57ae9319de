"""Accepted mail: kept with its envelope and times, in memory and durably in a Maildir."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from smtp_wire import Wire

from simulator.behaviour import header_senders
from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.mailbox import header, parse
from simulator.scenario import Scenario
from simulator.server import Simulator
from simulator.state import Account

ALICE = "alice@contoso.com"
START = 1_790_000_000.0


def body(subject: str, text: str = "Hello.") -> str:
    return f"From: {ALICE}\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\r\n{text}\r\n"


async def send(wire: Wire, data: str, recipients: tuple[str, ...] = ("bob@example.org",)) -> str:
    assert (await wire.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    for recipient in recipients:
        assert (await wire.ask(f"RCPT TO:<{recipient}>")).startswith("250")
    assert (await wire.ask("DATA")).startswith("354")
    await wire.send(data + ".")
    return await wire.reply()


async def signed_in(sim: Simulator) -> Wire:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith("235")
    return wire


def office365(**options: object) -> Simulator:
    clock = VirtualClock(speed=0, start=START)
    return Simulator("office365", accounts=[Account(ALICE, "pw")], clock=clock, **options)  # type: ignore[arg-type]


async def test_message_keeps_envelope_headers_and_times() -> None:
    async with office365() as sim:
        wire = await signed_in(sim)
        stuffed = body("Report", "..leading dot\r\nline")  # the client doubles a leading dot
        reply = await send(wire, stuffed, ("b@x.org", "c@y.org"))
        await wire.close()
        (stored,) = sim.mailbox.messages
        assert reply == f"250 2.0.0 OK queued as {stored.queue_id}"
        assert stored.envelope_from == ALICE
        assert stored.recipients == ("b@x.org", "c@y.org")
        assert stored.subject == "Report"
        assert stored.raw.endswith(b"\r\n.leading dot\r\nline\r\n")
        assert stored.user == ALICE and stored.session == "s1"
        assert stored.accepted_virtual == START == stored.deliver_at_virtual
        assert not stored.delayed and stored.path is None


async def test_maildir_holds_the_message_before_the_250(tmp_path: Path) -> None:
    maildir = tmp_path / "mail"
    async with office365(maildir=maildir) as sim:
        wire = await signed_in(sim)
        assert (await send(wire, body("Durable"))).startswith("250 ")
        files = list((maildir / "new").iterdir())
        assert len(files) == 1, "on disk by the time the client reads 250"
        stored = sim.mailbox.messages[0]
        on_disk = files[0].read_bytes()
        assert on_disk.endswith(b"\r\n" + stored.raw)
        trace = parse(on_disk)
        assert trace["Return-Path"] == f"<{ALICE}>"
        assert trace["X-Simulator-Recipients"] == ", ".join(stored.recipients)
        assert trace["X-Simulator-Session"] == f"s1 {stored.queue_id} user={ALICE}"
        accepted = format_datetime(datetime.fromtimestamp(START, UTC))
        assert trace["X-Simulator-Accepted"] == f"{accepted} (virtual)"
        assert trace["X-Simulator-Deliver-At"].endswith("(virtual)")
        assert sim.mailbox.messages[0].path == files[0]
        assert list((maildir / "tmp").iterdir()) == []
        await wire.close()


async def test_a_message_that_cannot_be_stored_is_not_accepted(tmp_path: Path) -> None:
    maildir = tmp_path / "mail"
    async with office365(maildir=maildir) as sim:
        shutil.rmtree(maildir / "new")
        (maildir / "new").write_text("not a directory")
        wire = await signed_in(sim)
        assert (await send(wire, body("Lost?"))).startswith("451 4.3.0")
        assert sim.mailbox.messages == []
        await wire.close()


async def test_wait_for_returns_when_messages_arrive_and_times_out() -> None:
    async with office365() as sim:
        waiting = asyncio.create_task(sim.mailbox.wait_for(2, timeout=5))
        wire = await signed_in(sim)
        await send(wire, body("one"))
        await send(wire, body("two"))
        assert [m.subject for m in await waiting] == ["one", "two"]
        with pytest.raises(TimeoutError):
            await sim.mailbox.wait_for(3, timeout=0.05)
        await wire.close()


async def test_office365_carries_the_31st_message_over_to_the_next_minute() -> None:
    async with office365() as sim:
        delayed: list[Event] = []
        sim.subscribe(lambda e: delayed.append(e) if e.kind == "delayed" else None)
        wire = await signed_in(sim)
        for n in range(31):
            assert (await send(wire, body(f"n{n}"))).startswith("250 2.0.0 OK queued as ")
        await wire.close()
        messages = sim.mailbox.messages
        assert not any(m.delayed for m in messages[:30])
        assert messages[30].delayed
        assert messages[30].deliver_at_virtual == START + 60
        assert len(delayed) == 1 and "delivery in 60s" in delayed[0].text


async def test_size_limit_is_advertised_and_enforced() -> None:
    scenario = Scenario("office365", accounts=[Account(ALICE, "pw")])
    scenario.limits = {"max_message_bytes": 1000}
    async with Simulator("office365", scenario=scenario) as sim:
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert "250-SIZE 1000" in await wire.ask("EHLO client.test")
        await wire.login(ALICE, "pw")
        too_large = "552 5.3.4 STOREDRV.Submission.Exception:MessageSubmissionExceededException"
        assert (await wire.ask(f"MAIL FROM:<{ALICE}> SIZE=5000")).startswith(too_large)
        assert (await send(wire, body("big", "x" * 2000))).startswith(too_large)
        assert (await send(wire, body("small", "y" * 500))).startswith("250 ")
        await wire.close()
        assert [m.subject for m in sim.mailbox.messages] == ["small"]


async def test_long_body_lines_are_kept_whole() -> None:
    async with office365() as sim:
        wire = await signed_in(sim)
        line = "z" * 5000
        assert (await send(wire, body("long", line))).startswith("250 ")
        assert line.encode() in sim.mailbox.messages[0].raw
        await wire.close()


async def test_bdat_chunks_make_one_message() -> None:
    async with office365() as sim:
        wire = await signed_in(sim)
        await wire.ask(f"MAIL FROM:<{ALICE}> BODY=BINARYMIME")
        await wire.ask("RCPT TO:<bob@example.org>")
        head, tail = body("Chunked").encode()[:30], body("Chunked").encode()[30:]
        wire.writer.write(f"BDAT {len(head)}\r\n".encode() + head)
        assert await wire.reply() == f"250 2.0.0 {len(head)} octets received"
        wire.writer.write(f"BDAT {len(tail)} LAST\r\n".encode() + tail)
        assert (await wire.reply()).startswith("250 2.0.0 OK queued as ")
        assert (await wire.ask("DATA")).startswith("503")
        await wire.close()
        assert sim.mailbox.messages[0].raw == body("Chunked").encode()


async def test_bdat_send_as_denied_at_the_last_chunk() -> None:
    async with office365() as sim:
        wire = await signed_in(sim)
        await wire.ask(f"MAIL FROM:<{ALICE}>")
        await wire.ask("RCPT TO:<bob@example.org>")
        chunk = body("x").replace(f"From: {ALICE}", "From: ceo@contoso.com").encode()
        wire.writer.write(f"BDAT {len(chunk)} LAST\r\n".encode() + chunk)
        assert (await wire.reply()).startswith("554 5.2.252 SendAsDenied")
        await wire.close()
        assert sim.mailbox.messages == []


async def test_bdat_is_unknown_where_chunking_is_not_offered() -> None:
    async with Simulator("sendgrid") as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        assert (await wire.ask("BDAT 0 LAST")).startswith("500")
        await wire.close()


def test_header_reads_folded_and_lf_only_headers() -> None:
    raw = (
        b'Subject: a\r\nFrom: "Doe, Jane"\r\n <jane@example.com>\r\nX: y\r\n'
        b"\r\nFrom: body@x.org\r\n"
    )
    assert header(raw, "from") == '"Doe, Jane" <jane@example.com>'
    assert header(b"from: a@b.c\nSubject: s\n\nbody", "From") == "a@b.c"
    assert header(b"Subject: s\r\n\r\nFrom: not-a-header@x.org\r\n", "From") is None


@pytest.mark.parametrize(
    ("value", "addresses"),
    [
        ("alice@contoso.com", ["alice@contoso.com"]),
        ("Alice <alice@contoso.com>", ["alice@contoso.com"]),
        ('"Doe, Jane" <jane@example.com>', ["jane@example.com"]),
        ("a@x.org, b@y.org", ["a@x.org", "b@y.org"]),
        ("", []),
    ],
)
def test_from_header_addresses(value: str, addresses: list[str]) -> None:
    assert header_senders(value) == addresses
