"""The editor's OAuth line: signed in as whom and for how long, without the HTTP libraries."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import Static

from console import store
from console.oauth.tokens import TokenSet, store_for
from console.tui.app import ConsoleApp
from console.tui.widgets.editor_pane import EditorPane
from tests.conftest import MemoryKeyring
from tests.console_pilot import started
from tests.oauth_channels import OFFICE365, write
from tests.test_tui_flows import main_screen, settle


def line(app: ConsoleApp) -> Static:
    return main_screen(app).query_one("#oauth-status", Static)


async def test_the_editor_says_whether_an_oauth_channel_is_signed_in(
    channels_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    path = write(channels_dir, OFFICE365, "o365")
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        assert not line(app).display  # the first draft signs in with a password
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, lambda: "not signed in" in str(line(app).render()))
        assert line(app).display
        assert str(line(app).render()) == "OAuth: not signed in (ctrl+g signs in)"

        channel = store.read(path).channel
        now = time.time()
        tokens = TokenSet("access", now + 3000, "refresh", now, now, account="alice@contoso.com")
        store_for(channel).save(tokens)
        main_screen(app).query_one(EditorPane).show_token_status(again=True)
        await settle(pilot, lambda: "signed in as" in str(line(app).render()))
        text = str(line(app).render())
        assert text.startswith("OAuth: signed in as alice@contoso.com; access token expires in")
        assert "access" not in text.replace("access token", "")  # never the token itself

        store_for(channel).save(TokenSet("access", now - 10, "refresh", now, now, account="a@b.c"))
        main_screen(app).query_one(EditorPane).show_token_status(again=True)
        await settle(pilot, lambda: "expired" in str(line(app).render()))
        assert "renewed when next used" in str(line(app).render())


def test_reading_the_status_loads_no_http_or_oauth_library(channels_dir: Path) -> None:
    path = write(channels_dir, OFFICE365, "o365")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from console import store\n"
        "from console.oauth.tokens import MemoryStore\n"
        "from console.tui.oauth_status import token_status\n"
        f"channel = store.read(Path({str(path)!r})).channel\n"
        "print(token_status(channel, MemoryStore()))\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('authlib', 'httpx')]\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["OAuth: not signed in (ctrl+g signs in)", "[]"]
