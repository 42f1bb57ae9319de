"""A command imports only what it needs: a live check loads no simulator, keyring or TLS-CA code."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.server import Simulator

PROBE = """
import sys
from console.cli import main
code = main({argv!r})
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {roots!r} or m in {modules!r})
print(code, " ".join(loaded))
"""
# Only the provider profiles (data both sides read) may come from the simulator package.
SHARED = ("simulator", "simulator.profile", "simulator.tomlsource")
LIGHT = ("difflib", "tempfile", "glob")
HEAVY = ("aiosmtpd", "trustme", "keyring", "textual", "tomlkit", "platformdirs", "cryptography")


def loaded_by(
    argv: list[str],
    tmp_path: Path,
    extra: dict[str, str] | None = None,
    modules: tuple[str, ...] = (),
) -> tuple[int, set[str]]:
    code = PROBE.format(
        argv=argv,
        roots=(*HEAVY, "simulator", "console"),
        modules=("importlib.metadata", *modules),
    )
    environment = {
        "PERF_SECRET": "not-a-real-secret",
        "SMTP_CONSOLE_CONFIG_DIR": str(tmp_path),
        **(extra or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **environment},
    )
    status, _, modules = done.stdout.strip().rpartition("\n")[2].partition(" ")
    assert status.isdigit(), done.stdout + done.stderr
    return int(status), set(modules.split())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def channel_file(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "live.toml"
    path.write_text(
        'name = "live"\nprovider = "office365"\n\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\ntimeout = 5\n\n'
        '[auth]\nmethod = "login"\nusername = "alice@contoso.com"\nsecret = "env:PERF_SECRET"\n\n'
        '[sender]\nfrom = "alice@contoso.com"\n'
    )
    return path


def test_a_live_check_imports_no_simulator_code(tmp_path: Path) -> None:
    path = channel_file(tmp_path, closed_port())
    status, modules = loaded_by(["check", str(path), "--json"], tmp_path)
    assert status == 1, "the check ran, and failed at connect (nothing listens there)"
    simulator = {m for m in modules if m.split(".")[0] == "simulator"}
    assert simulator <= set(SHARED), f"simulator code in a live check: {simulator - set(SHARED)}"
    heavy = {m.split(".")[0] for m in modules} & set(HEAVY)
    assert not heavy, f"a live check imported {sorted(heavy)}"
    assert "importlib.metadata" not in modules, "the version is read only for --version"
    commands = {m for m in modules if m.startswith("console.commands.")}
    assert commands == {"console.commands.check"}


@pytest.mark.smtp_simulator("office365", accounts=["alice@contoso.com:not-a-real-secret"])
def test_a_passing_live_check_loads_no_failure_or_saving_code(
    smtp_simulator_thread: Simulator, tmp_path: Path
) -> None:
    path = channel_file(tmp_path, smtp_simulator_thread.port)
    trust = {"SSL_CERT_FILE": str(smtp_simulator_thread.ca_file)}
    status, modules = loaded_by(["check", str(path), "--json"], tmp_path, trust, LIGHT)
    assert status == 0, "the check passed against the simulator"
    unneeded = {"console.diagnosis", "console.oauth.settings", "console.secret_shapes"}
    assert not unneeded & modules, f"a passing password check imported {unneeded & modules}"
    assert not set(LIGHT) & modules, "only saving a channel or a typo in one needs these"


def test_a_rehearsal_does_load_the_simulator(tmp_path: Path) -> None:
    path = channel_file(tmp_path, closed_port())
    status, modules = loaded_by(["check", str(path), "--simulate", "--json"], tmp_path)
    assert status == 0 and "simulator.server" in modules, "the probe can see the simulator"


def test_each_command_imports_only_its_own_module(tmp_path: Path) -> None:
    for command in ("providers", "explain"):
        argv = [command] if command == "providers" else [command, "550 5.7.1 Relaying denied"]
        status, modules = loaded_by(argv, tmp_path)
        assert status == 0
        assert {m for m in modules if m.startswith("console.commands.")} == {
            f"console.commands.{command}"
        }
