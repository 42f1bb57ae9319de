"""The console's real flows, driven by key presses against the embedded simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from textual import work
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, RadioSet, RichLog, Static

from console.tui.app import ConsoleApp
from console.tui.errors import notify_errors
from console.tui.screens.choices import AskName, Choose, TextView
from console.tui.screens.main import MainScreen
from console.tui.screens.message_viewer import MessageViewer
from console.tui.screens.secret_source import SecretSourceDialog
from console.tui.widgets.diagnosis_card import DiagnosisCard
from console.tui.widgets.editor_pane import EditorPane
from console.tui.widgets.minute_chart import MinuteChart, MinuteCounts
from console.tui.widgets.stage_lights import StageLights
from console.tui.widgets.toml_preview import TomlPreview
from simulator.server import Simulator
from tests.console_pilot import started

ALICE = "alice@contoso.com"
PASSWORD = "Canary-Pa55word-7f3e"


def main_screen(app: ConsoleApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def type_into(pilot: Pilot[int], widget_id: str, text: str, *, keys: bool = False) -> None:
    """Focus a field and replace its text: key by key, or pasted in one go (faster)."""
    field = main_screen(pilot.app).query_one(f"#{widget_id}", Input)  # type: ignore[arg-type]
    field.focus()
    if keys:
        await pilot.press("ctrl+a", "ctrl+k", *text)
    else:
        field.value = text
    await pilot.pause()


async def office365_personal_channel(pilot: Pilot[int]) -> MainScreen:
    """Walk the guide to the Office 365 personal recommendation and start its channel."""
    for answer in ("1", "1", "1", "1", "1"):  # Office 365, own mailbox, no bulk, no MFA, no OAuth
        await pilot.press(answer)
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    assert screen.query_one("#guide").walk.current.id == "office365-personal"
    await pilot.press("c")
    await pilot.pause()
    return screen


async def settle(pilot: Pilot[int], condition: Callable[[], bool]) -> None:
    """Let queued messages run until the condition holds (a dialog pushed from a worker)."""
    for _ in range(200):
        if condition():
            # A screen just pushed may not have composed yet: one pause, and its widgets exist
            # (a Choose had no #choose-question yet on a loaded machine).
            if pilot.app.is_running:
                await pilot.pause()
            return
        await pilot.pause()
    raise AssertionError("the console never reached the expected state")


def problems_shown(screen: MainScreen) -> dict[str, str]:
    return {str(line.id): str(line.render()) for line in screen.query(".problem.-shown")}


async def test_guide_to_saved_office365_channel(channels_dir: Path, memory_keyring: object) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        assert screen.query_one("#tabs").active == "tab-channel"
        assert screen.query_one("#auth-method").value == "login"
        assert screen.query_one("#server-host", Input).value == "smtp.office365.com"
        assert "problem-auth-username" in problems_shown(screen)

        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", "team@contoso.com")
        shown = problems_shown(screen)
        assert "Send As" in shown["problem-sender-from"]
        await type_into(pilot, "sender-from", ALICE)
        await type_into(pilot, "server-port", "465", keys=True)
        assert "problem-server-port" in problems_shown(screen) or "problem-server-security" in (
            problems_shown(screen)
        )
        await type_into(pilot, "server-port", "587", keys=True)
        assert problems_shown(screen) == {}
        assert screen.problem_count == 0

        await type_into(pilot, "auth-password", PASSWORD)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

        saved = channels_dir / "office365-personal.toml"
        text = saved.read_text()
        assert f'username = "{ALICE}"' in text and "port = 587" in text
        assert PASSWORD not in text
        assert keyring.get_password("smtp-console:smtp.office365.com", ALICE) == PASSWORD
        assert screen.query_one("#auth-password", Input).value == ""


async def test_check_passes_then_fails_at_auth_after_password_rotation() -> None:
    app = ConsoleApp()
    async with started(app, size=(120, 40)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)

        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lights = screen.query_one(StageLights)
        assert lights.states["auth"] == "ok" and lights.states["rcpt"] == "ok"
        assert "failed" not in lights.states.values()
        assert not screen.query_one(DiagnosisCard).display

        toggles = screen.query_one("#trainer-toggles")
        toggles.focus()
        await pilot.press("down", "space")  # the second toggle: password rotated
        await pilot.pause()
        assert "password-rotated" in screen.rehearsal.active

        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert lights.states["auth"] == "failed"
        assert lights.states["mail"] == "skipped"
        # Lines wrap at the panel's width: read them joined.
        transcript = "".join(line.text for line in screen.query_one("#transcript", RichLog).lines)
        assert "535 5.7.3 Authentication unsuccessful" in transcript
        card = screen.query_one(DiagnosisCard)
        assert card.display
        assert screen.diagnosis is not None
        assert screen.diagnosis.provider == "office365" and screen.diagnosis.stage == "auth"
        assert "password" in str(card.query_one("#diagnosis-text", Static).render()).lower()

        await pilot.press("g")
        await pilot.pause()
        answer = str(screen.query_one("#faq-answer").render())
        assert screen.diagnosis.guide in screen.faq.ids()
        assert screen.faq.get(screen.diagnosis.guide).question in answer


async def test_no_keyring_offers_the_alternatives(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await type_into(pilot, "auth-password", PASSWORD)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, SecretSourceDialog))
        await pilot.pause()
        assert isinstance(app.focused, RadioSet)
        await pilot.press("tab")  # keep the first choice, an environment variable
        assert isinstance(app.focused, Input) and app.focused.value == "SMTP_PASSWORD"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen
        text = (channels_dir / "office365-personal.toml").read_text()
        assert 'secret = "env:SMTP_PASSWORD"' in text
        assert PASSWORD not in text


async def test_a_change_on_disk_is_not_overwritten(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        saved = channels_dir / "office365-personal.toml"
        elsewhere = saved.read_text() + "# edited in another window\n"
        saved.write_text(elsewhere)

        await type_into(pilot, "sender-display-name", "Alice")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        assert saved.read_text() == elsewhere
        assert "changed" in str(app.screen.query_one("#choose-question", Static).render())

        await pilot.press("d")  # the difference: theirs on disk, then ours
        await settle(pilot, lambda: isinstance(app.screen, TextView))
        diff = app.screen.text  # type: ignore[attr-defined]
        assert "-# edited in another window" in diff and '+display_name = "Alice"' in diff
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("a")  # under another name, offered unused
        await settle(pilot, lambda: isinstance(app.screen, AskName))
        await pilot.press("enter")
        await settle(pilot, lambda: (channels_dir / "office365-personal-2.toml").exists())
        await app.workers.wait_for_complete()
        assert saved.read_text() == elsewhere
        other = (channels_dir / "office365-personal-2.toml").read_text()
        assert 'name = "office365-personal-2"' in other and "Alice" in other
        assert main_screen(app).query_one(EditorPane).unsaved() is False


async def test_names_that_look_like_markup_are_shown_as_typed() -> None:
    app = ConsoleApp()
    async with started(app, size=(120, 40)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "channel-name", "desk[/x]")
        assert app.is_running
        subtitle = str(screen.query_one(TomlPreview).border_subtitle)
        assert Content.from_markup(subtitle).plain.endswith("/desk[/x].toml")

        await type_into(pilot, "auth-username", "[/alice]")
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.pause()
        assert "[/alice]" in str(app.screen.query_one(Static).render())
        await pilot.press("n")


async def test_open_a_saved_channel(channels_dir: Path) -> None:
    (channels_dir / "desk.toml").write_text(
        '# the front desk\nname = "desk"\nprovider = "office365"\nscope = "personal"\n'
        '[server]\nhost = "smtp.office365.com"\nport = 587\nsecurity = "starttls"\n'
        f'[auth]\nmethod = "login"\nusername = "{ALICE}"\nsecret = "keyring"\n'
        f'[sender]\nfrom = "{ALICE}"\n'
    )
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#channel-name", Input).value == "desk"
        assert screen.query_one(EditorPane).path == channels_dir / "desk.toml"
        assert "# the front desk" in screen.query_one(TomlPreview).text


async def test_live_test_asks_first_and_does_nothing_on_no_then_help_and_command_palette() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")
        await app.workers.wait_for_complete()
        assert app.screen is screen
        assert screen.query_one("#transcript", RichLog).lines == []

        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Save channel", "Test against the simulator", "Burst", "Live test"):
            assert title in titles


async def test_burst_of_40_at_the_office365_limit() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        # An empty rate takes the channel's pacing, as the command line does: clear it.
        await type_into(pilot, "pacing-rate", "")
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = str(screen.query_one("#burst-summary").render())
        assert "30 on time" in summary and "10 delayed" in summary
        chart = screen.query_one(MinuteChart)
        assert chart.minutes == [MinuteCounts("min 0", 30, 10, 0)]
        progress = screen.query_one(ProgressBar)
        assert progress.progress == progress.total == 40

        await pilot.press("f9")
        table = screen.query_one("#captured", DataTable)
        assert table.row_count == 40
        marks = [table.get_row_at(row)[2] for row in range(table.row_count)]
        assert marks.count("delayed") == 10
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        viewer = app.screen
        assert isinstance(viewer, MessageViewer)
        assert screen.rehearsal.simulator is not None
        assert viewer.message is screen.rehearsal.simulator.mailbox.messages[1]
        headers = str(viewer.query_one("#message-headers").render())
        assert ALICE in headers and "Subject" in headers
        await pilot.press("escape")
        assert app.screen is screen


async def test_trainer_toggles_fail_the_check_where_the_provider_would() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        lights = screen.query_one(StageLights)
        expected = {
            2: ("auth", "5.7.139"),  # SMTP AUTH disabled for the tenant
            7: ("data", "5.2.252"),  # send-as denied, only after the message body
            6: ("starttls", ""),  # the server stops offering STARTTLS
            4: ("data", "5.2.0"),  # the day's quota used up
        }
        for position, (stage, code) in expected.items():
            await pilot.press("f7")
            await pilot.press("home", *["down"] * position, "space")
            await pilot.press("ctrl+t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert lights.states[stage] == "failed", (position, lights.states)
            assert screen.diagnosis is not None
            assert code in screen.diagnosis.reply
            await pilot.press("f7", "home", *["down"] * position, "space")  # switch it off
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        assert set(lights.states.values()) == {"ok"}
        assert screen.rehearsal.active == set()


async def test_live_test_after_yes_verifies_the_certificate() -> None:
    async with Simulator("office365") as live:  # stands in for a server we do not trust
        app = ConsoleApp()
        async with started(app, size=(80, 24)) as pilot:
            screen = await office365_personal_channel(pilot)
            await type_into(pilot, "server-host", "127.0.0.1")
            await type_into(pilot, "server-port", str(live.port))
            await type_into(pilot, "auth-username", ALICE)
            await type_into(pilot, "sender-from", ALICE)
            await type_into(pilot, "auth-password", PASSWORD)
            await pilot.press("ctrl+l")
            await settle(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("y")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lights = screen.query_one(StageLights)
            assert lights.states["certificate"] == "failed"
            assert lights.states["auth"] == "skipped"
            transcript = "\n".join(line.text for line in screen.query_one("#transcript").lines)
            assert f"127.0.0.1:{live.port}" in transcript
            assert PASSWORD not in transcript
            assert live.mailbox.messages == []


async def test_an_unexpected_error_is_a_notification(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the wire fell out")

    monkeypatch.setattr("console.check.run_check", broken)
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        messages = [str(n.message) for n in app._notifications]
        assert any("the wire fell out" in message for message in messages)


async def test_opening_a_channel_with_values_the_form_cannot_show(channels_dir: Path) -> None:
    (channels_dir / "odd.toml").write_text(
        'name = "odd"\nprovider = "office365"\nscope = "personal"\n'
        '[server]\nhost = "smtp.office365.com"\nport = 587\nsecurity = "[/ssl]"\n'
        # a username that reads as a markup tag must show as it is, not stop the console
        '[auth]\nmethod = "login"\nusername = "[/odd]"\nsecret = "keyring"\n'
        f'[sender]\nfrom = "{ALICE}"\n'
    )
    app = ConsoleApp()
    async with started(app, size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: type(app.screen).__name__ == "OpenChannel")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        messages = [str(n.message) for n in app._notifications]
        assert any("server.security = '[/ssl]' is not one of" in m for m in messages)


async def test_an_error_in_a_thread_worker_is_a_notification_too() -> None:
    class Failing(App[None]):
        @work(thread=True)
        @notify_errors("Saving")
        def fail(self) -> None:
            raise OSError("disk [/full]")

    app = Failing()
    async with started(app) as pilot:
        app.fail()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        messages = [str(n.message) for n in app._notifications]
        assert messages == ["Saving failed: OSError: disk [/full]"]


async def test_guide_oauth_recommendation_drafts_a_channel_that_signs_in_with_oauth(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        for answer in ("1", "1", "1", "1", "2"):  # Office 365, own mailbox, no bulk, no MFA, OAuth
            await pilot.press(answer)
        screen = main_screen(app)
        assert screen.query_one("#guide").walk.current.id == "office365-oauth"
        await pilot.press("c")
        await pilot.pause()
        assert screen.query_one("#auth-method").value == "xoauth2"
        assert screen.query_one("#auth-secret-kind").value == "oauth"
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()

        saved = (channels_dir / "office365-oauth.toml").read_text()
        assert 'secret = "oauth"' in saved and "[oauth]" in saved
        assert 'flow = "device_code"' in saved
