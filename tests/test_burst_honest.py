"""burst counts only what happened: sign-in refusals, drops, ctrl+c, --rate none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from console import store
from console.burst import pacing, run_burst
from console.channel import draft
from console.target import Target
from simulator.profile import load
from tests.wire_servers import Handler, Peer, Server, smtp

SECRET = "Burst-honest-canary-4e"
USER = "alice@example.com"


def target(port: int, **changes: object) -> Target:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": USER,
        "timeout": 2.0,
    }
    values.update(changes)
    return Target(**values)  # type: ignore[arg-type]


async def test_a_refused_sign_in_is_a_sign_in_failure_not_a_rejected_message() -> None:
    refusal = "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
    with Server(smtp(answers={"AUTH": refusal})) as server:
        summary = await run_burst(
            target(server.port, method="plain", username=USER, secret=SECRET), 5
        )
    data = summary.to_dict()
    assert data["sent"] == 0 and data["rejected"] == 0 and data["not_sent"] == 5
    assert data["sign_in_failed"] is True
    assert data["stopped"] == {"stage": "auth", "reply": refusal}
    assert data["by_reply"][0]["stage"] == "auth"
    assert summary.diagnoses[0].stage == "auth"
    assert SECRET not in json.dumps(data)


@pytest.mark.parametrize("drop", ["greeting", "EHLO"])
async def test_a_dropped_connection_sends_nothing(drop: str) -> None:
    with Server(smtp(drop=drop)) as server:
        summary = await run_burst(target(server.port), 3)
    data = summary.to_dict()
    assert data["sent"] == 0 and data["accepted"] == 0
    assert data["stopped"] is not None and data["stopped"]["stage"] == "connect"
    assert all(row["sent"] == 0 for row in data["timeline"])


async def test_a_refused_recipient_was_sent_and_rejected() -> None:
    answers = {"RCPT": "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"}
    with Server(smtp(answers=answers)) as server:
        summary = await run_burst(target(server.port, recipient="bob@example.org"), 2)
    data = summary.to_dict()
    assert data["sent"] == 2 and data["rejected"] == 2 and data["stopped"] is None


def test_rate_none_and_the_default_pacing() -> None:
    channel = draft(load("office365"), "o", username=USER, messages_per_minute=30)
    assert pacing(channel) == 30.0
    assert pacing(channel, "none") is None
    assert pacing(channel, 12.0) == 12.0
    assert pacing(draft(load("custom"), "c", username=USER)) is None


def slow_smtp(accepted: threading.Event) -> Handler:
    """Accepts messages, a quarter of a second each; `accepted` is set at the first."""

    def handle(peer: Peer) -> None:
        original_send = peer.send

        def send(data: str | bytes) -> None:
            if isinstance(data, str) and data.startswith("250 2.0.0"):
                time.sleep(0.25)
                accepted.set()
            original_send(data)

        peer.send = send  # type: ignore[method-assign]
        smtp()(peer)

    return handle


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_prints_the_partial_summary_and_exits_130(as_json: bool, tmp_path: Path) -> None:
    profile = load("custom")
    accepted = threading.Event()
    with Server(slow_smtp(accepted)) as server:
        channel = draft(
            profile,
            "slow",
            username=USER,
            from_address=USER,
            host="127.0.0.1",
            port=server.port,
            security="none",
            method="none",
        )
        path = tmp_path / "slow.toml"
        store.save(channel, path, profile=profile)
        argv = [sys.executable, "-m", "console", "burst", str(path), "--count", "400"]
        argv += ["--rate", "none", "--yes", *(["--json"] if as_json else [])]
        # A shell that starts pytest in the background has it ignore SIGINT, and a child would
        # inherit that and ignore ctrl+c: the child starts with the handling a terminal gives.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            child = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        assert accepted.wait(60)
        time.sleep(0.6)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "Traceback" not in err
    if as_json:
        data = json.loads(out)
        assert data["interrupted"] is True
        assert 0 < data["sent"] < 400 and data["accepted"] >= 1
        assert data["accepted"] + data["failed"] + data["not_sent"] == 400
    else:
        assert out.startswith("interrupted (ctrl+c)")
        assert " of 400 test messages" in out
