"""A cached access token is judged by the server: refused as run out, it is refreshed once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from console import store
from console.burst import render_summary, run_burst
from console.cli import main
from console.oauth import access
from console.oauth.rehearsal import RehearsalView, rehearsal_signin
from console.oauth.tokens import store_for
from console.rehearse import retarget
from console.target import target_for
from simulator.clock import VirtualClock
from simulator.server import Simulator
from simulator.state import Account
from tests.oauth_channels import FILE_STORE, GMAIL, OFFICE365, write

USER = "alice@contoso.com"
NOTE = "the server refused the access token (it may have run out by the server's clock)"


@pytest.fixture
async def sim(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Simulator]:
    monkeypatch.setenv("TOKENS_PASSPHRASE", "server clock passphrase")
    async with Simulator("office365", accounts=[Account(USER, send_as=[USER])]) as simulator:
        yield simulator


async def _signed_in(sim: Simulator, channels_dir: Path, template: str = OFFICE365) -> str:
    """A channel aimed at the running simulator, signed in by the wall clock; its token."""
    path = write(channels_dir, template, "o365", extra=FILE_STORE)
    text = path.read_text()
    for host in ('"smtp.office365.com"', '"smtp.gmail.com"'):
        text = text.replace(host, '"127.0.0.1"')
    path.write_text(text.replace("port = 587", f"port = {sim.port}"))
    channel = store.read(path).channel
    view = RehearsalView(sim)
    try:
        tokens = await access.login(access.sign_in_for(channel, base=sim.signin_url), view)
    finally:
        await view.close()
    return tokens.refresh_token


async def _check(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = await asyncio.to_thread(main, ["check", "o365", "--insecure", "--json"])
    return code, json.loads(capsys.readouterr().out)


async def test_a_token_run_out_by_the_servers_clock_is_refreshed_and_the_check_passes(
    sim: Simulator, channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first_refresh = await _signed_in(sim, channels_dir)
    sim.clock.advance(hours=2)  # the console's own clock still gives the token an hour
    code, report = await _check(capsys)
    assert code == 0, report
    lines = [str(line["text"]) for line in report["transcript"]]  # type: ignore[attr-defined]
    assert sum(line.startswith("AUTH XOAUTH2") for line in lines) == 2
    assert any(line.startswith("535 5.7.3") for line in lines)
    assert NOTE in "\n".join(lines) and lines[-1].startswith("221")
    auth = next(s for s in report["stages"] if s["name"] == "auth")  # type: ignore[attr-defined]
    assert auth["detail"] == f"XOAUTH2 as {USER}, with a refreshed access token"
    kept = store_for(store.read(channels_dir / "o365.toml").channel).load()
    assert kept is not None and kept.refresh_token != first_refresh  # rotated and kept
    code, report = await _check(capsys)  # the refreshed token is cached and good
    assert code == 0 and NOTE not in json.dumps(report)


async def test_another_refusal_is_not_retried(
    sim: Simulator, channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _signed_in(sim, channels_dir)
    sim.control("disable_smtp_auth")
    code, report = await _check(capsys)
    assert code == 1
    assert NOTE not in json.dumps(report) and "5.7.139" in json.dumps(report)


async def test_a_refused_refresh_keeps_the_servers_refusal(
    sim: Simulator, channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _signed_in(sim, channels_dir)
    sim.control("revoke_token", USER)  # access and refresh tokens both stop working
    code, report = await _check(capsys)
    assert code == 1
    text = json.dumps(report)
    assert NOTE in text and "no new access token" in text and "AADSTS50173" in text
    assert report["diagnosis"]["id"] == "office365-auth-unsuccessful"  # type: ignore[index]


async def test_gmail_too_after_its_challenge(
    channels_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKENS_PASSPHRASE", "server clock passphrase")
    bob = Account("bob@gmail.com", send_as=["bob@gmail.com"])
    async with Simulator("gmail", accounts=[bob]) as sim:
        await _signed_in(sim, channels_dir, GMAIL)
        sim.clock.advance(hours=2)
        code, report = await _check(capsys)
    assert code == 0, report
    lines = [str(line["text"]) for line in report["transcript"]]  # type: ignore[attr-defined]
    assert any(line.startswith("334 ") for line in lines) and NOTE in "\n".join(lines)


async def test_a_burst_renews_the_token_when_it_signs_in_again_after_an_hour(
    channels_dir: Path,
) -> None:
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    account = Account(USER, send_as=[USER])
    async with Simulator("office365", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        signin = await rehearsal_signin(channel, sim)
        token, _ = await access.access_token(signin)
        target = replace(retarget(target_for(channel, token), sim), renew=access.renewal(signin))

        def progress(done: int, count: int) -> None:
            if done == 1:  # an hour on, a deferral makes the next message connect again
                sim.clock.advance(hours=2)
                sim.control("greylisting_on")
            elif done == 2:
                sim.control("greylisting_off")

        summary = await run_burst(target, 3, clock=sim.clock, on_progress=progress)
    assert [o.status for o in summary.outcomes] == ["accepted", "deferred", "accepted"]
    assert summary.tokens_refreshed == 1
    assert "refused the access token 1 time(s) as run out" in render_summary(summary)
