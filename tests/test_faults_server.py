"""Faults through the running simulator: greylisting on the virtual clock, seeded replays."""

from __future__ import annotations

from pathlib import Path

import aiosmtplib

from simulator.clock import VirtualClock
from simulator.scenario import load_scenario
from simulator.server import Simulator
from simulator.state import Account

ALICE, PASSWORD = "alice@contoso.com", "Secret-1"
BODY = b"From: alice@contoso.com\r\nTo: bob@example.org\r\nSubject: Chaos\r\n\r\nHello.\r\n"
CHAOS = """
provider = "office365"
seed = {seed}

[[accounts]]
username = "alice@contoso.com"
password = "Secret-1"

[faults]
disconnect_probability = 0.05

[[faults.injections]]
command = "RCPT"
probability = 0.3
reply = "451 4.3.0 Mail server temporarily rejected message."

[[faults.injections]]
command = "DOT"
probability = 0.2
reply = "rate_exceeded"
"""


async def dialogue(sim: Simulator, messages: int) -> list[str]:
    """Send messages one by one, reconnecting after a drop; what each attempt got."""
    outcomes: list[str] = []
    client: aiosmtplib.SMTP | None = None
    for n in range(messages):
        try:
            if client is None:
                client = aiosmtplib.SMTP(
                    hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context()
                )
                await client.connect()
                await client.login(ALICE, PASSWORD)
            await client.sendmail(ALICE, [f"r{n}@example.org"], BODY)
            outcomes.append("250")
        except aiosmtplib.SMTPRecipientsRefused as error:
            [refusal] = error.recipients
            outcomes.append(f"{refusal.code} {refusal.message[:40]}")
        except aiosmtplib.SMTPResponseException as error:
            outcomes.append(f"{error.code} {error.message.splitlines()[0][:40]}")
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError):
            outcomes.append("dropped")
            client = None
    if client is not None:
        client.close()
    return outcomes


async def replay(tmp_path: Path, seed: int) -> list[str]:
    path = tmp_path / f"chaos-{seed}.toml"
    path.write_text(CHAOS.format(seed=seed))
    scenario = load_scenario(path)
    async with Simulator("office365", scenario=scenario, clock=VirtualClock(speed=0)) as sim:
        return await dialogue(sim, 40)


async def test_same_seed_same_dialogue_other_seed_other_dialogue(tmp_path: Path) -> None:
    first = await replay(tmp_path, 11)
    assert {"250", "dropped"} <= set(first)
    assert any(o.startswith("451 4.3.0") for o in first)
    assert any(o.startswith("4") and "4.3.0" not in o for o in first)  # rate_exceeded at DOT
    assert await replay(tmp_path, 11) == first
    assert await replay(tmp_path, 12) != first


async def send_to_bob(client: aiosmtplib.SMTP) -> str:
    try:
        await client.sendmail(ALICE, ["bob@example.org"], BODY)
    except aiosmtplib.SMTPRecipientsRefused as error:
        [refusal] = error.recipients
        return f"{refusal.code} {refusal.message}"
    return "250"


async def test_greylisting_defers_until_the_virtual_delay_has_passed() -> None:
    clock = VirtualClock(speed=0)
    async with Simulator("office365", accounts=[Account(ALICE, PASSWORD)], clock=clock) as sim:
        sim.control("greylisting_on")
        client = aiosmtplib.SMTP(
            hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context()
        )
        await client.connect()
        await client.login(ALICE, PASSWORD)
        greylisted = sim.profile.reply("greylisted")
        assert (await send_to_bob(client)).startswith(str(greylisted.code))
        clock.advance(seconds=299)
        assert (await send_to_bob(client)).startswith(str(greylisted.code))
        clock.advance(seconds=1)
        assert await send_to_bob(client) == "250"
        await client.quit()
        assert len(sim.mailbox.messages) == 1
