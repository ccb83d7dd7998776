"""`dse fpga estimate|tile`: EF-Train training cost on an FPGA board, and the tiling search that feeds HLS."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from dse.commands.workload import WORKLOAD_HELP, add_input_shape
from dse.errors import InputError
from dse.hw.fpga import BRAM_BUDGET, DSP_BUDGET, LAYOUTS, load_board
from dse.inputs import CLOCK_HZ, MAX_BATCH, MAX_SEED, MAX_TRIALS, SHARE, Range, option

if TYPE_CHECKING:
    from dse.cost.fpga_schedule import Budget, Tiling


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fpga", help="EF-Train FPGA training cost model and tiling search")
    actions = parser.add_subparsers(dest="action", required=True)
    est = actions.add_parser("estimate", help="per-layer FP/BP/WU cycles and totals of one design point")
    tile = actions.add_parser("tile", help="search the tiling; write the study, Pareto set and tiling YAML")
    for p in (est, tile):
        p.add_argument("--board", required=True, help="a shipped board (accelerators/fpga/) or a board .yaml file")
        p.add_argument("--network", required=True, help=WORKLOAD_HELP)
        p.add_argument("--batch", type=option(int, Range(1, MAX_BATCH)), required=True)
        add_input_shape(p)
        p.add_argument("--layout", default="reshaped_reuse", choices=LAYOUTS)
        p.add_argument("--clock-hz", type=option(float, CLOCK_HZ), dest="clock_hz", help="override the board clock")
        p.add_argument("--dsp-budget", type=option(float, SHARE), default=DSP_BUDGET, dest="dsp_budget")
        p.add_argument("--bram-budget", type=option(float, SHARE), default=BRAM_BUDGET, dest="bram_budget")
        p.add_argument("--conv-only", action="store_true", dest="conv_only",
                       help="run the conv layers only (how EF-Train's AlexNet figures count; docs/fpga.md)")
    est.add_argument("--tiling", default="auto", help="auto (exact search), ef-train (Algorithm 1) or a YAML file")
    est.add_argument("--json", action="store_true", help="machine-readable totals")
    est.set_defaults(func=_estimate)
    tile.add_argument("--out", required=True, help="directory for study.db, pareto.csv and tiling.yaml")
    tile.add_argument("--trials", type=option(int, Range(1, MAX_TRIALS)), default=300)
    tile.add_argument("--seed", type=option(int, Range(0, MAX_SEED)), default=0)
    tile.set_defaults(func=_tile)


def _setup(args: argparse.Namespace):
    from dse.cost.fpga_network import network_specs
    from dse.cost.fpga_schedule import Budget

    board = load_board(args.board)
    clock = board.clock_hz if args.clock_hz is None else args.clock_hz
    specs = network_specs(args.network, args.batch, args.conv_only, args.input_shape)
    return board, specs, clock, Budget(args.dsp_budget, args.bram_budget)


def _tiling(args: argparse.Namespace, board, specs, budget: Budget) -> Tiling:
    from dse.cost.fpga_network import network_id
    from dse.cost.fpga_schedule import Tiling, ef_train_schedule
    from dse.cost.tiling_record import TilingRecord
    from dse.search.fpga_tiling import exact

    if args.tiling == "auto":
        return exact(specs, args.batch, board, args.layout, budget).tiling
    if args.tiling == "ef-train":
        return ef_train_schedule(specs, args.batch, board, args.layout, budget)
    record = TilingRecord.load(args.tiling)
    for field, have, want in (("board", record.board, board.ref), ("network", record.network, network_id(args.network)),
                              ("layers", [l.name for l in record.layers], [s.name for s in specs])):
        if have != want:
            raise InputError(f"{args.tiling}: field {field} is {have!r}, but the estimate is for {want!r}")
    return Tiling(record.Tm, tuple(l.Tr for l in record.layers), tuple(l.M_on for l in record.layers))


def _estimate(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.cost.fpga import evaluate
    from dse.cost.fpga_schedule import fits

    board, specs, clock, budget = _setup(args)
    tiling = _tiling(args, board, specs, budget)
    fits(specs, tiling, board)
    cost = evaluate(specs, tiling.candidates(), args.batch, board, args.layout, clock)
    x = cost.extra
    totals = {
        "board": board.name, "network": args.network, "batch": args.batch, "layout": args.layout, "Tm": tiling.Tm,
        "total_cycles": int(cost.cycles[0]), "seconds_per_batch": float(cost.seconds[0]),
        "gflops": float(x["gflops"][0]), "gflops_per_w": float(x["gflops_per_w"][0]),
        "power_w": float(cost.power_w[0]), "energy_j": float(cost.energy_j[0]), "flops": int(cost.flops[0]),
        "dsp": int(cost.dsp[0]), "dsp_conv": int(x["dsp_conv"][0]), "dsp_aux": int(x["dsp_aux"][0]),
        "bram_18k": int(cost.bram_18k[0]),
    }
    rows = pd.DataFrame({
        "layer": [s.name for s in specs], "Tr": tiling.Tr, "M_on": tiling.M_on,
        "fp_cycles": x["cycles_fp"][0], "bp_cycles": x["cycles_bp"][0], "wu_cycles": x["cycles_wu"][0],
        "bn_fp_cycles": x["cycles_bn_fp"], "bn_bp_cycles": x["cycles_bn_bp"],
    })
    if args.json:
        totals["layers"] = json.loads(rows.to_json(orient="records"))
        print(json.dumps(totals, indent=2))
    else:
        print(rows.to_string(index=False))
        print("\n".join(f"{k}: {v}" for k, v in totals.items()))
    return 0


def _tile(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from dse.cost.fpga import evaluate
    from dse.cost.fpga_network import network_id
    from dse.cost.fpga_schedule import fits
    from dse.cost.tiling_record import TilingRecord, make_record
    from dse.search.fpga_tiling import best_trial_tiling, exact, feasible, optuna_study

    board, specs, clock, budget = _setup(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    study = optuna_study(specs, args.batch, board, args.layout, budget, args.trials, args.seed,
                         storage=f"sqlite:///{out / 'study.db'}", study_name=f"{network_id(args.network)}_{board.name}")
    pareto = [t for t in study.best_trials if feasible(t)]
    pd.DataFrame([{"trial": t.number, **t.params, "seconds_per_batch": t.values[0], "energy_j": t.values[1],
                   "dsp": t.values[2], "bram_18k": t.values[3], "gflops": t.user_attrs["gflops"]} for t in pareto]
                 ).sort_values("seconds_per_batch").to_csv(out / "pareto.csv", index=False)
    candidates = [best_trial_tiling(study), exact(specs, args.batch, board, args.layout, budget).tiling]
    costs = [evaluate(specs, t.candidates(), args.batch, board, args.layout, clock) for t in candidates]
    best = int(np.argmin([c.cycles[0] for c in costs]))
    tiling, cost = candidates[best], costs[best]
    fits(specs, tiling, board, budget)
    record = make_record(board, network_id(args.network), args.batch, args.layout, specs, tiling.Tm, tiling.Tr, tiling.M_on,
                         int(clock), cost)
    path = record.save(out / "tiling.yaml")
    TilingRecord.load(path)
    print(f"{len(study.trials)} trials, {len(pareto)} Pareto points -> {out / 'pareto.csv'}")
    print(f"tiling ({['optuna', 'exact'][best]}): Tm={tiling.Tm}, {cost.extra['gflops'][0]:.2f} GFLOPS, "
          f"{int(cost.dsp[0])} DSP, {int(cost.bram_18k[0])} BRAM_18K -> {path}")
    return 0
