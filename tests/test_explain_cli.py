"""smtp-console explain: text and JSON output, exit codes."""

from __future__ import annotations

import io
import json
import sys

import pytest

from console.cli import main


def test_explain_prints_cause_fix_and_guide(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "554 5.2.252 SendAsDenied; a@x not allowed to send as b@x"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Not allowed to send as this address" in out
    assert "1. " in out
    assert "'send-as'" in out


def test_explain_json_with_provider(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "explain",
            "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
            "--provider",
            "postmark",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["id"] == "postmark-auth-failed"
    assert data["code"] == 535 and data["enhanced"] == "5.7.8"


def test_explain_unknown_provider_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "535 nope", "--provider", "hotmale"]) == 2
    err = capsys.readouterr().err
    assert "--provider" in err and "office365" in err


def test_explain_empty_reply_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "  "]) == 2
    assert "empty" in capsys.readouterr().err


def test_explain_reads_a_multiline_reply_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pasted = (
        "534-5.7.9 Application-specific password required. Learn more at\n"
        "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp\n"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(pasted))
    assert main(["explain", "-", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "gmail-app-password-required"
    assert data["reply"].startswith("534 5.7.9 Application-specific password required.")
