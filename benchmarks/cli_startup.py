"""Wall time of `dse` commands that should answer at once, each run as a fresh process (median of several runs).

    python benchmarks/cli_startup.py [--runs 9]

Heavy libraries (pandas, matplotlib, optuna, scipy, networkx) load inside the command that needs them, so
`dse --help` and `dse workload list` pay only for Python and the argument parser. Target: under 0.3 s each.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = (["--help"], ["workload", "list"], ["fpga", "estimate", "--help"])
TARGET_S = 0.3


def wall_seconds(argv: list[str], runs: int) -> list[float]:
    """Seconds of each of `runs` fresh `dse` processes (the installed entry point, else `python -m dse`)."""
    entry = shutil.which("dse")
    command = [entry] if entry else [sys.executable, "-m", "dse"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command + argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    wall_seconds(["--help"], 1)  # warm the file cache and the .pyc files
    print(f"{'command':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s}  target {TARGET_S} s")
    for argv in COMMANDS:
        times = wall_seconds(argv, args.runs)
        median = statistics.median(times)
        print(f"{'dse ' + ' '.join(argv):32s} {median:9.3f} {min(times):7.3f} {max(times):7.3f}  "
              f"{'ok' if median < TARGET_S else 'OVER'}")


if __name__ == "__main__":
    main()
