"""The Postfix export read by postconf and postmap, and a real Postfix relaying with it."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.channel import Security
from console.cli import main
from tests.export_helpers import SECRET, VARIABLE, export, need, rehearsal

CASES = [("office365", "starttls"), ("gmail", "tls")]


def _postconf(config: Path) -> tuple[dict[str, str], str]:
    done = subprocess.run(
        [need("postconf"), "-c", str(config), "-n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pairs = (line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    return dict(pairs), done.stderr


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_postconf_reads_every_exported_parameter(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    need("postconf")
    with rehearsal(channels_dir, provider, security) as run:
        text = export(capsys, "app", "--to", "postfix")
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(text)
    (config / "master.cf").write_text("")
    values, warnings = _postconf(config)
    assert "unused parameter" not in warnings, warnings
    port = run.channel.server.port
    assert values["relayhost"] == f"[127.0.0.1]:{port}"
    assert values["smtp_tls_security_level"] == "encrypt"
    assert values.get("smtp_tls_wrappermode", "no") == ("yes" if security == "tls" else "no")
    assert values["smtp_sasl_auth_enable"] == "yes"
    assert values["smtp_sasl_mechanism_filter"] == run.channel.auth.method


def test_the_secret_file_is_0600_and_postmap_finds_the_entry(
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postmap = need("postmap")
    monkeypatch.setenv(VARIABLE, SECRET)
    with rehearsal(channels_dir, "office365", "starttls") as run:
        secret_file = tmp_path / "sasl_passwd"
        out = export(capsys, "app", "--to", "postfix", "--write-secret-file", str(secret_file))
    assert SECRET not in out
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("")
    subprocess.run([postmap, "-c", str(config), f"hash:{secret_file}"], check=True, timeout=60)
    relay = f"[127.0.0.1]:{run.channel.server.port}"
    found = subprocess.run(
        [postmap, "-c", str(config), "-q", relay, f"hash:{secret_file}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.strip() == f"{run.channel.auth.username}:{SECRET}"


def test_the_secret_file_is_refused_for_other_formats(channels_dir: Path, tmp_path: Path) -> None:
    with rehearsal(channels_dir, "office365", "starttls"):
        code = main(["export", "app", "--to", "msmtp", "--write-secret-file", str(tmp_path / "x")])
    assert code == 2
    assert not (tmp_path / "x").exists()


MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
scache    unix  -       -       n       -       1       scache
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
"""
# A private instance: its own queue, no listener, nothing delivered locally.
INSTANCE = """
queue_directory = {folder}/queue
data_directory = {folder}/data
myhostname = client.test
mydestination =
alias_maps =
alias_database =
inet_interfaces = loopback-only
maillog_file = {folder}/maillog
maillog_file_prefixes = {folder}
compatibility_level = 3.6
"""


@pytest.fixture
def postfix_folder() -> Iterator[Path]:
    """A private Postfix configuration folder that the postfix user can reach."""
    for tool in ("postfix", "postmap", "sendmail"):
        need(tool)
    if os.geteuid() != 0:
        pytest.skip("starting a Postfix instance needs root")
    folder = Path(tempfile.mkdtemp(prefix="smtp-console-postfix-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        subprocess.run(["postfix", "-c", str(folder), "stop"], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_postfix_relays_through_the_simulator_with_the_exported_main_cf(
    provider: str,
    security: Security,
    postfix_folder: Path,
    channels_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = postfix_folder
    monkeypatch.setenv(VARIABLE, SECRET)
    with rehearsal(channels_dir, provider, security) as run:
        secrets = folder / "sasl_passwd"
        text = export(capsys, "app", "--to", "postfix", "--write-secret-file", str(secrets))
        ca = folder / "ca.pem"
        shutil.copyfile(run.simulator.ca_file, ca)
        # Only the two site paths change: the map's place and the CA the simulator signs with.
        text = text.replace("/etc/postfix/sasl_passwd", str(secrets))
        text = text.replace("/etc/ssl/certs/ca-certificates.crt", str(ca))
        (folder / "main.cf").write_text(text + INSTANCE.format(folder=folder))
        (folder / "master.cf").write_text(MASTER_CF)
        (folder / "queue").mkdir()
        (folder / "data").mkdir()
        shutil.chown(folder / "data", "postfix")
        subprocess.run(["postmap", "-c", str(folder), f"hash:{secrets}"], check=True, timeout=60)
        started = subprocess.run(
            ["postfix", "-c", str(folder), "start"], capture_output=True, text=True, timeout=60
        )
        assert started.returncode == 0, started.stderr + _log(folder)
        subprocess.run(
            ["sendmail", "-C", str(folder), "-f", run.channel.sender.address, "bob@example.net"],
            input=b"Subject: relayed by Postfix\n\nhello\n",
            check=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while not run.simulator.mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run.simulator.mailbox.messages, _log(folder)
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username
    assert stored.recipients == ("bob@example.net",)
    assert "status=sent" in _log(folder)


def _log(folder: Path) -> str:
    log = folder / "maillog"
    return log.read_text()[-3000:] if log.exists() else "(no Postfix log)"
