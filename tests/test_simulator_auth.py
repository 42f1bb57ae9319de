"""SASL against the simulator: LOGIN, PLAIN, XOAUTH2 (with Gmail's error challenge), CRAM-MD5."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
from smtp_wire import Wire, b64

from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.server import Simulator
from simulator.state import Account

USER = "ana@example.com"
TOKEN = "ya29.secret-token-value"
APP_PASSWORD = "abcdwxyzefghijkl"
GMAIL_FAILED = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials "
)


def xoauth2(user: str, token: str) -> str:
    return b64(f"user={user}\x01auth=Bearer {token}\x01\x01")


@pytest.fixture
async def gmail() -> AsyncIterator[Simulator]:
    account = Account(USER, "plain-pw", app_password=APP_PASSWORD, tokens=[TOKEN], two_step=True)
    async with Simulator("gmail", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        yield sim


async def ready(sim: Simulator) -> Wire:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    return wire


async def test_gmail_xoauth2_bad_token_sends_json_challenge_then_535(gmail: Simulator) -> None:
    wire = await ready(gmail)
    challenge = await wire.ask("AUTH XOAUTH2 " + xoauth2(USER, "expired"))
    code, _, payload = challenge.partition(" ")
    assert code == "334"
    assert json.loads(base64.b64decode(payload)) == {
        "status": "400",
        "schemes": "Bearer",
        "scope": "https://mail.google.com/",
    }
    final = await wire.ask("")
    assert final.startswith(GMAIL_FAILED) and final.endswith(" - gsmtp")
    assert (await wire.ask("AUTH XOAUTH2 " + xoauth2(USER, TOKEN))) == "235 2.7.0 Accepted"
    await wire.close()


async def test_gmail_xoauth2_with_aiosmtplib(gmail: Simulator) -> None:
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=gmail.port, tls_context=gmail.client_ssl_context()
    )
    await client.connect()
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
        await client.auth_xoauth2(USER, "revoked")
    assert refused.value.code == 535
    assert (await client.auth_xoauth2(USER, TOKEN)).code == 235
    await client.sendmail(USER, ["x@example.org"], "Subject: t\r\n\r\nbody\r\n")
    await client.quit()
    assert gmail.mailbox.messages[0].user == USER


async def test_xoauth2_without_initial_response(gmail: Simulator) -> None:
    wire = await ready(gmail)
    assert await wire.ask("AUTH XOAUTH2") == "334 "
    assert await wire.ask(xoauth2(USER, TOKEN)) == "235 2.7.0 Accepted"
    await wire.close()


async def test_revoked_token_fails(gmail: Simulator) -> None:
    gmail.control("revoke_token", USER)
    wire = await ready(gmail)
    assert (await wire.ask("AUTH XOAUTH2 " + xoauth2(USER, TOKEN))).startswith("334 ")
    assert (await wire.ask("")).startswith("535-5.7.8")
    await wire.close()


async def test_office365_bad_token_is_answered_at_once() -> None:
    account = Account("alice@contoso.com", tokens=[TOKEN])
    async with Simulator("office365", accounts=[account]) as sim:
        wire = await ready(sim)
        refused = await wire.ask("AUTH XOAUTH2 " + xoauth2("alice@contoso.com", "old"))
        assert refused.startswith("535 5.7.3 Authentication unsuccessful [")
        accepted = await wire.ask("AUTH XOAUTH2 " + xoauth2("alice@contoso.com", TOKEN))
        assert accepted == "235 2.7.0 Authentication successful"
        await wire.close()


async def test_gmail_two_step_account_needs_the_app_password(gmail: Simulator) -> None:
    wire = await ready(gmail)
    refused = await wire.login(USER, "plain-pw")
    assert refused.startswith(
        "534-5.7.9 Application-specific password required. For more information, go to\r\n"
        "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor "
    )
    assert await wire.login(USER, APP_PASSWORD) == "235 2.7.0 Accepted"
    await wire.close()


async def test_revoked_app_password_fails(gmail: Simulator) -> None:
    gmail.control("revoke_app_password", USER)
    wire = await ready(gmail)
    assert (await wire.login(USER, APP_PASSWORD)).startswith("535-5.7.8")
    await wire.close()


async def test_gmail_app_password_is_refused_while_two_step_is_off(gmail: Simulator) -> None:
    # Google issues app passwords only with 2-Step Verification on (providers.md 2.2, DOC).
    gmail.control("two_step_off", USER)
    wire = await ready(gmail)
    assert (await wire.login(USER, APP_PASSWORD)).startswith(GMAIL_FAILED)
    await wire.close()
    gmail.control("two_step_on", USER)
    wire = await ready(gmail)
    assert await wire.login(USER, APP_PASSWORD) == "235 2.7.0 Accepted"
    await wire.close()


def test_an_account_given_an_app_password_has_two_step_on() -> None:
    from simulator.behaviour import as_provider_holds
    from simulator.profile import load

    held = as_provider_holds(Account(USER, app_password=APP_PASSWORD), load("gmail"))
    assert held.two_step
    legacy = Account(USER, "old-pw", app_password=APP_PASSWORD, legacy=True)
    assert not as_provider_holds(legacy, load("gmail")).two_step  # until a lesson turns it on


async def test_plain_with_and_without_initial_response(gmail: Simulator) -> None:
    wire = await ready(gmail)
    blob = b64(f"\0{USER}\0{APP_PASSWORD}")
    assert await wire.ask("AUTH PLAIN") == "334 "
    assert await wire.ask(blob) == "235 2.7.0 Accepted"
    await wire.close()
    wire = await ready(gmail)
    assert await wire.ask(f"AUTH PLAIN {blob}") == "235 2.7.0 Accepted"
    await wire.close()


async def test_login_prompts_for_both_fields(gmail: Simulator) -> None:
    wire = await ready(gmail)
    assert await wire.ask("AUTH LOGIN") == "334 VXNlcm5hbWU6"
    assert await wire.ask(b64(USER)) == "334 UGFzc3dvcmQ6"
    assert await wire.ask(b64(APP_PASSWORD)) == "235 2.7.0 Accepted"
    await wire.close()


async def test_cancel_bad_base64_and_sequence(gmail: Simulator) -> None:
    wire = await ready(gmail)
    assert (await wire.ask("AUTH LOGIN")).startswith("334")
    assert (await wire.ask("*")).startswith("501")
    assert (await wire.ask("AUTH PLAIN !!!notbase64")).startswith("501")
    assert (await wire.ask("AUTH PLAIN " + b64("no-separators"))).startswith("5")
    assert (await wire.ask("AUTH")).startswith("5")
    assert await wire.login(USER, APP_PASSWORD) == "235 2.7.0 Accepted"
    assert (await wire.ask("AUTH LOGIN")).startswith("503")
    await wire.close()


async def test_cram_md5_on_postmark() -> None:
    token = "server-token-1234"
    async with Simulator("postmark", accounts=[Account(token, token)]) as sim:
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=sim.port, tls_context=sim.client_ssl_context()
        )
        await client.connect()
        await client.ehlo()  # auth_crammd5 does not say EHLO again after STARTTLS
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await client.auth_crammd5(token, "wrong")
        assert (await client.auth_crammd5(token, token)).code == 235
        await client.quit()


async def test_unsupported_mechanism_on_office365() -> None:
    async with Simulator("office365", accounts=[Account("alice@contoso.com", "pw")]) as sim:
        wire = await ready(sim)
        assert (await wire.ask("AUTH CRAM-MD5")).startswith("504 5.7.4 Unrecognized")
        await wire.close()


async def test_no_secret_reaches_the_event_stream(gmail: Simulator) -> None:
    seen: list[Event] = []
    gmail.subscribe(seen.append)
    wire = await ready(gmail)
    await wire.login(USER, "plain-pw")
    await wire.login(USER, APP_PASSWORD)
    await wire.close()
    wire = await ready(gmail)
    await wire.ask("AUTH PLAIN " + b64(f"\0{USER}\0{APP_PASSWORD}"))
    await wire.close()
    wire = await ready(gmail)
    await wire.ask("AUTH XOAUTH2 " + xoauth2(USER, "wrong-token-xyz"))
    await wire.ask("")
    await wire.ask("AUTH XOAUTH2")
    await wire.ask(xoauth2(USER, TOKEN))
    await wire.close()
    secrets = ["plain-pw", APP_PASSWORD, TOKEN, "wrong-token-xyz"]
    forms = [*secrets, *(b64(s) for s in secrets), b64(f"\0{USER}\0{APP_PASSWORD}")]
    forms += [xoauth2(USER, TOKEN), xoauth2(USER, "wrong-token-xyz"), b64(USER)]
    texts = [event.text for event in seen]
    assert any(text.startswith("AUTH XOAUTH2 ****") for text in texts)
    assert not [text for text in texts if any(form in text for form in forms)]


async def test_gmail_too_many_failed_sign_ins_from_one_client(gmail: Simulator) -> None:
    allowed = gmail.profile.limits.failed_logins_per_10_minutes
    assert allowed is not None
    wire = await ready(gmail)
    for _ in range(allowed):
        assert (await wire.login(USER, "wrong")).startswith("535-5.7.8")
    blocked = await wire.login(USER, APP_PASSWORD)  # even the right secret waits now
    assert blocked.startswith(
        "454-4.7.0 Too many login attempts, please try again later. For more information, go to"
    )
    other = await ready(gmail)  # a new connection from the same address
    assert (await other.login(USER, APP_PASSWORD)).startswith("454-4.7.0")
    gmail.clock.advance(minutes=10)
    assert await wire.login(USER, APP_PASSWORD) == "235 2.7.0 Accepted"
    await wire.close()
    await other.close()
