"""The console's sign-in step at 80x24: the device code, the countdown, the result; keys only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import Static

from console import store
from console.oauth.tokens import MemoryStore
from console.tui.screens.oauth_signin import SignInScreen, token_status
from tests.oauth_channels import OFFICE365, write
from tests.test_oauth_flows import Service, office365  # noqa: F401 (the fixture)


class VirtualWait(SignInScreen):
    """The sign-in step, whose polling interval passes on the simulator's clock at once."""

    def __init__(self, service: Service, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.service, self.waits = service, list[float]()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.service.simulator.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


class Host(App[None]):
    def __init__(self, screen: SignInScreen) -> None:
        super().__init__()
        self.signin_screen = screen
        self.result: bool | None = None

    def on_mount(self) -> None:
        def done(result: bool | None) -> None:
            self.result = result

        self.push_screen(self.signin_screen, done)


async def test_device_code_sign_in_step(office365: Service, channels_dir: Path) -> None:  # noqa: F811
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    kept = MemoryStore()
    assert token_status(channel, kept) == "OAuth: not signed in (ctrl+g signs in)"
    screen = VirtualWait(office365, channel, base=office365.url, store=kept)
    host = Host(screen)
    async with host.run_test(size=(80, 24)) as pilot:
        for _ in range(600):
            await pilot.pause()
            if screen.signed_in:
                break
        assert screen.signed_in
        assert screen.waits and set(screen.waits) == {5}  # the service's interval, each time
        code = str(screen.query_one("#signin-code", Static).render())
        assert screen.copyable == "" and code.strip()
        result = str(screen.query_one("#signin-result", Static).render())
        assert "Signed in as alice@contoso.com" in result
        await pilot.press("escape")
        await pilot.pause()
    assert host.result is True
    assert token_status(channel, kept).startswith("OAuth: signed in as alice@contoso.com")
    assert kept.tokens is not None and kept.tokens.refresh_token
