"""Each identity-provider failure the simulator can stage is refused there and diagnosed here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from console import store
from console.check import run_check
from console.oauth import access, flows
from console.oauth.access import SignIn
from console.oauth.errors import OAuthFailure, SignInError
from console.oauth.flows import DeviceCode
from console.oauth.rehearsal import RehearsalView
from console.oauth.tokens import MemoryStore
from console.rehearse import retarget
from console.target import target_for
from simulator.profile import load
from simulator.server import Simulator
from simulator.state import Account
from tests.oauth_channels import GMAIL, OFFICE365, write

USERS = {"office365": "alice@contoso.com", "gmail": "bob@gmail.com"}


@pytest.fixture(params=["office365", "gmail"])
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    user = USERS[request.param]
    async with Simulator(load(request.param), accounts=[Account(user, send_as=[user])]) as running:
        yield running


def signin_for(sim: Simulator, channels_dir: Path) -> SignIn:
    template = OFFICE365 if sim.profile.id == "office365" else GMAIL
    channel = store.read(write(channels_dir, template, "chan")).channel
    return access.sign_in_for(
        channel, base=sim.signin_url, store=MemoryStore(), clock=sim.clock.now
    )


REFRESH_FAILURES = {
    "office365": [
        ("refresh_token_idle", "aadsts700082-refresh-token-idle"),
        ("revoke_refresh_token", "aadsts50173-grant-revoked"),
        ("rotate_password", "aadsts50173-grant-revoked"),
        ("withdraw_consent", "aadsts65001-consent-required"),
        ("conditional_access_on", "aadsts53003-conditional-access"),
        ("require_mfa", "aadsts50076-mfa-required"),
    ],
    "gmail": [
        ("testing_mode_expiry", "google-invalid-grant"),
        ("revoke_refresh_token", "google-invalid-grant"),
        ("rotate_password", "google-invalid-grant"),
    ],
}


async def test_each_refresh_failure_is_diagnosed(sim: Simulator, channels_dir: Path) -> None:
    user = USERS[sim.profile.id]
    for control, expected in REFRESH_FAILURES[sim.profile.id]:
        signin = signin_for(sim, channels_dir)
        await access.login(signin, RehearsalView(sim))
        sim.control(control, user)
        sim.clock.advance(hours=2)
        with pytest.raises(SignInError) as refused:
            await access.access_token(signin)
        assert refused.value.diagnosis is not None, control
        assert refused.value.diagnosis.id == expected, (control, str(refused.value))
        for undo in ("conditional_access_off", "mfa_satisfied", "give_consent"):
            sim.control(undo, user if undo == "give_consent" else None)


async def test_a_refused_consent_is_diagnosed(sim: Simulator, channels_dir: Path) -> None:
    assert sim.signin is not None
    sim.signin.consent = "deny"
    with pytest.raises(SignInError) as refused:
        await access.login(signin_for(sim, channels_dir), RehearsalView(sim))
    expected = {"office365": "aadsts-authorization-declined", "gmail": "google-access-denied"}
    assert refused.value.diagnosis is not None
    assert refused.value.diagnosis.id == expected[sim.profile.id]


class _Staging(RehearsalView):
    """A simulated user who lets the code expire, or a server that asks to slow down."""

    def __init__(self, sim: Simulator, control: str) -> None:
        super().__init__(sim)
        self.control, self.waits = control, []

    def device_code(self, code: DeviceCode) -> None:
        self.simulator.control(self.control)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await super().sleep(seconds)


async def test_device_code_expiry_and_slow_down(channels_dir: Path) -> None:
    user = USERS["office365"]
    async with Simulator(load("office365"), accounts=[Account(user, send_as=[user])]) as sim:
        with pytest.raises(SignInError) as refused:
            await access.login(signin_for(sim, channels_dir), _Staging(sim, "expire_device_codes"))
        assert refused.value.diagnosis is not None
        assert refused.value.diagnosis.id == "device-code-expired"
        view = _Staging(sim, "slow_down")
        await access.login(signin_for(sim, channels_dir), view)
        assert view.waits[0] == 5 and view.waits[1] == 10  # slow_down adds five seconds


async def test_google_refuses_the_gmail_scope_on_the_device_flow(channels_dir: Path) -> None:
    user = USERS["gmail"]
    async with Simulator(load("gmail"), accounts=[Account(user, send_as=[user])]) as sim:
        signin = signin_for(sim, channels_dir)
        with pytest.raises(OAuthFailure) as refused:
            await flows.device_code(signin.endpoints, signin.client(), lambda code: None)
        diagnosis = access.failure(signin, refused.value).diagnosis
        assert diagnosis is not None and diagnosis.id == "google-device-flow-gmail-scope"


async def test_smtp_auth_off_for_the_mailbox_even_with_a_valid_token(channels_dir: Path) -> None:
    user = USERS["office365"]
    async with Simulator(load("office365"), accounts=[Account(user, send_as=[user])]) as sim:
        signin = signin_for(sim, channels_dir)
        tokens = await access.login(signin, RehearsalView(sim))
        sim.control("disable_smtp_auth_mailbox", user)
        report = await run_check(retarget(target_for(signin.channel, tokens.access_token), sim))
        assert report.diagnosis is not None and report.diagnosis.enhanced == "5.7.139"
        assert "SMTP AUTH" in report.diagnosis.title + report.diagnosis.cause


@pytest.mark.parametrize("method", ["xoauth2", "oauthbearer"])
async def test_gmail_answers_a_bad_token_with_its_json_challenge(
    channels_dir: Path, method: str
) -> None:
    user = USERS["gmail"]
    async with Simulator(load("gmail"), accounts=[Account(user, send_as=[user])]) as sim:
        channel = store.read(write(channels_dir, GMAIL, "gm", method=method)).channel
        report = await run_check(retarget(target_for(channel, "ya29.not-issued-here"), sim))
        assert report.failed_stage is not None and report.failed_stage.name == "auth"
        assert any(line.text.startswith("334 ") for line in report.transcript)
        assert report.diagnosis is not None and report.diagnosis.code == 535
        assert "mail.google.com" in " ".join(report.diagnosis.fix)
