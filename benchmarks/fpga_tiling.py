"""Speed of the exact EF-Train tiling enumeration: VGG-16 training (batch 16) on ZCU102. Prints candidates/s."""

from __future__ import annotations

import time

from dse.cost.fpga_network import network_specs
from dse.hw.fpga import load_board
from dse.search.fpga_tiling import exact


def main() -> None:
    board = load_board("zcu102")
    specs = network_specs("vgg16", 16)
    start = time.perf_counter()
    result = exact(specs, 16, board)
    elapsed = time.perf_counter() - start
    print(f"exact enumeration, VGG-16 b16 on ZCU102: {result.evaluated} per-layer candidates in {elapsed:.3f} s "
          f"({result.evaluated / elapsed:,.0f} candidates/s); best Tm={result.tiling.Tm}, {result.cycles} cycles")


if __name__ == "__main__":
    main()
