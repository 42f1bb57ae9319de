"""Rehearse tab, OAuth channel: the check signs in at the simulator's service and the
sign-in toggles fail it where the provider would, in its words, until they are off."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen
from console.tui.widgets.check_panel import CheckPanel
from console.tui.widgets.stage_lights import StageLights
from tests.console_pilot import started
from tests.oauth_channels import GMAIL, OFFICE365, write
from tests.test_tui_flows import ALICE, main_screen, settle
from tests.test_tui_provider_toggles import check, rehearse, switch
from tests.test_tui_rehearse_lessons import prompts

BOB = "bob@gmail.com"


async def oauth_channel(pilot: Pilot[int], folder: Path, template: str) -> MainScreen:
    """Open an OAuth channel file in the editor, then the Rehearse tab on its simulator."""
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    write(folder, template, "signs-in")
    await pilot.press("ctrl+o")
    await pilot.pause()
    await pilot.press("enter")
    provider = "office365" if template is OFFICE365 else "gmail"
    await settle(pilot, lambda: screen.channel is not None and screen.channel.provider == provider)
    await rehearse(pilot, screen, provider)
    return screen


def transcript(screen: MainScreen) -> str:
    return "\n".join(screen.query_one(CheckPanel).lines)


async def fails_at_token(pilot: Pilot[int], screen: MainScreen, words: str, entry: str) -> None:
    states = await check(pilot, screen)
    assert states["token"] == "failed", transcript(screen)
    assert "auth" not in states  # no SMTP sign-in without an access token
    assert screen.diagnosis is not None and screen.diagnosis.id == entry
    assert words in screen.diagnosis.reply and words in transcript(screen)


async def passes(pilot: Pilot[int], screen: MainScreen) -> None:
    states = await check(pilot, screen)
    assert states["token"] == "ok" and states["auth"] == "ok", transcript(screen)
    assert states["quit"] == "ok", transcript(screen)


async def test_office365_refresh_token_revoked_fails_at_the_refresh_until_signed_in_again(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, OFFICE365)
        await passes(pilot, screen)
        said = transcript(screen)
        assert "signing in at the simulator's sign-in service (device code)" in said
        assert f"signed in as {ALICE}" in said
        assert "with a refreshed access token" not in said

        toggles = await switch(pilot, screen, "Refresh token revoked")
        assert "Refresh token revoked: on" in prompts(toggles)
        await fails_at_token(pilot, screen, "AADSTS50173", "aadsts50173-grant-revoked")
        assert "set aside" in transcript(screen)
        await fails_at_token(pilot, screen, "AADSTS50173", "aadsts50173-grant-revoked")

        await switch(pilot, screen, "Refresh token revoked")
        assert "Refresh token revoked: off" in prompts(toggles)
        await passes(pilot, screen)  # signed in anew, as after `oauth login`
        assert f"signed in as {ALICE}" in transcript(screen)
        await passes(pilot, screen)  # then the kept tokens serve: no sign-in
        assert "signing in" not in transcript(screen)


async def test_office365_conditional_access_and_mfa_fail_at_the_token_endpoint(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, OFFICE365)
        await passes(pilot, screen)
        for label, words, entry in (
            ("Conditional Access", "AADSTS53003", "aadsts53003-conditional-access"),
            ("MFA required", "AADSTS50076", "aadsts50076-mfa-required"),
            ("Consent withdrawn", "AADSTS65001", "aadsts65001-consent-required"),
        ):
            toggles = await switch(pilot, screen, label)
            assert f"{label}: on" in prompts(toggles)
            await fails_at_token(pilot, screen, words, entry)
            await switch(pilot, screen, label)
            assert f"{label}: off" in prompts(toggles)
            await passes(pilot, screen)
            assert "signing in" not in transcript(screen)  # the refresh token serves again


async def test_gmail_browser_sign_in_and_a_revoked_refresh_token_switched_on_before_it(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, GMAIL)
        toggles = await switch(pilot, screen, "Refresh token revoked")
        assert "Refresh token revoked: on" in prompts(toggles)
        await fails_at_token(
            pilot, screen, "Token has been expired or revoked.", "google-invalid-grant"
        )
        said = transcript(screen)
        assert "(auth code)" in said and f"signed in as {BOB}" in said

        await switch(pilot, screen, "Refresh token revoked")
        await passes(pilot, screen)


async def test_the_burst_tab_gets_its_token_from_the_sign_in_service_too(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, OFFICE365)
        await passes(pilot, screen)
        simulator = screen.rehearsal.simulator
        assert simulator is not None
        before = simulator.mailbox.accepted
        await switch(pilot, screen, "Conditional Access")
        await pilot.press("ctrl+b")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.diagnosis is not None
        assert screen.diagnosis.id == "aadsts53003-conditional-access"
        said = [str(n.message) for n in app._notifications]
        assert any("AADSTS53003" in text for text in said), said
        assert simulator.mailbox.accepted == before  # nothing sent without a token

        await switch(pilot, screen, "Conditional Access")
        await pilot.press("ctrl+b")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert simulator.mailbox.accepted > before


async def test_sign_in_on_approval_waits_for_the_device_code_to_be_approved(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, OFFICE365)
        toggles = await switch(pilot, screen, "Sign-in on approval")
        assert "Sign-in on approval: on" in prompts(toggles)
        simulator = screen.rehearsal.simulator
        assert simulator is not None and simulator.signin is not None
        simulator.clock.speed = 50  # a polling interval of 5 s passes in a tenth of a second
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: "waiting for the sign-in to be approved" in transcript(screen))
        code = simulator.signin.pending()[0]
        assert code in transcript(screen) and "/devicelogin" in transcript(screen)
        simulator.signin.approve(code, ALICE)  # the trainer, at the service's page
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        states = screen.query_one(StageLights).states
        assert states["token"] == "ok" and states["quit"] == "ok", transcript(screen)


async def test_device_code_toggles_act_on_the_code_of_a_new_sign_in(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await oauth_channel(pilot, channels_dir, OFFICE365)
        await switch(pilot, screen, "Device code expired")
        await fails_at_token(pilot, screen, "AADSTS70020", "device-code-expired")
        await switch(pilot, screen, "Device code expired")
        toggles = await switch(pilot, screen, "Device code slow_down")
        assert "Device code slow_down: on" in prompts(toggles)
        await passes(pilot, screen)  # the client waits longer between polls, as asked
        await passes(pilot, screen)
        assert "acts on a new sign-in's device code" in transcript(screen)
