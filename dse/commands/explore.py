"""`dse explore [CONFIG.yaml]`: the main job. Sweeps to Pareto fronts in one run folder, resumable."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from dse.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("explore", help="run a design-space sweep (built-in default without a config)")
    parser.add_argument("config", nargs="?", help="YAML config (see docs/explore.md); default: the built-in sweep")
    parser.add_argument("--out", help="run folder (default ./dse-runs/<timestamp>); rerun on it to resume")
    parser.add_argument("--quick", action="store_true", help="cap each sampled study for a run under a minute")
    parser.add_argument("--storage", help="RDB storage URL (sqlite:///F or postgresql://...); default a journal "
                                          "file in the run folder")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_explore)


def _explore(args: argparse.Namespace) -> int:
    from dse.explore.config import load_config
    from dse.explore.run import default_config, explore, quick

    config = load_config(args.config) if args.config else default_config()
    if not config.studies:
        raise InputError("the built-in sweep has no study whose model is installed")
    if args.quick:
        config = quick(config)
    out = Path(args.out) if args.out else Path("dse-runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
    start = time.perf_counter()
    outcomes = explore(config, out, args.storage, progress=not (args.no_progress or args.json))
    elapsed = time.perf_counter() - start
    summary = {
        "out": str(out),
        "seconds": round(elapsed, 3),
        "studies": {
            o.spec.name: {
                "problem": o.spec.problem,
                "trials": int(len(o.trials)),
                "feasible": int(o.trials["feasible"].sum()) if len(o.trials) else 0,
                "pareto": int(len(o.pareto)),
                "chosen": json.loads(o.chosen.to_json()) if o.chosen is not None else None,
            }
            for o in outcomes
        },
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, s in summary["studies"].items():
            print(f"{name}: {s['trials']} trials, {s['feasible']} feasible, {s['pareto']} on the Pareto front",
                  file=sys.stderr)
        print(f"report: {out / 'report.html'} ({elapsed:.1f} s)")
    return 0
