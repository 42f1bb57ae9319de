"""Secrets stay with their channel and out of files; unsaved edits are never dropped silently."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from console.tui.app import ConsoleApp
from console.tui.screens.choices import Choose
from console.tui.screens.main import MainScreen
from console.tui.screens.open_channel import OpenChannel
from console.tui.widgets.channel_form import TEXT_INPUTS
from console.tui.widgets.editor_pane import EditorPane
from tests.conftest import MemoryKeyring
from tests.console_pilot import started
from tests.test_secret_shapes import SENDGRID
from tests.test_tui_flows import (
    ALICE,
    PASSWORD,
    main_screen,
    office365_personal_channel,
    settle,
    type_into,
)

DESK = (
    'name = "desk"\nprovider = "office365"\nscope = "personal"\n'
    '[server]\nhost = "smtp.office365.com"\nport = 587\nsecurity = "starttls"\n'
    f'[auth]\nmethod = "login"\nusername = "{ALICE}"\nsecret = "keyring"\n'
    f'[sender]\nfrom = "{ALICE}"\n'
)


def password(app: ConsoleApp) -> str:
    return main_screen(app).query_one("#auth-password", Input).value


def question(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#choose-question", Static).render())


async def test_opening_another_channel_asks_then_forgets_the_secret(channels_dir: Path) -> None:
    (channels_dir / "desk.toml").write_text(DESK)
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await pilot.press("f6")
        await type_into(pilot, "auth-password", PASSWORD)
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        assert "not saved" in question(app)
        await pilot.press("escape")  # cancel: nothing changes
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        assert password(app) == PASSWORD
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, OpenChannel))
        await pilot.press("enter")
        name = main_screen(app).query_one("#channel-name", Input)
        await settle(pilot, lambda: name.value == "desk")
        assert password(app) == ""


async def test_guide_restart_and_a_new_draft_forget_the_secret(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await office365_personal_channel(pilot)
        await type_into(pilot, "auth-password", PASSWORD)
        await pilot.press("ctrl+n")  # back to the guide, which starts over
        await pilot.pause()
        assert password(app) == ""

        await type_into(pilot, "auth-password", PASSWORD)
        await pilot.press("f5")
        for answer in ("1", "1", "1", "1", "1"):
            await pilot.press(answer)
        await pilot.press("c")  # the same recommendation again: a new draft
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("d")
        await settle(pilot, lambda: not isinstance(app.screen, Choose))
        await pilot.pause()
        assert password(app) == ""
        assert main_screen(app).query_one("#channel-name", Input).value == "office365-personal"


async def test_a_secret_in_any_field_is_refused_then_moved(
    channels_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await type_into(pilot, "auth-secret-detail", "")
        saved = channels_dir / "office365-personal.toml"
        for field, widget_id in TEXT_INPUTS.items():
            if widget_id == "auth-secret-kind" or field not in _TYPABLE:
                continue
            before = screen.query_one(f"#{widget_id}", Input).value
            await type_into(pilot, widget_id, _TYPABLE[field])
            line = screen.query_one(f"#problem-{field.replace('.', '-').replace('_', '-')}")
            assert line.has_class("-shown") and "looks like" in str(line.render()), field
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: isinstance(app.screen, Choose))
            assert "looks like a" in question(app), field
            assert SENDGRID not in question(app)
            await pilot.press("escape")  # edit it myself
            await settle(pilot, lambda: app.screen is screen)
            assert app.focused is screen.query_one(f"#{widget_id}")
            assert not saved.exists()
            await type_into(pilot, widget_id, before)

        await type_into(pilot, "auth-username", f"{ALICE} {SENDGRID}")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("m")  # move it to the secret store
        await settle(pilot, lambda: saved.exists())
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert SENDGRID not in saved.read_text()
        assert screen.query_one("#auth-username", Input).value == ALICE
        assert SENDGRID in memory_keyring.passwords.values()


_TYPABLE = {
    "name": "Xk9vQ2mL7pR4tW8yB3nF6hJ1cZ5gD0sA",  # a name may not hold the key's dots
    "server.host": SENDGRID,
    "auth.username": SENDGRID,
    "sender.from": SENDGRID,
    "sender.display_name": f"Desk {SENDGRID}",
}


async def test_quit_asks_when_there_are_unsaved_edits(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, Choose))
        assert app.is_running
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: isinstance(app.screen, Choose))
        await pilot.press("s")  # save, then quit
        await settle(pilot, lambda: not app.is_running)
    assert ALICE in (channels_dir / "office365-personal.toml").read_text()


async def test_ctrl_c_says_how_to_quit_without_markup_and_quit_without_edits_does_not_ask() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert messages and all("[" not in m for m in messages)
        assert any("ctrl+q" in m for m in messages)
        assert app.is_running

        assert main_screen(app).query_one(EditorPane).unsaved() is False
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: not app.is_running)


async def test_the_focused_field_has_a_marker_and_focus_returns_after_the_faq_and_dialogs() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("f6")
        screen.query_one("#server-port", Input).focus()
        await pilot.pause()
        assert marked(app) == ["▶ Port"]  # a glyph, not only a colour
        await pilot.press("tab")
        await pilot.pause()
        assert marked(app) == ["▶ Security"]

        username = screen.query_one("#auth-username", Input)
        username.focus()
        await pilot.pause()
        await pilot.press("f2")  # the FAQ takes the whole width at 80 columns
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert app.focused is username
        screen.action_search_faq()  # "/" types a slash here; the palette reaches it too
        await pilot.press(*"relay")
        await pilot.pause()
        assert app.focused is screen.query_one("#faq-search")
        await pilot.press("f2")
        await pilot.pause()
        assert app.focused is username
        await pilot.press("f1")  # a dialog over the console
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is username
        assert marked(app) == ["▶ Username"]  # the marker came back with it


def marked(app: ConsoleApp) -> list[str]:
    labels = [str(label.render()) for label in main_screen(app).query(".field-label")]
    return [label for label in labels if label.startswith("▶")]
