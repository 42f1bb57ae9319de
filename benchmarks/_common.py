"""Shared by the benchmarks: whole processes, their CPU and memory, medians and verdicts."""

from __future__ import annotations

import os
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

# An installed command runs from cached bytecode (pip and uv write it, or the first run does):
# a shell that sets PYTHONDONTWRITEBYTECODE would recompile our modules in every measured run,
# so the processes the benchmarks start may write and then use it, as installed ones do.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

BARE_SERVER = r"""
import asyncio, signal, sys
from aiosmtpd.smtp import SMTP

class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    factory = lambda: SMTP(Sink(), hostname="bench.local")
    server = await loop.create_server(factory, "127.0.0.1", int(sys.argv[1]))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()

asyncio.run(main())
"""


def smtp_console() -> list[str]:
    """The installed `smtp-console` command, as a user runs it ($SMTP_CONSOLE_COMMAND wins)."""
    chosen = os.environ.get("SMTP_CONSOLE_COMMAND")  # e.g. another checkout, for before/after
    if chosen:
        return shlex.split(chosen)
    script = Path(sys.executable).with_name("smtp-console")
    if script.exists():
        return [str(script)]
    found = shutil.which("smtp-console")
    return [found] if found else [sys.executable, "-m", "console"]


TMUX_SOCKET = f"smtp-console-bench-{os.getpid()}"  # a tmux server of its own: no one's settings


def tmux(*args: str) -> str:
    """Run a tmux command on the benchmarks' own server; its standard output."""
    command = ["tmux", "-L", TMUX_SOCKET, "-f", "/dev/null", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def start_in_pane(session: str, command: list[str], environment: dict[str, str]) -> None:
    """Start `command` in a new detached 80x24 tmux session (kept open after it ends)."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    line = f"env {exports} {shlex.join(command)}; sleep 120"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", line)


def until_pane_shows(session: str, text: str, since: float, timeout: float = 120) -> float:
    """Seconds from `since` (a perf_counter reading) until `text` is on the session's screen."""
    while time.perf_counter() - since < timeout:
        if text in tmux("capture-pane", "-p", "-t", session):
            return time.perf_counter() - since
        time.sleep(0.005)
    raise RuntimeError(f"{text!r} did not appear within {timeout:g} s")


def console_environment(home: str) -> dict[str, str]:
    """A console with its own empty config and no keyring, in a 256-colour terminal."""
    return {
        "SMTP_CONSOLE_CONFIG_DIR": home,
        "SMTP_CONSOLE_CHANNELS_DIR": str(Path(home) / "channels"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TERM": "xterm-256color",
    }


def free_port() -> int:
    """A port nothing listens on (for a moment)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Return once something accepts connections on port; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def page_faults(pid: int) -> int:
    """Minor page faults a process has taken: memory the C library mapped anew and touched."""
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[7])


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def run_timed(
    command: list[str], environment: dict[str, str], timeout: float
) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, CPU seconds of the process); it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, timeout=timeout)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {done.returncode}: {done.stderr[-600:]!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median(values: list[float]) -> float:
    """The median (never the best round)."""
    return statistics.median(values)


def verdict(what: str, ratio: float, target: float, *, at_most: bool = True) -> bool:
    """Print the ratio against its target; True when met."""
    met = ratio <= target if at_most else ratio >= target
    sign = "<=" if at_most else ">="
    print(f"ratio {what}: {ratio:.2f} (target {sign} {target:g}) {'MET' if met else 'NOT MET'}")
    return met


def load() -> str:
    """The load average, printed with the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM, then wait (kill if it does not go)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
