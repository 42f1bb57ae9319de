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
