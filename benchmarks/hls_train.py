"""Seconds to generate a project, compile its C-simulation host and train 10 SGD steps through the kernel (with
the numpy comparison after every step), and the lines of generated host code, per network and board.

    python benchmarks/hls_train.py [--steps 10] [--batch 2]

Uses the exact-search tilings of LeNet-10 and EF-Train's 1X CIFAR CNN on the PYNQ-Z1 and the ZCU102.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dse.commands.hls import searched_record
from dse.hls.csim import make
from dse.hls.generate import HOST_FILES, generate
from dse.hls.run import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    print(f"{'network':12s} {'board':8s} {'T':>3s} {'generate s':>10s} {'compile s':>9s} {'train s':>8s} "
          f"{'total s':>8s} {'loss first':>10s} {'loss last':>9s} {'max rel dW':>10s} {'host lines':>10s}  result")
    for network in ("lenet10", "ef_train_1x"):
        for board in ("pynq-z1", "zcu102"):
            record = searched_record(board, network, args.batch)
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                out = generate(record, f"{network}_{board}", Path(tmp) / "prj")
                t1 = time.perf_counter()
                built = make(out, "train.bin", [])
                t2 = time.perf_counter()
                result = run(out, args.steps)
                t3 = time.perf_counter()
                lines = sum(len((out / name.format(top=f"{network}_train")).read_text().splitlines())
                            for name in HOST_FILES.values())
            worst = max((s.max_weight_rel for s in result.steps), default=float("nan"))
            print(f"{network:12s} {board:8s} {record.Tm:3d} {t1 - t0:10.2f} {t2 - t1:9.2f} {t3 - t2:8.2f} "
                  f"{t3 - t0:8.2f} {result.steps[0].loss:10.4f} {result.steps[-1].loss:9.4f} {worst:10.2g} "
                  f"{lines:10d}  {'PASSED' if result.passed and built.passed else 'FAILED'}")


if __name__ == "__main__":
    main()
