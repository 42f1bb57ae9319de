"""The check's transcript reaches the console line by line, while the check runs."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import RichLog

from console.channel import Channel, draft
from console.check import Line, Stage, run_check, target_for
from console.rehearse import retarget, simulated
from console.tui.widgets.check_panel import CheckPanel
from simulator.profile import load
from tests.console_pilot import started

SECRET = "Canary-Stream-5e1d"
ALICE = "alice@contoso.com"


def office365_channel() -> Channel:
    return draft(load("office365"), "stream", username=ALICE, from_address=ALICE)


async def test_each_line_is_handed_over_before_its_stage_ends() -> None:
    channel = office365_channel()
    events: list[Line | Stage] = []

    def stage_seen(stage: Stage) -> None:
        events.append(Stage(stage.name, stage.status))

    async with simulated(channel, SECRET) as sim:
        target = retarget(target_for(channel, SECRET, timeout=3), sim)
        report = await run_check(target, stage_seen, on_line=events.append)
    assert report.passed, report.diagnosis
    assert [e for e in events if isinstance(e, Line)] == report.transcript
    auth_done = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, Stage) and (e.name, e.status) == ("auth", "ok")
    )
    before = [e.text for e in events[:auth_done] if isinstance(e, Line)]
    assert "AUTH LOGIN" in before and any(text.startswith("235 ") for text in before)
    assert all(SECRET not in e.text for e in events if isinstance(e, Line))


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CheckPanel()


async def test_the_panel_shows_lines_as_the_stages_pass() -> None:
    channel = office365_channel()
    seen_at_auth: list[str] = []
    app = PanelApp()
    async with started(app) as pilot, simulated(channel, SECRET) as sim:
        panel = app.query_one(CheckPanel)
        log = panel.query_one(RichLog)
        lights = panel.query_one("#stages")
        mark = lights.mark

        def spy(name: str, status: str) -> None:
            if (name, status) == ("auth", "ok"):
                seen_at_auth.extend(str(line.text) for line in log.lines)
            mark(name, status)

        lights.mark = spy  # type: ignore[method-assign]
        target = retarget(target_for(channel, SECRET, timeout=3), sim)
        report = await panel.run(target, lambda entry: entry)
        await pilot.pause()
    assert report.passed
    assert any(text.startswith("C: AUTH LOGIN") for text in seen_at_auth)
    assert not any("passed in" in text for text in seen_at_auth)
    written = [str(line.text) for line in log.lines]
    assert written[0].startswith("* checking stream") and written[-1].startswith("* passed in")
    assert any(text.startswith("S: 221 ") for text in written)
