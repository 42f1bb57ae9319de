"""The Nodemailer export loaded by node: its keys are Nodemailer's, and nodemailer sends with it."""

from __future__ import annotations

import fcntl
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from console.channel import Security
from tests.export_helpers import SECRET, Rehearsal, export, need, rehearsal

NODEMAILER = "nodemailer@10"
# Nodemailer's documented SMTP transport options (nodemailer.com/smtp/).
DOCUMENTED = {
    "host",
    "port",
    "secure",
    "requireTLS",
    "ignoreTLS",
    "authMethod",
    "auth",
    "connectionTimeout",
    "greetingTimeout",
    "socketTimeout",
    "tls",
    "name",
}
SHOW = "const m = require(process.argv[1]); console.log(JSON.stringify(m));"
SEND = """
const nodemailer = require("nodemailer");
const { options, from } = require(process.argv[1]);
nodemailer.createTransport(options)
  .sendMail({ from, to: "bob@example.net", subject: "exported", text: "hello" })
  .then(() => process.exit(0), (error) => { console.error(String(error)); process.exit(1); });
"""
CASES = [("office365", "starttls"), ("gmail", "tls")]


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_the_transport_uses_documented_options_only(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = need("node")
    with rehearsal(channels_dir, provider, security) as run:
        module = tmp_path / "mailer.js"
        module.write_text(export(capsys, "app", "--to", "nodemailer"))
        done = subprocess.run(
            [node, "-e", SHOW, str(module)],
            env={**run.env, "SMTP_PASSWORD": SECRET},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    loaded = json.loads(done.stdout)
    options = loaded["options"]
    assert set(options) <= DOCUMENTED, set(options) - DOCUMENTED
    assert options["secure"] is (security == "tls")
    assert options.get("requireTLS", False) is (security == "starttls")
    assert options["auth"] == {"user": run.channel.auth.username, "pass": SECRET}
    assert loaded["from"] == run.channel.sender.header


def _nodemailer() -> Path:
    """A folder holding node_modules/nodemailer, installed once per machine into a cache."""
    npm = need("npm")
    folder = Path(tempfile.gettempdir()) / "smtp-console-test-nodemailer"
    folder.mkdir(exist_ok=True)
    # Parallel test workers share the folder: one installs while the others wait.
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / "nodemailer").is_dir():
            done = subprocess.run(
                [npm, "install", "--prefix", str(folder), NODEMAILER, "--no-audit", "--no-fund"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                pytest.skip(f"could not install {NODEMAILER}: {done.stderr.strip()[-300:]}")
    return folder


def _send(
    node: str, module: Path, run: Rehearsal, modules: Path
) -> subprocess.CompletedProcess[str]:
    """Send one message with the exported transport, trusting the simulator's CA as Node would."""
    env = {
        **run.env,
        "SMTP_PASSWORD": SECRET,
        "NODE_PATH": str(modules),
        "NODE_EXTRA_CA_CERTS": str(run.simulator.ca_file),
    }
    return subprocess.run(
        [node, "-e", SEND, str(module)],
        env=env,
        cwd=module.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_nodemailer_sends_with_the_exported_transport(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    node = need("node")
    modules = _nodemailer() / "node_modules"
    with rehearsal(channels_dir, provider, security) as run:
        module = tmp_path / "mailer.js"
        module.write_text(export(capsys, "app", "--to", "nodemailer"))
        done = _send(node, module, run, modules)
        assert done.returncode == 0, done.stderr[-2000:]
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username


def test_nodemailer_signs_in_with_an_oauth2_access_token(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = need("node")
    modules = _nodemailer() / "node_modules"
    with rehearsal(channels_dir, "gmail", "starttls", method="xoauth2") as run:
        module = tmp_path / "mailer.js"
        module.write_text(export(capsys, "app", "--to", "nodemailer"))
        done = _send(node, module, run, modules)
        assert done.returncode == 0, done.stderr[-2000:]
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username
