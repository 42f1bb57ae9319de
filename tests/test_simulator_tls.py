"""TLS: a throwaway CA, STARTTLS in place, implicit TLS, and the CA file a client can trust."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import warnings
from pathlib import Path

import aiosmtplib
import pytest
from smtp_wire import Wire

from simulator.profile import load_all
from simulator.server import Simulator
from simulator.state import Account

GMAIL_USER = "ana@example.com"
GMAIL_APP_PASSWORD = "abcdefghijklmnop"  # Gmail signs in with an app password only


async def test_ca_file_is_written_where_asked_and_verifies(tmp_path: Path) -> None:
    ca_out = tmp_path / "certs" / "simulator-ca.pem"
    async with Simulator("office365", ca_out=ca_out) as sim:
        assert sim.ca_file == ca_out
        assert ca_out.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
        context = ssl.create_default_context(cafile=str(ca_out))
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, context)
        assert "250-AUTH LOGIN XOAUTH2" in await wire.ask("EHLO again.test")
        await wire.close()
    assert ca_out.exists(), "a CA file the user asked for stays after stop"


async def test_temporary_ca_file_is_removed_on_stop() -> None:
    async with Simulator("office365") as sim:
        ca_file = sim.ca_file
        assert ca_file.is_file()
    assert not ca_file.exists()


async def test_an_untrusting_client_fails_the_handshake() -> None:
    async with Simulator("office365") as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        assert (await wire.ask("STARTTLS")).startswith("220 2.0.0 SMTP server ready")
        with pytest.raises(ssl.SSLCertVerificationError):
            await wire.starttls(ssl.create_default_context())
        await wire.close()
        healthy = await Wire.open(sim.port)
        assert (await healthy.reply()).startswith("220 ")
        await healthy.close()


async def test_a_failed_handshake_closes_its_session_at_once() -> None:
    sim = Simulator("office365")
    await sim.start()
    closed: list[str] = []
    sim.subscribe(lambda e: closed.append(e.text) if e.kind == "session-close" else None)
    wire = await Wire.open(sim.port)
    await wire.reply()
    await wire.ask("EHLO client.test")
    await wire.ask("STARTTLS")
    with pytest.raises(ssl.SSLCertVerificationError):
        await wire.starttls(ssl.create_default_context())
    await wire.close()
    # stop() would wait out its whole grace if the session still counted as open.
    await asyncio.wait_for(sim.stop(), 1.0)
    assert len(closed) == 1 and closed[0].startswith("TLS handshake failed")


async def test_implicit_tls_port_lists_auth_at_once() -> None:
    account = Account(GMAIL_USER, GMAIL_APP_PASSWORD)
    async with Simulator("gmail", tls_port=0, accounts=[account]) as sim:
        assert sim.tls_port and sim.tls_port != sim.port
        wire = await Wire.open(sim.tls_port, tls=sim.client_ssl_context())
        assert (await wire.reply()).startswith("220 smtp.gmail.com ESMTP ")
        ehlo = await wire.ask("EHLO client.test")
        assert "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH" in ehlo
        assert "STARTTLS" not in ehlo
        assert await wire.login(GMAIL_USER, GMAIL_APP_PASSWORD) == "235 2.7.0 Accepted"
        await wire.close()


async def test_implicit_tls_with_aiosmtplib_and_smtplib() -> None:
    account = Account(GMAIL_USER, GMAIL_APP_PASSWORD)
    async with Simulator("gmail", tls_port=0, accounts=[account]) as sim:
        context = sim.client_ssl_context()
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=sim.tls_port, use_tls=True, tls_context=context
        )
        await client.connect()
        await client.login(GMAIL_USER, GMAIL_APP_PASSWORD)
        await client.sendmail(GMAIL_USER, ["x@example.org"], "Subject: a\r\n\r\nA\r\n")
        await client.quit()

        def with_smtplib() -> None:
            assert sim.tls_port is not None
            with smtplib.SMTP_SSL("127.0.0.1", sim.tls_port, context=context, timeout=5) as s:
                s.login(GMAIL_USER, GMAIL_APP_PASSWORD)
                s.sendmail(GMAIL_USER, ["y@example.org"], "Subject: b\r\n\r\nB\r\n")

        await asyncio.to_thread(with_smtplib)
        assert [m.recipients for m in sim.mailbox.messages] == [
            ("x@example.org",),
            ("y@example.org",),
        ]


async def test_gmail_requires_starttls_before_mail() -> None:
    async with Simulator("gmail", accounts=[Account(GMAIL_USER, GMAIL_APP_PASSWORD)]) as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        ehlo = await wire.ask("EHLO client.test")
        assert "250-STARTTLS" in ehlo and "AUTH" not in ehlo
        assert (await wire.ask(f"MAIL FROM:<{GMAIL_USER}>")).startswith(
            "530 5.7.0 Must issue a STARTTLS command first. "
        )
        await wire.close()


async def test_starttls_off_control_hides_and_refuses_it() -> None:
    async with Simulator("office365") as sim:
        sim.control("starttls_off")
        wire = await Wire.open(sim.port)
        await wire.reply()
        assert "STARTTLS" not in await wire.ask("EHLO client.test")
        assert (await wire.ask("STARTTLS")).startswith("500 5.3.3 Unrecognized command")
        sim.control("starttls_on")
        assert "250-STARTTLS" in await wire.ask("EHLO client.test")
        await wire.close()


async def test_starttls_twice_is_a_bad_sequence() -> None:
    async with Simulator("office365") as sim:
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert (await wire.ask("STARTTLS")).startswith("503")
        await wire.close()


LEGACY_TLS = "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client"
OTHER_PROFILES = sorted(set(load_all()) - {"office365"})


def legacy_client(sim: Simulator) -> ssl.SSLContext:
    """A client that trusts the simulator but speaks only TLS 1.1, as old devices do."""
    context = sim.client_ssl_context()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot offer TLS 1.1")
    return context


async def test_office365_answers_a_legacy_tls_client_with_4_7_66_and_closes() -> None:
    async with Simulator("office365") as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        await wire.ask("STARTTLS")
        await wire.starttls(legacy_client(sim))
        assert wire.writer.get_extra_info("ssl_object").version() == "TLSv1.1"
        reply = await wire.ask("EHLO client.test")
        assert reply.startswith(LEGACY_TLS)
        assert reply.endswith(f"[{sim.profile.host_token}]")
        with pytest.raises(ConnectionError):
            await wire.reply()
        await wire.close()


async def test_office365_still_serves_tls_1_2_clients() -> None:
    async with Simulator("office365") as sim:
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert wire.writer.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        assert "250-AUTH LOGIN XOAUTH2" in await wire.ask("EHLO again.test")
        await wire.close()


async def test_office365_has_no_implicit_tls_port_to_answer_on() -> None:
    async with Simulator("office365", tls_port=0) as sim:
        assert sim.tls_port and sim.unserved_reason
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.tls_port)
        writer.write(b"EHLO client.test\r\n")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        writer.close()


@pytest.mark.parametrize("provider", OTHER_PROFILES)
async def test_other_providers_refuse_legacy_tls_in_the_handshake(provider: str) -> None:
    async with Simulator(provider) as sim:
        closed: list[str] = []
        sim.subscribe(lambda e: closed.append(e.text) if e.kind == "session-close" else None)
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        assert (await wire.ask("STARTTLS")).startswith("220")
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await wire.starttls(legacy_client(sim))
        await wire.close()
    assert closed and closed[0].startswith("TLS handshake failed")


def test_the_ca_is_short_lived_a_leaf_issuer_only_and_bound_to_its_names() -> None:
    from datetime import timedelta

    from cryptography import x509

    from simulator.tls import TLSMaterial

    names = ["localhost", "127.0.0.1", "::1", "smtp.office365.com"]
    ca = x509.load_pem_x509_certificate(TLSMaterial(names).ca_pem)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc <= timedelta(days=8)
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical and constraints.value.excluded_subtrees is None
    permitted = constraints.value.permitted_subtrees or []
    assert {str(n.value) for n in permitted} == {
        "localhost",
        "127.0.0.1/32",
        "::1/128",
        "smtp.office365.com",
    }
    assert "smtp-console simulator" in ca.subject.rfc4514_string()
