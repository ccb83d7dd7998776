"""Reproduce the shape of H2H's Table 4: six MMMT models x five host bandwidths, steps 1-2 in seconds and steps
3-4 as % of step 2, plus the time the 30 points take, building and compiling the graphs included (the paper: under 1 s per model).

    python benchmarks/h2h_table.py [--system h2h] [--models vlocnet casua_surf ...]
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from dse.errors import InputError
from dse.hw.system import load_system
from dse.mapping.h2h import run_h2h
from dse.mapping.problem import compile_problem
from dse.workload.zoo import build

MODELS = ["vlocnet", "casua_surf", "vfs", "facebag", "cnn_lstm", "mocap"]
LABELS = {0.125e9: "Low-", 0.15e9: "Low", 0.25e9: "Mid-", 0.5e9: "Mid", 1.25e9: "High"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="h2h")
    parser.add_argument("--models", nargs="+", default=MODELS)
    args = parser.parse_args(argv)
    base = load_system(args.system)
    sweep = base.bandwidth_sweep_bytes_per_s or tuple(LABELS)
    began = time.perf_counter()
    try:
        problems = {name: [compile_problem(build(name), base.with_bandwidth(bw)) for bw in sweep]
                    for name in args.models}
    except InputError as exc:
        print(f"h2h_table: {exc}", file=sys.stderr)
        return 2
    rows = []
    for name, per_bw in problems.items():
        for bw, problem in zip(sweep, per_bw):
            t0 = time.perf_counter()
            result = run_h2h(problem)
            s = result.steps
            rows.append({"model": name, "bw": LABELS.get(bw, f"{bw / 1e9:g}"), "step1_s": s[1].makespan_s,
                         "step2_s": s[2].makespan_s, "step3_pct": 100 * s[3].makespan_s / s[2].makespan_s,
                         "step4_pct": 100 * s[4].makespan_s / s[2].makespan_s,
                         "energy4_pct": 100 * s[4].energy_j / s[2].energy_j, "map_s": time.perf_counter() - t0})
    total = time.perf_counter() - began
    table = pd.DataFrame(rows)
    cell = table.apply(lambda r: f"{r.step1_s:.3g} / {r.step2_s:.3g} / {r.step3_pct:.1f}% / {r.step4_pct:.1f}%",
                       axis=1)
    wide = table.assign(cell=cell).pivot(index="bw", columns="model", values="cell")
    wide = wide.reindex([LABELS.get(b, f"{b / 1e9:g}") for b in sweep])[list(problems)]
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.max_colwidth", 40):
        print("latency: step1 s / step2 s / step3 % of step2 / step4 % of step2")
        print(wide.to_string())
        print()
        print(table.round(4).to_string(index=False))
    print(f"\n{len(rows)} (model, bandwidth) points in {total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
