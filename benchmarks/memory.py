"""Resident memory of `smtp-console simulate` after 10k and 100k messages, against bare aiosmtpd.

    uv run python benchmarks/memory.py [--messages 10000 100000] [--clients 10]

Both servers run as their own processes (the simulator with its default settings: its
log on, to a file, and 1,000 recent messages kept in memory); this process sends 1 KB
messages over `--clients` connections and reads each server's RSS at each mark.
Targets: the simulator's RSS at the last mark <= 2x bare aiosmtpd's, and flat: at most
10% above its RSS at the first mark.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from _common import load, rss_mb, verdict
from simulator_throughput import Server, drive

TARGET_RATIO, TARGET_GROWTH = 2.0, 1.1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    marks = sorted(args.messages)
    readings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("bare", "log to file"):
            server = Server(kind, Path(folder))
            try:
                sent, readings[kind] = 0, []
                for mark in marks:
                    asyncio.run(drive(server.port, mark - sent, args.clients, kind != "bare"))
                    sent = mark
                    readings[kind].append(rss_mb(server.process.pid))
            finally:
                note = server.close()
            if note:
                print(f"{kind} stderr: {note}")
    print(f"1 KB messages over {args.clients} connections; {load()}")
    print(f"{'server':<24}" + "".join(f"{f'RSS at {m:,}':>18}" for m in marks))
    names = {"bare": "bare aiosmtpd", "log to file": "smtp-console simulate"}
    for kind, values in readings.items():
        print(f"{names[kind]:<24}" + "".join(f"{v:>15.1f} MB" for v in values))
    simulator, bare = readings["log to file"], readings["bare"]
    met = verdict(
        "simulate / bare aiosmtpd RSS at the last mark", simulator[-1] / bare[-1], TARGET_RATIO
    )
    met = (
        verdict("simulate RSS, last mark / first mark", simulator[-1] / simulator[0], TARGET_GROWTH)
        and met
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
