"""The dialogue, stage by stage: Office 365 in detail, then every profile's essentials."""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
from smtp_wire import Wire, b64, matches

from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.faults import FaultConfig
from simulator.profile import Profile, load_all
from simulator.scenario import Scenario, TimedEvent
from simulator.server import Simulator
from simulator.state import Account
from tests.accounts import SENDER, shaped

START = 1_790_000_000.0  # a fixed virtual start, so dates in replies are stable
HOST = "AM6PR04CA0018.eurprd04.prod.outlook.com"
ALICE = "alice@contoso.com"
MESSAGE = f"From: {ALICE}\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\nHi Bob.\r\n"


def frozen() -> VirtualClock:
    return VirtualClock(speed=0, start=START)


@pytest.fixture
async def o365() -> AsyncIterator[Simulator]:
    async with Simulator("office365", accounts=[Account(ALICE, "pw")], clock=frozen()) as sim:
        yield sim


async def signed_in(sim: Simulator, user: str = ALICE, password: str = "pw") -> Wire:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(user, password)).startswith("235")
    return wire


async def test_office365_greeting_and_ehlo_before_tls(o365: Simulator) -> None:
    wire = await Wire.open(o365.port)
    greeting = await wire.reply()
    assert greeting.startswith(f"220 {HOST} Microsoft ESMTP MAIL Service ready at ")
    ehlo = (await wire.ask("EHLO client.test")).split("\r\n")
    assert ehlo[0] == f"250-{HOST} Hello [127.0.0.1]"
    assert [line[4:] for line in ehlo[1:]] == [
        "SIZE 157286400",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
        "8BITMIME",
        "BINARYMIME",
        "CHUNKING",
        "SMTPUTF8",
    ]
    assert ehlo[-1] == "250 SMTPUTF8"
    await wire.close()


async def test_office365_refuses_mail_and_auth_before_starttls(o365: Simulator) -> None:
    wire = await Wire.open(o365.port)
    await wire.reply()
    await wire.ask("EHLO client.test")
    auth = await wire.ask("AUTH LOGIN")
    assert auth == f"504 5.7.4 Unrecognized authentication type [{HOST}]"
    mail = await wire.ask(f"MAIL FROM:<{ALICE}>")
    assert mail.startswith(f"451 5.7.3 STARTTLS is required to send mail [{HOST} 2026-")
    await wire.close()


async def test_office365_after_starttls(o365: Simulator) -> None:
    wire = await Wire.open(o365.port)
    await wire.ready(o365.port, o365.client_ssl_context())
    ehlo = await wire.ask("EHLO client.test")
    assert "250-AUTH LOGIN XOAUTH2" in ehlo.split("\r\n")
    assert "STARTTLS" not in ehlo
    assert await wire.ask("AUTH PLAIN " + b64(f"\0{ALICE}\0pw")) == (
        f"504 5.7.4 Unrecognized authentication type [{HOST}]"
    )
    mail = await wire.ask(f"MAIL FROM:<{ALICE}>")
    assert mail.startswith(f"530 5.7.57 Client not authenticated to send mail. [{HOST} ")
    assert await wire.login(ALICE, "wrong") == f"535 5.7.3 Authentication unsuccessful [{HOST}]"
    assert await wire.login(ALICE, "pw") == "235 2.7.0 Authentication successful"
    await wire.close()


async def test_office365_sequence_and_unknown_commands(o365: Simulator) -> None:
    wire = await Wire.open(o365.port)
    await wire.reply()
    assert await wire.ask(f"MAIL FROM:<{ALICE}>") == f"503 5.5.2 Send hello first [{HOST}]"
    assert await wire.ask("FOO bar") == f"500 5.3.3 Unrecognized command 'FOO' [{HOST}]"
    assert (await wire.ask("EHLO")).startswith(f"501 5.5.4 Invalid domain name [{HOST} ")
    assert await wire.ask("QUIT") == "221 2.0.0 Service closing transmission channel"
    await wire.close()


async def test_office365_send_as_denied_after_data_with_aiosmtplib(o365: Simulator) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=o365.port, start_tls=False)
    await client.connect()
    await client.starttls(tls_context=o365.client_ssl_context())
    await client.login(ALICE, "pw")
    assert (await client.mail("sales@contoso.com")).code == 250
    assert (await client.rcpt("bob@example.org")).code == 250
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await client.data(MESSAGE.replace(f"From: {ALICE}", "From: sales@contoso.com"))
    assert refused.value.code == 554
    assert refused.value.message.startswith(
        f"5.2.252 SendAsDenied; {ALICE} not allowed to send as sales@contoso.com; "
        "STOREDRV.Submission.Exception:SendAsDeniedException"
    )
    errors, _ = await client.sendmail(ALICE, ["bob@example.org"], MESSAGE)
    assert errors == {}
    await client.quit()
    assert [m.envelope_from for m in o365.mailbox.messages] == [ALICE]


async def test_office365_send_as_checks_the_from_header(o365: Simulator) -> None:
    wire = await signed_in(o365)
    assert (await wire.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("250")
    assert (await wire.ask("DATA")).startswith("354")
    await wire.send("From: Boss <ceo@contoso.com>\r\n\r\nPay this invoice.\r\n.")
    assert (await wire.reply()).startswith(
        f"554 5.2.252 SendAsDenied; {ALICE} not allowed to send as ceo@contoso.com;"
    )
    await wire.close()
    assert o365.mailbox.messages == []


async def test_office365_send_as_rights_allow_another_address() -> None:
    alice = Account(ALICE, "pw", send_as=["sales@contoso.com"])
    async with Simulator("office365", accounts=[alice], clock=frozen()) as sim:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sim.port, start_tls=False)
        await client.connect()
        await client.starttls(tls_context=sim.client_ssl_context())
        await client.login(ALICE, "pw")
        await client.sendmail("sales@contoso.com", ["bob@example.org"], MESSAGE)
        await client.quit()
        assert sim.mailbox.messages[0].envelope_from == "sales@contoso.com"


async def test_office365_with_smtplib(o365: Simulator) -> None:
    context = o365.client_ssl_context()

    def conversation() -> tuple[int, bytes, int, bytes]:
        with smtplib.SMTP("127.0.0.1", o365.port, timeout=5) as client:
            client.ehlo("client.test")
            assert client.has_extn("starttls") and not client.has_extn("auth")
            code, text = client.mail(ALICE)
            client.rset()
            client.starttls(context=context)
            client.ehlo("client.test")
            assert client.esmtp_features["auth"] == " LOGIN XOAUTH2"
            client.login(ALICE, "pw")
            client.sendmail(ALICE, ["bob@example.org"], MESSAGE)
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail(ALICE, ["bob@example.org"], "From: x@contoso.com\r\n\r\nHi\r\n")
            return code, text, refused.value.smtp_code, refused.value.smtp_error

    code, text, refused_code, refused_text = await asyncio.to_thread(conversation)
    assert (code, text[:40]) == (451, b"5.7.3 STARTTLS is required to send mail ")
    assert refused_code == 554 and refused_text.startswith(b"5.2.252 SendAsDenied")
    assert len(o365.mailbox.messages) == 1


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            "disable_smtp_auth",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant.",
        ),
        (
            "disable_basic_auth",
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        ),
        (
            "security_defaults_on",
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
            "security defaults policy.",
        ),
        ("retire_basic_auth", "550 5.7.30 Basic authentication is not supported"),
        ("rotate_password", "535 5.7.3 Authentication unsuccessful"),
    ],
)
async def test_office365_controls_change_the_auth_reply(
    o365: Simulator, action: str, expected: str
) -> None:
    seen: list[Event] = []
    o365.subscribe(seen.append)
    o365.control(action, ALICE if action == "rotate_password" else None, "new-secret")
    wire = await Wire.open(o365.port)
    await wire.ready(o365.port, o365.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith(expected)
    await wire.close()
    control = next(e for e in seen if e.kind == "control")
    assert control.text.startswith(action) and "new-secret" not in control.text


async def test_office365_daily_quota_is_refused_after_data_then_lifts(o365: Simulator) -> None:
    o365.control("use_up_quota", ALICE)
    wire = await signed_in(o365)
    assert (await wire.ask(f"MAIL FROM:<{ALICE}>")).startswith("250 2.1.0")
    assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("250 2.1.5")
    assert (await wire.ask("DATA")).startswith("354")
    await wire.send(MESSAGE + ".")
    assert (await wire.reply()).startswith(
        "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    )
    o365.clock.advance(days=1)
    assert (await wire.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("250")
    assert (await wire.ask("DATA")).startswith("354")
    await wire.send(MESSAGE + ".")
    assert (await wire.reply()).startswith("250 2.0.0 OK queued as ")
    await wire.close()


async def test_office365_fourth_connection_gets_432_at_data(o365: Simulator) -> None:
    wires = [await signed_in(o365) for _ in range(4)]
    fourth = wires[-1]
    assert (await fourth.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    assert (await fourth.ask("RCPT TO:<bob@example.org>")).startswith("250")
    assert await fourth.ask("DATA") == "432 4.3.2 Concurrent connections limit exceeded"
    await wires[0].ask("QUIT")
    await wires[0].close()
    fifth = await signed_in(o365)
    assert (await fifth.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
    assert (await fifth.ask("RCPT TO:<bob@example.org>")).startswith("250")
    assert (await fifth.ask("DATA")).startswith("354")
    for wire in [*wires[1:], fifth]:
        await wire.close()


async def test_recipients_per_message_limit() -> None:
    scenario = Scenario("office365", accounts=[Account(ALICE, "pw")])
    scenario.limits = {"recipients_per_message": 2}
    async with Simulator("office365", scenario=scenario, clock=frozen()) as sim:
        wire = await signed_in(sim)
        await wire.ask(f"MAIL FROM:<{ALICE}>")
        assert (await wire.ask("RCPT TO:<a@example.org>")).startswith("250")
        assert (await wire.ask("RCPT TO:<b@example.org>")).startswith("250")
        assert (await wire.ask("RCPT TO:<c@example.org>")) == "452 4.5.3 Too many recipients"
        await wire.close()


async def test_greylisting_defers_the_first_attempt(o365: Simulator) -> None:
    o365.control("greylisting_on")
    wire = await signed_in(o365)
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("451 4.7.1")
    o365.clock.advance(minutes=6)
    assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("250")
    await wire.close()


async def test_scenario_events_run_on_the_virtual_clock() -> None:
    scenario = Scenario(
        "office365",
        accounts=[Account(ALICE, "pw")],
        events=[TimedEvent(600, "rotate_password", ALICE, "spring", "IT changed it")],
    )
    async with Simulator("office365", scenario=scenario, clock=frozen()) as sim:
        applied = asyncio.Event()
        sim.subscribe(lambda event: applied.set() if event.kind == "control" else None)
        wire = await signed_in(sim)
        await wire.close()
        sim.clock.advance(minutes=10)
        await asyncio.wait_for(applied.wait(), 5)
        assert any(e.kind == "scenario" and e.text == "IT changed it" for e in sim.events.recent)
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert (await wire.login(ALICE, "pw")).startswith("535 5.7.3")
        assert (await wire.login(ALICE, "spring")).startswith("235")
        await wire.close()


async def transcript(seed: int) -> list[str]:
    faults = FaultConfig(latency=0.0)
    scenario = Scenario("office365", accounts=[Account(ALICE, "pw")], faults=faults, seed=seed)
    async with Simulator("office365", scenario=scenario, clock=frozen()) as sim:
        wire = await signed_in(sim)
        for _ in range(2):
            await wire.ask(f"MAIL FROM:<{ALICE}>")
            await wire.ask("RCPT TO:<bob@example.org>")
            await wire.ask("DATA")
            await wire.send(MESSAGE + ".")
            await wire.reply()
        await wire.ask("QUIT")
        return [e.text for e in sim.events.recent if e.kind == "reply"]


async def test_same_seed_same_dialogue() -> None:
    first, again, other = await transcript(7), await transcript(7), await transcript(8)
    assert first == again
    assert first != other


PROFILES = load_all()


def extensions(ehlo: str) -> list[str]:
    """The EHLO reply's extension lines, exactly as sent."""
    return [line[4:] for line in ehlo.split("\r\n")[1:]]


def password_mechanism(profile: Profile) -> str:
    return next(m for m in ("LOGIN", "PLAIN") if m in profile.mechanisms)


async def sign_in(wire: Wire, profile: Profile, user: str, password: str) -> str:
    if password_mechanism(profile) == "LOGIN":
        return await wire.login(user, password)
    return await wire.ask("AUTH PLAIN " + b64(f"\0{user}\0{password}"))


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
async def test_every_profile_speaks_its_own_replies(profile: Profile) -> None:
    user, secret = shaped(profile.id)
    async with Simulator(profile, accounts=[Account(user, secret)], clock=frozen()) as sim:
        wire = await Wire.open(sim.port)
        assert matches(profile, "greeting", await wire.reply())
        ehlo = await wire.ask("EHLO client.test")
        assert extensions(ehlo) == list(profile.ehlo_before_tls)
        assert (await wire.ask("STARTTLS")).startswith("220")
        await wire.starttls(sim.client_ssl_context())
        assert extensions(await wire.ask("EHLO client.test")) == list(profile.ehlo_after_tls)
        assert matches(profile, "auth_required", await wire.ask("MAIL FROM:<user@example.com>"))
        assert matches(profile, "auth_failed", await sign_in(wire, profile, user, "nope"))
        assert matches(profile, "auth_ok", await sign_in(wire, profile, user, secret))
        assert matches(profile, "mail_ok", await wire.ask("MAIL FROM:<user@example.com>"))
        assert matches(profile, "rcpt_ok", await wire.ask("RCPT TO:<someone@example.org>"))
        assert matches(profile, "data_start", await wire.ask("DATA"))
        await wire.send("From: user@example.com\r\nSubject: hi\r\n\r\nHello.\r\n.")
        assert matches(profile, "data_ok", await wire.reply())
        assert matches(profile, "quit", await wire.ask("QUIT"))
        await wire.close()
        assert len(sim.mailbox.messages) == 1


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
async def test_every_profile_with_aiosmtplib(profile: Profile) -> None:
    user, secret = shaped(profile.id)
    async with Simulator(profile, accounts=[Account(user, secret)], clock=frozen()) as sim:
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=sim.port, tls_context=sim.client_ssl_context()
        )
        await client.connect()
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
            await client.login(user, "nope")
        assert refused.value.code == profile.reply("auth_failed").code
        await client.login(user, secret)
        await client.sendmail(SENDER, ["someone@example.org"], "Subject: hi\r\n\r\nHello.\r\n")
        await client.quit()
        assert sim.mailbox.messages[0].recipients == ("someone@example.org",)


DOMAIN_SCOPED = [p for p in PROFILES.values() if p.sender_policy == "domain"]


@pytest.mark.parametrize("profile", DOMAIN_SCOPED, ids=[p.id for p in DOMAIN_SCOPED])
async def test_unverified_sender_is_refused_at_the_providers_stage(profile: Profile) -> None:
    user, secret = shaped(profile.id)
    account = Account(user, secret, verified_domains=["example.com"])
    async with Simulator(profile, accounts=[account], clock=frozen()) as sim:
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert matches(profile, "auth_ok", await sign_in(wire, profile, user, secret))
        stage = profile.reply("sender_unverified").stage
        replies = [await wire.ask("MAIL FROM:<news@other.org>")]
        if replies[-1].startswith("250"):
            replies.append(await wire.ask("RCPT TO:<someone@example.org>"))
        if replies[-1].startswith("250"):
            replies.append(await wire.ask("DATA"))
        if replies[-1].startswith("354"):
            replies.append(await wire.ask("From: news@other.org\r\n\r\nHi\r\n."))
        refused_at = ["mail", "rcpt", "data", "dot"][len(replies) - 1]
        assert matches(profile, "sender_unverified", replies[-1])
        assert refused_at == (stage if stage in ("mail", "rcpt", "data", "dot") else "mail")
        if "{domain}" in profile.reply("sender_unverified").text:
            assert "other.org" in replies[-1]
        assert (await wire.ask("MAIL FROM:<news@example.com>")).startswith("250")
        await wire.close()
        assert sim.mailbox.messages == []


@pytest.mark.parametrize("profile", PROFILES.values(), ids=list(PROFILES))
async def test_every_profile_with_smtplib(profile: Profile) -> None:
    user, secret = shaped(profile.id)
    async with Simulator(profile, accounts=[Account(user, secret)], clock=frozen()) as sim:
        context = sim.client_ssl_context()

        def conversation() -> int:
            with smtplib.SMTP("127.0.0.1", sim.port, timeout=5) as client:
                client.starttls(context=context)
                with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                    client.login(user, "nope")
                client.login(user, secret)
                client.sendmail(SENDER, ["someone@example.org"], "Subject: hi\r\n\r\nHello.\r\n")
                return refused.value.smtp_code

        assert await asyncio.to_thread(conversation) == profile.reply("auth_failed").code
        assert sim.mailbox.messages[0].envelope_from == SENDER


async def test_session_tokens_have_each_providers_shape() -> None:
    shapes = {
        "gmail": r"[a-z]\d\dsm\d{7}[a-z]{3}\.\d\d",
        "office365": r"08D[0-9A-F]{13}",
        "amazon-ses": r"[A-Za-z0-9]{20}",
    }
    for provider, shape in shapes.items():
        tokens = []
        for seed in (1, 2):
            async with Simulator(provider, clock=frozen(), seed=seed) as sim:
                wire = await Wire.open(sim.port)
                replies = [await wire.reply(), await wire.ask("EHLO client.test")]
                replies.append(await wire.ask("MAIL FROM:<a@example.com>"))
                await wire.close()
            found = set(re.findall(rf"\b{shape}\b", "\n".join(replies)))
            assert len(found) == 1, (provider, replies)
            tokens.append(found.pop())
        assert tokens[0] != tokens[1], provider


async def test_sparkpost_ehlo_names_the_clients_address_and_port() -> None:
    async with Simulator("sparkpost", clock=frozen()) as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        ehlo = await wire.ask("EHLO client.test")
        host, port = wire.writer.get_extra_info("sockname")[:2]
        await wire.close()
    assert ehlo.split("\r\n")[0].endswith(f" says EHLO to {host}:{port}")


def test_explicit_seed_and_clock_speed_win_over_the_scenarios() -> None:
    scenario = Scenario(provider="office365", clock_speed=60, seed=7)
    assert (Simulator("office365", scenario=scenario).seed, Simulator("office365").seed) == (7, 0)
    chosen = Simulator("office365", scenario=scenario, seed=0, clock_speed=1.0)
    assert (chosen.seed, chosen.clock.speed) == (0, 1.0)
    assert Simulator("office365", scenario=scenario).clock.speed == 60
