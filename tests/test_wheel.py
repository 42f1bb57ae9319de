"""The built wheel carries the profiles: install it outside the repo and list them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.profile import load_all
from simulator.scenario import lessons as scenario_lessons

REPO = Path(__file__).resolve().parent.parent
# Taken before the autouse fixtures point XDG_CACHE_HOME (and so uv's cache) into tmp_path.
ENVIRONMENT = dict(os.environ)
UV = ENVIRONMENT.get("UV") or shutil.which("uv")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(UV is None, reason="uv is not installed"),
]


def _uv(*args: str | Path, cwd: Path) -> None:
    env = {k: v for k, v in ENVIRONMENT.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_OFFLINE"] = "1"  # everything comes from uv's cache: tests never use the network
    done = subprocess.run(
        [str(UV), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_installed_wheel_lists_every_profile_from_another_folder(tmp_path: Path) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _uv("build", "--wheel", "--out-dir", dist, REPO, cwd=elsewhere)
    (wheel,) = dist.glob("smtp_console-*.whl")
    _uv("venv", "--quiet", "--python", sys.executable, venv, cwd=elsewhere)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _uv("pip", "install", "--quiet", "--python", python, wheel, cwd=elsewhere)

    program = venv / ("Scripts/smtp-console.exe" if os.name == "nt" else "bin/smtp-console")
    env = {k: v for k, v in ENVIRONMENT.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}

    def installed_command(*args: str) -> str:
        command = [str(program), *args]
        done = subprocess.run(
            command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = {entry["id"]: entry for entry in json.loads(installed_command("providers", "--json"))}
    assert set(listed) == set(load_all())
    for entry in listed.values():
        installed = Path(entry["path"])
        assert installed.is_relative_to(venv), "read from the installed package, not the repo"
        assert installed.parent.name == "profiles" and installed.parent.parent.name == "simulator"
        assert entry["replies"] and entry["endpoints"]
    assert all(provider in installed_command("providers") for provider in listed)
    lessons = installed_command("simulate", "--list-lessons")
    assert all(name in lessons for name in scenario_lessons())
