"""Channel files under abuse: racing saves, links, modes, leftovers, odd bytes and deep nesting."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load

OFFICE365 = load("office365")

SAVER = """
import json, os, sys, time
from dataclasses import replace
from pathlib import Path
from console import store
path, who, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rename = os.replace
def slow_rename(source, target):
    time.sleep(0.02)  # a slow disk (or NFS): the window between check and rename widens
    rename(source, target)
os.replace = slow_rename
print("ready", flush=True)
sys.stdin.readline()
won, lost = [], 0
for number in range(rounds):
    original = store.read(path)
    sender = replace(original.channel.sender, display_name=f"{who} {number}")
    try:
        saved = store.save(replace(original.channel, sender=sender), path, original=original)
    except store.ConflictError:
        lost += 1
    else:
        won.append([original.digest, saved.digest])
print(json.dumps({"won": won, "lost": lost}))
"""


def save_alice(folder: Path, name: str = "alice") -> Path:
    path = folder / f"{name}.toml"
    store.save(draft(OFFICE365, name, username="alice@contoso.com"), path)
    return path


def test_two_processes_saving_from_one_original_never_both_win(channels_dir: Path) -> None:
    path = save_alice(channels_dir)
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), who, "30"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for who in ("one", "two")
    ]
    for saver in savers:
        assert saver.stdout is not None and saver.stdout.readline() == "ready\n"
    for saver in savers:
        assert saver.stdin is not None
        saver.stdin.write("go\n")
        saver.stdin.flush()
    results = [json.loads(saver.communicate(timeout=300)[0]) for saver in savers]
    wins = [tuple(pair) for result in results for pair in result["won"]]
    assert len(wins) + sum(r["lost"] for r in results) == 60
    bases = [base for base, _ in wins]
    overwritten = len(bases) - len(set(bases))  # two wins from the same original
    assert overwritten == 0, f"{overwritten} of {len(wins)} saves overwrote another"


def nested(depth: int) -> str:
    return "x = " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize(
    "text",
    [nested(800), "x = " + "{a = " * 800 + "1" + "}" * 800 + "\n", nested(5000)],
    ids=["lists", "tables", "deeper"],
)
def test_a_deeply_nested_file_is_bad_input_and_others_still_list(
    channels_dir: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    save_alice(channels_dir)
    deep = channels_dir / "deep.toml"
    deep.write_text(text)
    with pytest.raises(store.ChannelFileError, match="nested too deeply"):
        store.read(deep)
    assert main(["channels", "validate", str(deep)]) == 2
    assert f"{deep}: " in capsys.readouterr().err
    code = main(["channels", "list"])
    out = capsys.readouterr().out
    assert "alice" in out and "deep" in out
    assert code in (0, 2)


def test_a_link_leading_out_of_the_folder_is_not_saved_through(
    channels_dir: Path, tmp_path: Path
) -> None:
    outside = save_alice(tmp_path, "outside")
    before = outside.read_bytes()
    link = channels_dir / "alice.toml"
    link.symlink_to(outside)
    original = store.read(link)
    with pytest.raises(store.ChannelFileError, match="outside its folder"):
        store.save(replace(original.channel, messages_per_minute=3), link, original=original)
    assert outside.read_bytes() == before


def test_channels_new_through_a_dangling_link_writes_nothing_outside(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "elsewhere" / "planted.toml"
    target.parent.mkdir()
    (channels_dir / "bob.toml").symlink_to(target)
    argv = ["channels", "new", "--provider", "office365", "--name", "bob"]
    code = main([*argv, "--username", "bob@contoso.com"])
    assert code == 2, capsys.readouterr()
    assert not target.exists()


def test_a_read_only_file_stays_read_only(channels_dir: Path) -> None:
    path = save_alice(channels_dir)
    path.chmod(0o400)
    before = path.read_bytes()
    original = store.read(path)
    with pytest.raises(store.ChannelFileError, match="read-only"):
        store.save(replace(original.channel, messages_per_minute=3), path, original=original)
    assert path.read_bytes() == before
    assert path.stat().st_mode & 0o777 == 0o400


def test_leftovers_of_an_interrupted_save_are_removed_by_the_next(channels_dir: Path) -> None:
    path = save_alice(channels_dir)
    leftover = channels_dir / ".alice.toml.k3j2h1.tmp"
    leftover.write_text("half a file")
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    fresh = channels_dir / ".alice.toml.live01.tmp"  # another save, still running
    fresh.write_text("being written")
    original = store.read(path)
    store.save(replace(original.channel, messages_per_minute=3), path, original=original)
    assert not leftover.exists()
    assert fresh.exists()


def test_a_byte_order_mark_is_accepted(channels_dir: Path) -> None:
    path = save_alice(channels_dir)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert store.read(path).channel.name == "alice"


def test_a_file_that_is_not_utf8_is_told_with_line_and_column(channels_dir: Path) -> None:
    path = channels_dir / "latin.toml"
    path.write_bytes(b'name = "latin"\nprovider = "office365"\n# caf\xe9\n')
    with pytest.raises(store.ChannelFileError) as caught:
        store.read(path)
    assert (caught.value.line, caught.value.col) == (3, 6)
    assert str(caught.value).startswith(f"{path}:3:6: ")


def test_a_huge_file_is_refused_quickly(channels_dir: Path) -> None:
    path = channels_dir / "huge.toml"
    path.write_text("# padding\n" * 300_000)
    started = time.monotonic()
    with pytest.raises(store.ChannelFileError, match="larger than"):
        store.read(path)
    assert time.monotonic() - started < 2


def checking_time(folder: Path, unknown: int) -> float:
    """Seconds to read and check a channel file with this many unknown settings."""
    path = folder / "alice.toml"
    if not path.exists():
        save_alice(folder)
    known = "\n".join(line for line in path.read_text().splitlines() if "unknown" not in line)
    extra = "".join(f"unknown_{n} = {n}\n" for n in range(unknown))
    path.write_text(extra + known + "\n")
    # This process's CPU, the collector held off: other processes and a full collection
    # landing in one run must not pass for quadratic work.
    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        problems = store.read(path).problems(OFFICE365)
        spent = time.process_time() - started
    finally:
        gc.enable()
    assert problems[-1].line == unknown and problems[-1].field == f"unknown_{unknown - 1}"
    return spent


def test_checking_is_linear_in_unknown_settings(channels_dir: Path) -> None:
    small = min(checking_time(channels_dir, 1000) for _ in range(3))
    large = min(checking_time(channels_dir, 8000) for _ in range(3))
    assert large / small < 20, f"1,000 keys {small:.2f} s, 8,000 keys {large:.2f} s"


@pytest.mark.parametrize("name", ["CON", "nul", "Com1", "LPT9", "aux.backup"])
def test_names_windows_reserves_are_refused(
    channels_dir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    argv = ["channels", "new", "--provider", "office365", "--name", name]
    assert main([*argv, "--username", "a@contoso.com"]) == 2
    assert "Windows" in capsys.readouterr().err
    assert not list(channels_dir.iterdir())
