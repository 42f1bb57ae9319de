"""burst against the simulator: pacing, carry-over, deferrals and refusals, grouped by reply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console import store
from console.burst import Summary, run_burst
from console.channel import Channel, draft
from console.check import target_for
from console.cli import main
from console.rehearse import retarget, simulated
from simulator.clock import VirtualClock
from simulator.profile import load
from simulator.server import Simulator
from simulator.state import Account

SECRET = "burstsecretnineq"  # 16 letters: also a Gmail app password


def office365(**overrides: object) -> Channel:
    return draft(load("office365"), "o365", username="alice@contoso.com", **overrides)  # type: ignore[arg-type]


async def burst(
    channel: Channel,
    count: int,
    *,
    rate: float | None,
    connections: int = 1,
    control: str | None = None,
) -> Summary:
    clock = VirtualClock(speed=0)
    async with simulated(channel, SECRET, clock=clock) as sim:
        if control:
            sim.control(control)
        target = retarget(target_for(channel, SECRET, timeout=5), sim)
        return await run_burst(
            target, count, rate=rate, connections=connections, clock=clock, mailbox=sim.mailbox
        )


async def test_office365_forty_in_a_minute_thirty_on_time_ten_delayed() -> None:
    summary = await burst(office365(), 40, rate=60)
    data = summary.to_dict()
    assert (data["accepted"], data["delayed"], data["deferred"], data["rejected"]) == (30, 10, 0, 0)
    assert data["timeline"] == [
        {
            "minute": 0,
            "sent": 40,
            "accepted": 30,
            "delayed": 10,
            "deferred": 0,
            "rejected": 0,
            "failed": 0,
        }
    ]
    assert [d.id for d in summary.diagnoses] == ["office365-carried-over"]
    assert "30" in summary.diagnoses[0].title
    assert summary.ok
    assert summary.seconds < 5  # the frozen virtual clock makes the simulated minute instant


async def test_pacing_at_the_limit_keeps_every_message_on_time() -> None:
    summary = await burst(office365(), 40, rate=30)
    data = summary.to_dict()
    assert (data["accepted"], data["delayed"]) == (40, 0)
    assert [(row["minute"], row["sent"]) for row in data["timeline"]] == [(0, 30), (1, 10)]
    assert not summary.diagnoses


async def test_a_refused_sign_in_stops_the_burst() -> None:
    summary = await burst(office365(), 10, rate=None, control="disable_smtp_auth")
    data = summary.to_dict()
    assert data["rejected"] == 0 and data["not_sent"] == 10 and data["sent"] == 0
    assert data["sign_in_failed"] and data["stopped"]["stage"] == "auth"
    assert data["by_reply"][0]["reply"].startswith("535 5.7.139")
    assert summary.diagnoses[0].id == "office365-smtp-auth-disabled"
    assert SECRET not in json.dumps(data)


async def test_more_connections_than_office365_allows_are_deferred() -> None:
    summary = await burst(office365(), 12, rate=None, connections=4)
    data = summary.to_dict()
    assert data["deferred"] >= 1 and data["accepted"] + data["deferred"] == 12
    group = data["by_reply"][0]
    assert group["status"] == "deferred" and group["reply"].startswith("432 4.3.2")
    assert summary.diagnoses[0].id == "office365-thread-limit"


async def test_gmail_daily_limit_is_rejected_and_grouped() -> None:
    channel = draft(load("gmail"), "g", username="alice@example.com")
    summary = await burst(channel, 5, rate=None, control="use_up_quota")
    data = summary.to_dict()
    assert data["rejected"] == 5
    assert len(data["by_reply"]) == 1 and data["by_reply"][0]["count"] == 5
    assert summary.diagnoses[0].id == "gmail-daily-limit"


async def test_live_burst_cannot_see_carry_over() -> None:
    channel = office365()
    async with Simulator(
        "office365", accounts=[Account("alice@contoso.com", password=SECRET)]
    ) as sim:
        target = retarget(target_for(channel, SECRET, timeout=5), sim)
        summary = await run_burst(target, 35, rate=None)  # no mailbox: a live server's view
    assert summary.to_dict()["accepted"] == 35
    assert summary.to_dict()["delayed"] == 0


@pytest.fixture
def channel_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BURST_SECRET", SECRET)
    profile = load("office365")
    path = tmp_path / "o365.toml"
    store.save(office365(secret="env:BURST_SECRET"), path, profile=profile)
    return path


def test_cli_json_has_the_four_counts(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["burst", str(channel_file), "--count", "40", "--rate", "60", "--simulate", "--json"]
    code = main(argv)
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {k: data[k] for k in ("accepted", "delayed", "deferred", "rejected")} == {
        "accepted": 30,
        "delayed": 10,
        "deferred": 0,
        "rejected": 0,
    }


def test_cli_text_summary(channel_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["burst", str(channel_file), "--count", "3", "--simulate"])
    out = capsys.readouterr().out
    assert code == 0 and "accepted on time  3" in out and "per minute" in out


def test_live_burst_needs_confirmation(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["burst", str(channel_file), "--count", "3"])
    assert code == 2 and "--yes" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [["--count", "0"], ["--count", "2", "--rate", "-1"], ["--count", "2", "--connections", "0"]],
)
def test_cli_bad_numbers(
    channel_file: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    assert main(["burst", str(channel_file), *extra, "--simulate"]) == 2
    assert "burst:" in capsys.readouterr().err
