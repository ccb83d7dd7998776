"""Seconds to generate the HLS project and pass its C simulation (target: under 60 s), per tiling.

    python benchmarks/hls_csim.py [--tiling FILE ...]

Without --tiling it uses the exact-search tilings of VGG-16 (batch 16) on the PYNQ-Z1 and the ZCU102 and of
VGG-16-BN (batch 8, EF-Train's DRAM cap) on the ZCU102, so the kernel is compiled with full-size buffers; the
testbench runs FP, BP and WU of its small layer set (two convs, a max-pool, an FC; with batch norm after the convs
for VGG-16-BN) against the numpy reference.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dse.commands.hls import searched_record
from dse.cost.tiling_record import TilingRecord
from dse.hls.csim import run
from dse.hls.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiling", nargs="*", default=[], help="tiling YAML files (default: searched VGG-16)")
    args = parser.parse_args()
    searched = (("vgg16", "pynq-z1", 16), ("vgg16", "zcu102", 16), ("vgg16_bn", "zcu102", 8))
    cases = [(path, lambda p=path: TilingRecord.load(p)) for path in args.tiling] or \
        [(f"{n} on {b} (searched)", lambda n=n, b=b, batch=batch: searched_record(b, n, batch))
         for n, b, batch in searched]
    print(f"{'tiling':32s} {'Tm':>3s} {'record s':>9s} {'generate s':>11s} {'csim s':>7s} {'total s':>8s}  result")
    for name, make in cases:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            record = make()
            t1 = time.perf_counter()
            generate(record, name, Path(tmp) / "prj")
            t2 = time.perf_counter()
            result = run(Path(tmp) / "prj")
            t3 = time.perf_counter()
        print(f"{name:32s} {record.Tm:3d} {t1 - t0:9.2f} {t2 - t1:11.2f} {t3 - t2:7.2f} {t3 - t1:8.2f}  "
              f"{'PASSED' if result.passed else 'FAILED'}")


if __name__ == "__main__":
    main()
