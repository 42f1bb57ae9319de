"""A relay that trusts the network: mail without signing in, where the provider allows it."""

from __future__ import annotations

import aiosmtplib
import pytest

from console.channel import draft
from console.check import run_check, target_for
from console.rehearse import retarget, simulated
from simulator.profile import load
from simulator.server import Simulator

SENDER = "app@example.com"


async def _send_anonymously(sim: Simulator) -> None:
    client = aiosmtplib.SMTP(
        hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context(), timeout=5
    )
    async with client:
        await client.sendmail(SENDER, ["bob@example.org"], "Subject: hi\r\n\r\nHi.\r\n")


async def test_relay_open_takes_mail_without_sign_in_and_relay_closed_refuses_it() -> None:
    async with Simulator("custom") as sim:
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await _send_anonymously(sim)
        assert refused.value.code == 530
        sim.control("relay_open")
        await _send_anonymously(sim)
        assert [m.envelope_from for m in sim.mailbox.messages] == [SENDER]
        sim.control("relay_closed")
        with pytest.raises(aiosmtplib.SMTPSenderRefused):
            await _send_anonymously(sim)


async def test_own_server_channel_without_sign_in_passes_its_rehearsal() -> None:
    channel = draft(
        load("custom"), "relay", host="mail.example.com", method="none", from_address=SENDER
    )
    async with simulated(channel, "") as sim:
        report = await run_check(retarget(target_for(channel, "", send=True), sim))
    assert report.passed, report.diagnosis
    assert report.stage("auth").status == "skipped"
    assert [m.envelope_from for m in sim.mailbox.messages] == [SENDER]


async def test_office365_without_sign_in_is_still_refused_in_rehearsal() -> None:
    channel = draft(load("office365"), "o365", username=SENDER, from_address=SENDER, method="none")
    async with simulated(channel, "") as sim:
        report = await run_check(retarget(target_for(channel, ""), sim))
    assert report.failed_stage is not None and report.failed_stage.name == "mail"
    assert report.diagnosis is not None and "5.7.57" in report.diagnosis.reply
