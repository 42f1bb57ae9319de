"""A burst whose sign-in is refused says how many were not sent and the provider's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console import store
from console.cli import main
from console.tui.app import ConsoleApp
from console.tui.widgets.minute_chart import MinuteChart
from simulator.profile import load
from tests.console_pilot import started
from tests.test_burst import office365
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
