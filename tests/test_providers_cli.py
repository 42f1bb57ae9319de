"""smtp-console providers: the list, one provider's details, JSON, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from simulator.profile import profiles_dir

PROVIDERS = ["office365", "gmail", "sparkpost", "sendgrid", "mailgun", "amazon-ses", "postmark"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_every_provider_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "providers")
    assert (code, err) == (0, "")
    ids = [line.split()[0] for line in out.splitlines()[1:] if line and line[0].islower()]
    assert ids == [*PROVIDERS, "custom"]
    assert "Office 365 / Exchange Online  mailbox  no" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_list_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers", "--json")
    listed = {entry["id"]: entry for entry in json.loads(out)}
    assert code == 0 and set(listed) == {*PROVIDERS, "custom"}
    gmail = listed["gmail"]
    assert gmail["limits"]["recipients_per_message"] == {
        "value": 100,
        "unit": "recipients per message",
        "text": "100 recipients per message",
    }
    assert gmail["endpoints"][0] == {
        "host": "smtp.gmail.com",
        "port": 587,
        "security": "starttls",
        "recommended": True,
    }
    assert listed["sendgrid"]["auth"]["fixed_username"] == "apikey"
    assert listed["office365"]["limits"]["rate_mode"] == "delay"


def test_show_gives_endpoints_limits_guide_and_reply_origins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "providers", "show", "office365")
    assert (code, err) == (0, "")
    for expected in (
        "Office 365 / Exchange Online (office365)",
        "smtp.office365.com:587 STARTTLS (recommended)",
        "must not be shared",
        "LOGIN, XOAUTH2; only over TLS",
        "30 messages per minute; the excess is held back and sent later",
        "10,000 recipients per rolling 24 hours",
        "3 simultaneous connections per user",
        "157,286,400 bytes per message at most (150.0 MiB)",
        "- Each person signs in with their own address and password",
        "before TLS: SIZE 157286400",
    ):
        assert expected in out
    rows = [line.split() for line in out.splitlines() if line[:2] == "  " and line[2] != " "]
    replies = {row[0]: row[2] for row in rows}
    assert replies["send_as_denied"] == "OBS"
    assert replies["quit"] == "RFC"
    assert out.count(" RFC  ") == sum(1 for origin in replies.values() if origin == "RFC")


def test_show_prints_multi_line_replies_line_by_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers", "show", "GMAIL")
    assert code == 0
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "550-5.4.5 Daily user sending" in line)
    column = lines[first].index("550-")
    assert lines[first + 1][column:].startswith("550-5.4.5 sending limits go to")
    assert lines[first + 2][column:].startswith("550 5.4.5  https://support.google.com/a/answer")


@pytest.mark.parametrize(
    "argv",
    [("providers", "show", "postmark", "--json"), ("providers", "--json", "show", "postmark")],
)
def test_show_as_json_either_flag_position(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, out, _ = run(capsys, *argv)
    shown = json.loads(out)
    assert code == 0 and shown["id"] == "postmark"
    assert shown["auth"]["secret_as_username"] is True
    origins = {reply["key"]: reply["origin"] for reply in shown["replies"]}
    assert origins["auth_failed"] == "provider" and origins["quit"] == "rfc-default"


def test_unknown_provider_exits_2_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "providers", "show", "hotmail")
    assert (code, out) == (2, "")
    assert err.startswith("smtp-console providers: unknown provider 'hotmail' (known: ")
    assert "amazon-ses" in err and "office365" in err


def _bad_copy(tmp_path: Path) -> tuple[Path, int]:
    folder = tmp_path / "profiles"
    shutil.copytree(profiles_dir(), folder)
    path = folder / "sendgrid.toml"
    text = path.read_text().replace("messages_per_day = 100", "messages_per_day = -", 1)
    path.write_text(text)
    return path, text.splitlines().index("messages_per_day = -") + 1


@pytest.mark.parametrize("action", [(), ("show", "sendgrid"), ("show", "gmail", "--json")])
def test_malformed_profile_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: tuple[str, ...]
) -> None:
    path, line = _bad_copy(tmp_path)
    original = path.read_text()
    code, out, err = run(capsys, "providers", "--profiles-dir", str(path.parent), *action)
    if action[1:2] == ("gmail",):
        # gmail itself is fine: showing it does not need the broken sendgrid file
        assert code == 0 and json.loads(out)["id"] == "gmail"
        return
    assert (code, out) == (2, "")
    assert err.startswith(f"smtp-console providers: {path}:{line}: ")
    assert "not valid TOML" in err and "Traceback" not in err
    assert path.read_text() == original


def test_bad_field_value_is_named_by_the_installed_program(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    shutil.copytree(profiles_dir(), folder)
    path = folder / "amazon-ses.toml"
    path.write_text(
        path.read_text().replace("messages_per_second = 1", 'messages_per_second = "1"')
    )
    line = path.read_text().splitlines().index('messages_per_second = "1"') + 1
    done = subprocess.run(
        [sys.executable, "-m", "console", "providers", "--profiles-dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"smtp-console providers: {path}:{line}: limits.messages_per_second: "
        "must be an int, not '1'\n"
    )


def test_a_reader_that_goes_away_early_gets_no_traceback() -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "console", "providers", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `| head` exiting before the list is printed
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert errors == ""
