"""EF-Train's data-reshaping ablation as a table: AlexNet's conv layers (227x227, batch 4) on ZCU102 with
Algorithm 1's tiling, training cycles (FP + BP + WU) under each memory layout and the slowdown against the
reshaped layout with weight reuse. The paper reports about 22x over BCHW and 9x over BHWC with reuse (on-board
totals that also include its reallocation time, so the model's ratios are expected to differ)."""

from __future__ import annotations

import pandas as pd

from dse.cost.fpga import LAYOUTS, pass_cycles
from dse.cost.fpga_network import network_specs
from dse.cost.fpga_schedule import ef_train_schedule
from dse.hw.fpga import load_board


def main() -> None:
    board = load_board("zcu102")
    convs = [s for s in network_specs("ef_train_alexnet", 4) if s.R > 1]
    tiling = ef_train_schedule(convs, 4, board)
    rows = []
    for layout in LAYOUTS:
        passes = pass_cycles(convs, tiling.candidates(), 4, board, layout)
        rows.append({"layout": layout, **{p: int(v.sum()) for p, v in passes.items()}})
    table = pd.DataFrame(rows)
    table["total"] = table[["fp", "bp", "wu"]].sum(axis=1)
    table["vs_reshaped_reuse"] = table["total"] / table.loc[table["layout"] == "reshaped_reuse", "total"].iloc[0]
    print(f"AlexNet conv1-5, batch 4, ZCU102, Tm = {tiling.Tm} (Algorithm 1); training cycles per layout")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}x"))


if __name__ == "__main__":
    main()
