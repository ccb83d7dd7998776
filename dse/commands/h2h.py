"""`dse h2h`: map a multi-modality workload onto a multi-accelerator system with H2H steps 1-4 and baselines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from dse.commands.workload import WORKLOAD_HELP, add_input_shape, load_from_args
from dse.errors import InputError
from dse.inputs import LINK_BW_GBPS, MAX_SEED, MAX_TRIALS, Range, option

if TYPE_CHECKING:
    import pandas as pd

STEP_NAMES = {1: "computation-prioritized", 2: "+ weight locality", 3: "+ activation fusion", 4: "+ locality remap"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("h2h", help="H2H mapping onto a heterogeneous multi-accelerator system")
    parser.add_argument("--workload", required=True, help=WORKLOAD_HELP)
    parser.add_argument("--batch", type=int, help="batch size (default: the model's own)")
    add_input_shape(parser)
    parser.add_argument("--system", default="h2h", help="a shipped system name or a system .yaml file")
    parser.add_argument("--bandwidth", type=option(float, LINK_BW_GBPS), required=True, metavar="GBPS",
                        help="host link bandwidth BW_acc in GB/s (1e9 bytes/s)")
    parser.add_argument("--trials", type=option(int, Range(1, MAX_TRIALS)), default=200, help="NSGA-II trials of the MAGMA-style baseline")
    parser.add_argument("--seed", type=option(int, Range(0, MAX_SEED)), default=0)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="run folder for schedules (CSV), Gantt charts and the summary")
    parser.add_argument("--force", action="store_true", help="write into an existing non-empty --out folder")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.out and args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise InputError(f"{args.out}: folder is not empty; pass --force to write into it")
    from dse.hw.system import load_system
    from dse.mapping.baselines import computation_only, nsga2
    from dse.mapping.h2h import run_h2h
    from dse.mapping.problem import compile_problem

    system = load_system(args.system, args.bandwidth * 1e9)
    problem = compile_problem(load_from_args(args, args.workload, "--workload"), system)
    result = run_h2h(problem)
    herald = computation_only(problem)
    magma, front = nsga2(problem, args.trials, args.seed)
    out = {
        "workload": args.workload, "system": system.name, "bandwidth_gbps": args.bandwidth,
        "layers": problem.n, "search_s": result.seconds,
        "steps": {str(k): {"latency_s": s.makespan_s, "energy_j": s.energy_j} for k, s in result.steps.items()},
        "baselines": {"computation_only": {"latency_s": herald.makespan_s, "energy_j": herald.energy_j},
                      "nsga2": {"latency_s": magma.makespan_s, "energy_j": magma.energy_j, "trials": args.trials,
                                "pareto": front}},
        "moves": [list(m) for m in result.moves],
    }
    if args.out:
        _write(args.out, result, {"computation_only": herald, "nsga2": magma}, out)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(summary_table(result, {"computation_only": herald, "nsga2": magma}).to_string(index=False))
    print(f"\n{args.workload} on {system.name} at {args.bandwidth} GB/s: {problem.n} layers, "
          f"H2H search {result.seconds:.3f} s, {len(result.moves)} step-4 moves")
    return 0


def summary_table(result, baselines: dict) -> pd.DataFrame:
    """One row per step and baseline: latency, energy, compute share, bytes over host links, % of step 2."""
    import pandas as pd

    step2 = result.steps[2]
    rows = [{"step": str(k), "what": STEP_NAMES[k], **s.summary()} for k, s in result.steps.items()]
    rows += [{"step": name, "what": "baseline", **s.summary()} for name, s in baselines.items()]
    table = pd.DataFrame(rows)
    table["latency_vs_step2_pct"] = 100 * table["latency_s"] / step2.makespan_s
    table["energy_vs_step2_pct"] = 100 * table["energy_j"] / step2.energy_j
    table["compute_share_pct"] = 100 * table["compute_s"] / (table["latency_s"] * len(step2.problem.system.names))
    return table


def _write(folder: Path, result, baselines: dict, out: dict) -> None:
    from dse.plot.gantt import plot_gantt

    folder.mkdir(parents=True, exist_ok=True)
    names = result.steps[1].problem.system.names
    schedules = {f"step{k}": s for k, s in result.steps.items()} | baselines
    for label, schedule in schedules.items():
        schedule.table().to_csv(folder / f"schedule_{label}.csv", index=False)
        plot_gantt(schedule.table(), names, folder / f"gantt_{label}",
                   f"{label}: {schedule.makespan_s * 1e3:.2f} ms, {schedule.energy_j:.2f} J")
    summary_table(result, baselines).to_csv(folder / "summary.csv", index=False)
    (folder / "h2h.json").write_text(json.dumps(out, indent=2))
