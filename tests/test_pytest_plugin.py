"""The smtp_simulator fixtures, run inside a throwaway project with pytester."""

import pytest

import simulator.server  # noqa: F401  imported once here: cryptography cannot be imported twice
from simulator.pytest_plugin import parse_accounts
from simulator.state import Account

pytest_plugins = ["pytester"]
# In-process runs share module globals: the snapshot plugin's temp folder must stay the outer run's.
INI = "[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
INNER = ("-p", "no:cacheprovider", "-p", "no:textual-snapshot")

EXAMPLE = """
from email.message import EmailMessage

import aiosmtplib
import pytest


@pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:Secret-1"])
async def test_office365_accepts_a_signed_in_message(smtp_simulator):
    message = EmailMessage()
    message["From"] = "alice@contoso.com"
    message["To"] = "bob@example.org"
    message["Subject"] = "Hello"
    message.set_content("Sent through the simulator.")
    await aiosmtplib.send(
        message,
        hostname=smtp_simulator.host,
        port=smtp_simulator.port,
        start_tls=True,
        tls_context=smtp_simulator.client_ssl_context(),
        username="alice@contoso.com",
        password="Secret-1",
    )
    [stored] = smtp_simulator.mailbox.messages
    assert list(stored.recipients) == ["bob@example.org"]
    assert stored.message["Subject"] == "Hello"


async def test_wrong_password_gets_the_office365_reply(smtp_simulator):
    client = aiosmtplib.SMTP(
        hostname=smtp_simulator.host,
        port=smtp_simulator.port,
        tls_context=smtp_simulator.client_ssl_context(),
    )
    await client.connect()
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as caught:
        await client.login("nobody@contoso.com", "wrong")
    assert caught.value.code == 535
    assert "5.7.3" in caught.value.message
    await client.quit()
"""

LESSON = """
import asyncio


async def test_lesson_rotates_the_password(smtp_simulator_factory):
    sim = await smtp_simulator_factory(scenario="password-changed", clock_speed=0)
    alice = sim.state.account("alice@contoso.com")
    assert sim.profile.id == "office365" and alice.password == "Winter-2026-old"
    second = await smtp_simulator_factory("gmail")
    assert second.port != sim.port
    applied = asyncio.Event()
    sim.subscribe(lambda event: event.kind == "control" and applied.set())
    sim.clock.advance(minutes=10)
    await asyncio.wait_for(applied.wait(), 2)
    assert alice.password == "Summer-2026-new"
"""


def test_marker_and_fixture_in_another_project(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    pytester.makepyfile(test_example=EXAMPLE)
    result = pytester.runpytest(*INNER, "--strict-markers")
    result.assert_outcomes(passed=2)


def test_factory_with_a_lesson_and_two_simulators(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    pytester.makepyfile(test_lesson=LESSON)
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1)


def test_strict_mode_projects_mark_their_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="strict"))
    pytester.makepyfile(
        test_strict="""
import pytest

@pytest.mark.asyncio
@pytest.mark.smtp_simulator(provider="sendgrid")
async def test_listens(smtp_simulator):
    assert smtp_simulator.profile.id == "sendgrid"
    assert smtp_simulator.host == "127.0.0.1" and smtp_simulator.port > 0
"""
    )
    result = pytester.runpytest(*INNER, "--strict-markers")
    result.assert_outcomes(passed=1)


# pytest-asyncio itself warns when a project leaves its loop scope unset.
@pytest.mark.filterwarnings("ignore:The configuration option:DeprecationWarning")
def test_a_project_without_any_configuration_needs_no_asyncio_mark(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_bare="""
import pytest

@pytest.mark.smtp_simulator("gmail")
async def test_marked(smtp_simulator):
    assert smtp_simulator.profile.id == "gmail"

async def test_factory(smtp_simulator_factory):
    sim = await smtp_simulator_factory(scenario="password-changed")
    assert sim.profile.id == "office365"
"""
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=2)


SYNC = """
import smtplib

import pytest


@pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:Secret-1"])
def test_smtplib_in_a_plain_test(smtp_simulator_thread):
    sim = smtp_simulator_thread
    with smtplib.SMTP(sim.host, sim.port, timeout=5) as client:
        client.starttls(context=sim.client_ssl_context())
        client.login("alice@contoso.com", "Secret-1")
        client.sendmail("alice@contoso.com", ["bob@example.org"], "Subject: hi\\r\\n\\r\\nHi.")
    assert sim.mailbox.messages[0].recipients == ("bob@example.org",)
    sim.control("disable_smtp_auth")
    with smtplib.SMTP(sim.host, sim.port, timeout=5) as client:
        client.starttls(context=sim.client_ssl_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("alice@contoso.com", "Secret-1")
    assert b"5.7.139" in refused.value.smtp_error


def test_a_plain_test_asking_for_the_async_fixture(smtp_simulator):
    pass
"""


def test_plain_tests_use_the_thread_fixture_and_are_told_so(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="strict"))
    pytester.makepyfile(test_sync=SYNC)
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*smtp_simulator runs on the test's event loop*"])


def test_accounts_from_strings_or_objects() -> None:
    bob = Account("bob@example.org", app_password="x")
    parsed = parse_accounts(["alice@contoso.com:pa:ss", bob])
    assert parsed[0] == Account("alice@contoso.com", password="pa:ss")
    assert parsed[1] is bob
    with pytest.raises(ValueError, match="USER:PASSWORD") as caught:
        parse_accounts([":only-a-password"])
    with pytest.raises(ValueError, match="USER:PASSWORD") as caught:
        parse_accounts(["alice@contoso.com=Secret-pw"])  # a wrong separator
    assert "Secret-pw" not in str(caught.value)
