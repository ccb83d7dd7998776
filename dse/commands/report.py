"""`dse report RUN_DIR` and `dse plot pareto RUN_DIR --x OBJ --y OBJ`: outputs of a run folder, rebuilt."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="rebuild tables, plots and report.html of a run folder")
    report.add_argument("run_dir")
    report.add_argument("--storage", help="the RDB storage the run used, if not its journal file")
    report.set_defaults(func=_report)
    plot = sub.add_parser("plot", help="plots of a run folder")
    kinds = plot.add_subparsers(dest="kind", required=True)
    pareto = kinds.add_parser("pareto", help="2-D Pareto front of two objectives")
    pareto.add_argument("run_dir")
    pareto.add_argument("--x", required=True, help="objective on the x axis")
    pareto.add_argument("--y", required=True, help="objective on the y axis")
    pareto.add_argument("--study", help="study name (default: the first study with both objectives)")
    pareto.set_defaults(func=_plot_pareto)


def _report(args: argparse.Namespace) -> int:
    from dse.explore.run import load_run_config, summarise

    run_dir = Path(args.run_dir)
    summarise(load_run_config(run_dir), run_dir, args.storage)
    print(run_dir / "report.html")
    return 0


def _plot_pareto(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.errors import InputError
    from dse.explore.results import pairwise_front
    from dse.explore.run import load_run_config
    from dse.plot.pareto import plot_front

    run_dir = Path(args.run_dir)
    config = load_run_config(run_dir)
    candidates = [s for s in config.studies if (args.study in (None, s.name))
                  and {args.x, args.y} <= {o.name for o in s.objectives}]
    if not candidates:
        raise InputError(f"{run_dir}: no study with objectives {args.x!r} and {args.y!r}"
                         + (f" named {args.study!r}" if args.study else ""))
    spec = candidates[0]
    table = run_dir / "trials.csv"
    if not table.is_file():
        raise InputError(f"{run_dir}: no trials.csv; run `dse report {run_dir}` first")
    trials = pd.read_csv(table)
    trials = trials[trials["study"] == spec.name].reset_index(drop=True)
    chosen_file = run_dir / "chosen.json"
    chosen = json.loads(chosen_file.read_text()).get(spec.name) if chosen_file.is_file() else None
    number = int(chosen["trial"]) if chosen else None
    paths = plot_front(trials, pairwise_front(trials, spec, args.x, args.y), args.x, args.y,
                       run_dir / f"pareto_{spec.name}_{args.x}_vs_{args.y}", number)
    for path in paths:
        print(path)
    return 0
