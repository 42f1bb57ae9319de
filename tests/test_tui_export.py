"""The console's Export dialog: preview per format, copy through OSC 52, save at mode 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.widgets import Input, TextArea

from console.tui.app import ConsoleApp
from console.tui.screens.export import ExportScreen
from console.tui.screens.main import MainScreen
from tests.console_pilot import started


async def test_export_previews_copies_and_saves(tmp_path: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        assert "account my-channel\n" in screen.query_one(TextArea).text
        assert "passwordeval smtp-console channels secret --print my-channel" in screen.text

        await pilot.press("down")  # the next format: django
        await pilot.pause()
        assert 'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"' in (
            screen.query_one(TextArea).text
        )

        await pilot.press("ctrl+y")
        assert app.clipboard == screen.text

        target = tmp_path / "settings.py"
        screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert target.read_text() == screen.text
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
