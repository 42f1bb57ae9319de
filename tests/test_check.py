"""The staged check against the real simulator: every failing stage, every provider profile."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import trustme

from console.channel import Channel, draft
from console.check import (
    Report,
    Stage,
    Target,
    plan,
    run_check,
    target_for,
)
from console.rehearse import retarget, simulated
from simulator.profile import load, load_all
from simulator.server import Simulator

PROVIDERS = sorted(load_all())
SECRET = "canarysecretqxzw"  # 16 letters: also a Gmail app password
SENDER = "alice@example.com"
RECIPIENT = "bob@example.org"
# The check stage at which a transaction refusal of each profile stage shows up.
CHECK_STAGE = {
    "mail": "mail",
    "rcpt": "rcpt",
    "data": "data",
    "dot": "data",
}


def channel_for(provider: str, **overrides: object) -> Channel:
    profile = load(provider)
    username = profile.fixed_username or SENDER
    if provider == "postmark":
        username = SECRET  # the server token is both the username and the password
    if provider == "amazon-ses":
        username = "AKIAIOSFODNN7EXAMPLE"  # SES user names look like access key ids
    return draft(profile, "test", username=username, from_address=SENDER, **overrides)  # type: ignore[arg-type]


async def check(
    provider: str,
    control: str | None = None,
    *,
    send: bool = False,
    user: str | None = None,
    tweak: Callable[[Target], Target] | None = None,
) -> tuple[Report, Simulator]:
    channel = channel_for(provider)
    async with simulated(channel, SECRET) as sim:
        if control:
            sim.control(control, user)
        target = retarget(
            target_for(channel, SECRET, recipient=RECIPIENT, send=send, timeout=3), sim
        )
        report = await run_check(tweak(target) if tweak else target)
    return report, sim


def assert_secret_absent(report: Report) -> None:
    assert SECRET not in json.dumps(report.to_dict())


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_good_channel_passes_every_stage_and_delivers(provider: str) -> None:
    report, sim = await check(provider, send=True)
    assert report.passed, report.diagnosis
    assert [s.name for s in report.stages] == plan(report.target)
    assert all(s.status == "ok" for s in report.stages)
    assert report.certificate["verified"] == "yes"
    assert len(sim.mailbox.messages) == 1
    assert_secret_absent(report)


FAILURES = [
    # (control, send, behaviour key, check stage or None to take it from the profile)
    ("starttls_off", False, None, "starttls"),
    ("rotate_password", False, "auth_failed", "auth"),
    ("disable_smtp_auth", False, "auth_disabled", "auth"),
    ("deny_send_as", True, "send_as_denied", None),
    ("use_up_quota", True, "daily_quota_exceeded", None),
    ("greylisting_on", True, "greylisted", None),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("control", "send", "key", "stage"), FAILURES)
async def test_each_failure_stops_at_its_stage_with_the_provider_diagnosis(
    provider: str, control: str, send: bool, key: str | None, stage: str | None
) -> None:
    profile = load(provider)
    if control == "rotate_password" and profile.secret_kind == "app-password":
        control = "revoke_app_password"  # the channel signs in with the app password
    limits = profile.limits
    if control == "use_up_quota" and not (limits.messages_per_day or limits.recipients_per_day):
        pytest.skip(f"{provider} publishes no daily quota")
    report, sim = await check(provider, control, send=send)
    # The simulator sends transaction refusals due at an earlier stage at MAIL FROM.
    expected = stage or CHECK_STAGE.get(profile.reply(key or "").stage, "mail")
    failed = report.failed_stage
    assert failed is not None and failed.name == expected
    assert report.diagnosis is not None
    if key is None:
        assert report.diagnosis.id == "starttls-not-offered"
    else:
        assert key in report.diagnosis.keys, report.diagnosis.id
        assert failed.reply.startswith(profile.reply(key).text[:3])
    later = report.stages[report.stages.index(failed) + 1 :]
    assert all(s.status == "skipped" for s in later)
    assert not sim.mailbox.messages
    assert_secret_absent(report)


async def test_transcript_masks_every_auth_payload_and_the_secret() -> None:
    report, _ = await check("office365")
    client = [line.text for line in report.transcript if line.direction == "C"]
    start = client.index("AUTH LOGIN")
    assert client[start + 1] == client[start + 2] == "********"
    assert any(line.text.startswith("235 ") for line in report.transcript)
    assert_secret_absent(report)


async def test_plain_and_xoauth2_payloads_are_masked() -> None:
    for method, provider in (("plain", "gmail"), ("xoauth2", "office365")):
        channel = replace(
            channel_for(provider), auth=replace(channel_for(provider).auth, method=method)
        )
        async with simulated(channel, SECRET) as sim:
            report = await run_check(retarget(target_for(channel, SECRET, timeout=3), sim))
        assert report.passed, report.diagnosis
        auth = next(x.text for x in report.transcript if x.text.startswith("AUTH "))
        assert auth == f"AUTH {method.upper()} ********"
        assert_secret_absent(report)


async def test_unencrypted_office365_gets_the_providers_own_refusal() -> None:
    report, _ = await check("office365", tweak=lambda t: replace(t, security="none"))
    assert report.failed_stage is not None and report.failed_stage.name == "auth"
    assert report.diagnosis is not None and report.diagnosis.id == "office365-mechanism-refused"
    sent = [x.text for x in report.transcript if x.direction == "C"]
    assert "AUTH LOGIN" in sent and "********" not in sent  # no secret offered in the clear


async def test_mechanism_not_offered() -> None:
    channel = channel_for("sendgrid")
    channel = replace(channel, auth=replace(channel.auth, method="xoauth2"))
    async with simulated(channel, SECRET) as sim:
        report = await run_check(retarget(target_for(channel, SECRET, timeout=3), sim))
    assert report.diagnosis is not None and report.diagnosis.id == "mechanism-not-offered"


async def test_implicit_tls_against_a_starttls_port() -> None:
    report, _ = await check("office365", tweak=lambda t: replace(t, security="tls"))
    assert report.failed_stage is not None and report.failed_stage.name == "tls"
    assert report.diagnosis is not None and report.diagnosis.id == "office365-tls-to-starttls-port"


async def test_plain_text_against_an_implicit_tls_port() -> None:
    channel = channel_for("gmail", port=465, security="tls")
    async with simulated(channel, SECRET) as sim:
        assert sim.tls_port
        target = retarget(target_for(channel, SECRET, timeout=0.3), sim)
        good = await run_check(target)
        bad = await run_check(replace(target, security="starttls"))
    assert good.passed, good.diagnosis
    assert [s.name for s in good.stages][:4] == ["resolve", "connect", "tls", "certificate"]
    assert bad.failed_stage is not None and bad.failed_stage.name == "greeting"
    assert bad.diagnosis is not None and bad.diagnosis.id == "plain-to-tls-port"


async def test_certificate_for_another_name_and_an_untrusted_ca() -> None:
    channel = channel_for("office365")
    async with simulated(channel, SECRET) as sim:
        target = retarget(target_for(channel, SECRET, timeout=3), sim)
        wrong_name = await run_check(replace(target, tls_name="wrong.example"))
        untrusted = await run_check(replace(target, tls_context=None))
        insecure = await run_check(replace(target, tls_context=None, insecure=True))
    cases = (
        (wrong_name, "office365-certificate-name-mismatch"),
        (untrusted, "certificate-untrusted"),
    )
    for report, kind in cases:
        assert report.failed_stage is not None and report.failed_stage.name == "certificate"
        assert report.stage("starttls").status == "ok"
        assert report.diagnosis is not None and report.diagnosis.id == kind
    assert insecure.passed and insecure.certificate["verified"].startswith("no")


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        (
            "certificate-expired",
            lambda ca: ca.issue_cert(
                "127.0.0.1",
                not_after=datetime.now(UTC) - timedelta(days=1),
                not_before=datetime.now(UTC) - timedelta(days=30),
            ),
        ),
        ("certificate-self-signed", None),
    ],
)
async def test_expired_and_self_signed_certificates(
    kind: str, make: Callable[[trustme.CA], trustme.LeafCert] | None
) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    client = ssl.create_default_context()
    if make is not None:
        leaf = make(ca)
        with leaf.private_key_and_cert_chain_pem.tempfile() as path:
            context.load_cert_chain(path)
        ca.configure_trust(client)
    else:
        # The CA's own certificate is self-signed; the client does not trust it.
        blob = ca.private_key_pem.bytes() + ca.cert_pem.bytes()
        with trustme.Blob(blob).tempfile() as path:
            context.load_cert_chain(path)

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 test ESMTP\r\n")
        await writer.drain()
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=context)
    async with server:
        port = server.sockets[0].getsockname()[1]
        target = Target("127.0.0.1", port, "tls", SENDER, tls_context=client, timeout=2)
        report = await run_check(target)
    assert report.failed_stage is not None and report.failed_stage.name == "certificate"
    assert report.diagnosis is not None and report.diagnosis.id == kind


async def test_tls_version_mismatch_and_a_server_that_hangs_up() -> None:
    ca = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.maximum_version = ssl.TLSVersion.TLSv1_2
    ca.issue_cert("127.0.0.1").configure_cert(server_side)
    client = ssl.create_default_context()
    client.minimum_version = ssl.TLSVersion.TLSv1_3
    ca.configure_trust(client)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    tls = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=server_side)
    plain = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    async with tls, plain:
        tls_port = tls.sockets[0].getsockname()[1]
        plain_port = plain.sockets[0].getsockname()[1]
        old_tls = await run_check(Target("127.0.0.1", tls_port, "tls", SENDER, tls_context=client))
        hung_up = await run_check(Target("127.0.0.1", plain_port, "starttls", SENDER, timeout=2))
    assert old_tls.failed_stage is not None and old_tls.failed_stage.name == "tls"
    assert old_tls.diagnosis is not None and old_tls.diagnosis.id == "tls-handshake-failed"
    assert hung_up.failed_stage is not None and hung_up.failed_stage.name == "greeting"
    assert hung_up.diagnosis is not None and hung_up.diagnosis.id == "connection-lost"


async def test_connection_refused_and_dns_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = await run_check(Target("127.0.0.1", port, "starttls", SENDER, timeout=2))
    unknown = await run_check(Target("no-such-host.invalid", 587, "starttls", SENDER, timeout=2))
    assert refused.failed_stage is not None and refused.failed_stage.name == "connect"
    assert refused.diagnosis is not None and refused.diagnosis.id == "connection-refused"
    assert unknown.failed_stage is not None and unknown.failed_stage.name == "resolve"
    assert unknown.diagnosis is not None and unknown.diagnosis.id == "dns-failure"


async def test_stages_are_reported_as_they_pass() -> None:
    channel = channel_for("office365")
    stages: list[Stage] = []
    async with simulated(channel, SECRET) as sim:
        target = retarget(target_for(channel, SECRET, timeout=3), sim)
        report = await run_check(target, lambda stage: stages.append(replace(stage)))
    assert report.passed
    assert [(s.name, s.status) for s in stages[:2]] == [("resolve", "running"), ("resolve", "ok")]
    assert len(stages) == 2 * len(report.stages)


def test_check_module_does_not_import_textual() -> None:
    code = "import sys, console.check, console.burst; assert 'textual' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
