"""The command line agrees with itself: --channels-dir, --version, argument order, --anyway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console import paths, store
from console.channel import draft
from console.cli import main
from simulator.profile import load

SECRET = "Consistency-canary-77"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONSISTENCY_SECRET", SECRET)
    profile = load("office365")
    channel = draft(profile, "o365", username="alice@contoso.com", secret="env:CONSISTENCY_SECRET")
    store.save(channel, tmp_path / "o365.toml", profile=profile)
    yield tmp_path
    paths.choose_channels_dir(None)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "o365", "--simulate", "--channels-dir", "{dir}"],
        ["--channels-dir", "{dir}", "check", "o365", "--simulate"],
        ["--channels-dir", "{dir}", "check", "--simulate", "o365"],
        ["check", "--simulate", "o365", "--channels-dir", "{dir}"],
        ["burst", "o365", "--count", "2", "--simulate", "--channels-dir", "{dir}"],
        ["--channels-dir", "{dir}", "burst", "--simulate", "o365", "--count", "2"],
        [
            "--channels-dir",
            "{dir}",
            "burst",
            "o365",
            "--count",
            "2",
            "--rate",
            "none",
            "--simulate",
        ],
        ["--channels-dir", "{dir}", "channels", "show", "o365"],
        ["--channels-dir", "{dir}", "channels", "validate", "o365"],
    ],
)
def test_channels_dir_anywhere_and_simulate_in_either_order(
    argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([a.replace("{dir}", str(folder)) for a in argv], capsys)
    assert code == 0, err
    assert SECRET not in out + err


def test_a_missing_channel_is_bad_input(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "--simulate"], capsys)
    assert code == 2 and "CHANNEL is required" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.startswith("smtp-console ")


def test_rate_must_be_a_number_or_none(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["--channels-dir", str(folder), "burst", "o365", "--count", "2", "--rate", "fast"], capsys
    )
    assert code == 2 and "none" in err


def test_rate_none_sends_without_pacing(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--channels-dir", str(folder), "burst", "o365", "--count", "40", "--rate", "none"]
    code, out, _ = run([*argv, "--simulate", "--json"], capsys)
    data = json.loads(out)
    assert data["rate_per_minute"] is None and data["sent"] == 40
    assert data["delayed"] == 10  # all in one minute: Office 365 holds back the ten over 30


def write_send_as(folder: Path, granted: bool) -> Path:
    profile = load("office365")
    channel = draft(
        profile,
        "shared",
        username="alice@contoso.com",
        from_address="team@contoso.com",
        secret="env:CONSISTENCY_SECRET",
    )
    path = folder / "shared.toml"
    path.unlink(missing_ok=True)
    store.save(channel, path, profile=profile)
    if granted:
        text = path.read_text().replace(
            'from = "team@contoso.com"', 'from = "team@contoso.com"\nsend_as = true'
        )
        path.write_text(text)
    return path


def test_the_send_as_grant_clears_the_validation_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_send_as(folder, granted=False)
    code, out, _ = run(["channels", "validate", str(path)], capsys)
    assert code == 1 and "sender.send_as = true" in out
    path = write_send_as(folder, granted=True)
    code, out, _ = run(["channels", "validate", str(path)], capsys)
    assert code == 0, out
    assert store.read(path).channel.sender.send_as is True


def test_send_as_must_be_true_or_false(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_send_as(folder, granted=True)
    path.write_text(path.read_text().replace("send_as = true", 'send_as = "yes"'))
    code, _, err = run(["check", str(path), "--simulate"], capsys)
    assert code == 2 and "sender.send_as: must be true or false" in err


def test_check_anyway_lists_the_problems_then_checks(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_send_as(folder, granted=False)
    code, _, err = run(["check", str(path), "--simulate"], capsys)
    assert code == 2 and "--anyway" in err and "sender.from" in err
    code, out, err = run(["check", str(path), "--simulate", "--anyway", "--json"], capsys)
    assert "warning:" in err and "sender.from" in err
    data = json.loads(out)
    assert data["stages"][0]["status"] == "ok"
    assert code in (0, 1)


def test_channels_list_json_carries_problems(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_send_as(folder, granted=False)
    code, out, _ = run(["--channels-dir", str(folder), "channels", "list", "--json"], capsys)
    rows = {Path(row["path"]).stem: row for row in json.loads(out)}
    assert code == 0
    assert rows["o365"]["problems"] == []
    assert rows["shared"]["problems"][0]["field"] == "sender.from"


@pytest.mark.parametrize("before", [True, False])
def test_oauth_takes_channels_dir_too(
    before: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.oauth_channels import OFFICE365, write

    write(tmp_path, OFFICE365, "mail")
    where = ["--channels-dir", str(tmp_path)]
    argv = [*where, "oauth", "status", "mail"] if before else ["oauth", "status", "mail", *where]
    _, _, err = run([*argv, "--json"], capsys)
    paths.choose_channels_dir(None)
    assert "keyring" in err  # the channel was found; only its token store is out of reach here
    _, _, lost = run(["oauth", "status", "mail", "--json"], capsys)
    assert "keyring" not in lost and "mail" in lost
