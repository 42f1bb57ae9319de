"""A burst whose sign-in is refused says how many were not sent and the provider's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import ProgressBar

from console import store
from console.burst import run_burst
from console.check import target_for
from console.cli import main
from console.rehearse import retarget, simulated
from console.tui.app import ConsoleApp
from console.tui.widgets.minute_chart import MinuteChart
from simulator.clock import VirtualClock
from simulator.profile import load
from tests.console_pilot import started
from tests.test_burst import SECRET, office365
from tests.test_tui_flows import ALICE, office365_personal_channel, type_into

REFUSAL = "535 5.7.3 Authentication unsuccessful"


async def test_the_burst_tab_counts_the_messages_not_sent_and_says_why() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await pilot.press("f7", "home", "space")  # the trainer's first toggle: wrong password
        await pilot.pause()
        assert "wrong-password" in screen.rehearsal.active
        await type_into(pilot, "burst-count", "12")
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = screen.query_one("#burst-summary")
        text = str(summary.render())
        assert "0 on time" in text and "0 rejected" in text and "12 not sent" in text
        assert f"stopped at auth: sign-in refused: {REFUSAL}" in text
        assert summary.region.bottom <= 24 and summary.region.right <= 80  # seen at 80x24
        assert screen.query_one(MinuteChart).minutes == []
        assert screen.diagnosis is not None and screen.diagnosis.stage == "auth"
        assert REFUSAL in screen.diagnosis.reply


async def test_the_burst_tab_shows_a_refused_burst_as_stopped_not_still_at_one() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await pilot.press("f7", "home", "space")  # wrong password
        await pilot.pause()
        await type_into(pilot, "burst-count", "12")
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        bar = screen.query_one("#burst-progress", ProgressBar)
        assert bar.progress == bar.total == 12  # every message dealt with: none left to go
        assert bar.has_class("-stopped")  # drawn in the error colour, not as a success
        done = str(screen.query_one("#burst-done").render())
        assert done == "12/12 handled: 0 sent, 12 not sent"
        assert bar.region.right <= 80 and screen.query_one("#burst-done").region.right <= 80

        await pilot.press("f7", "home", "space")  # the password right again: a full burst
        await pilot.pause()
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert bar.progress == bar.total == 12 and not bar.has_class("-stopped")
        assert str(screen.query_one("#burst-done").render()) == "12/12 handled: 12 sent"


async def test_progress_reaches_the_count_when_a_refused_sign_in_stops_the_burst() -> None:
    channel = office365()
    clock = VirtualClock(speed=0)
    seen: list[tuple[int, int]] = []
    async with simulated(channel, SECRET, clock=clock) as sim:
        sim.control("disable_smtp_auth")
        target = retarget(target_for(channel, SECRET, timeout=5), sim)
        summary = await run_burst(
            target, 6, clock=clock, mailbox=sim.mailbox, on_progress=lambda *p: seen.append(p)
        )
    assert summary.to_dict()["not_sent"] == 6
    # The refusal settles every message (held back, not sent): the command line's bar ends.
    assert seen == [(1, 6), (6, 6)]


@pytest.mark.parametrize("as_json", [False, True])
def test_the_command_exits_1_with_the_count_not_sent_and_the_refusal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    monkeypatch.setenv("BURST_SECRET", "Burst-refused-canary-9d")
    path = tmp_path / "o365.toml"
    store.save(office365(secret="env:BURST_SECRET"), path, profile=load("office365"))
    # The lesson's password change (10m) happens before the burst: the old secret is refused.
    argv = ["burst", str(path), "--count", "5", "--simulate", "password-changed"]
    code = main(argv + (["--json"] if as_json else []))
    out = capsys.readouterr().out
    assert code == 1  # the server refused
    assert "Burst-refused-canary-9d" not in out
    if as_json:
        data = json.loads(out)
        assert data["not_sent"] == 5 and data["sent"] == 0 and data["sign_in_failed"]
        assert data["stopped"]["reply"].startswith(REFUSAL)
    else:
        assert "failed 0, not sent 5" in out
        assert f"      5 not-sent at auth: {REFUSAL}" in out  # each message, by the one refusal
        assert f"stopped at auth: sign-in refused: {REFUSAL}" in out
