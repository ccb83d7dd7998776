"""How close each sampler's front gets to the exact one after N trials, on a space small enough to enumerate.

    python benchmarks/search_quality.py [--trials 100 300 1000] [--seeds 3]

The space: `dataflow-accelerator` co-designing an accelerator for ResNet-18 over 3,840 designs (2 dataflows x 4 PE
counts x 4 L1 x 5 L2 x 4 NoC x 3 off-chip bandwidths x 2 clocks), objectives latency, energy and area, with the
area and power budgets of docs/explore.md (L2 from 64 KB to 1 MB: with L2 of at most 512 KB, no design of this grid
has buffers that hold a mapping of every ResNet-18 layer). The exact front comes from enumerating the grid (sampler `exact`); each
sampler's front is Optuna's feasible `best_trials` after N trials. Fronts are compared by hypervolume (Optuna's
`compute_hypervolume`) in log10 objective space, each objective scaled so the exact front spans [0, 1], with the
reference point 1.1 in every objective; printed is HV(sampler front) / HV(exact front), mean and range over seeds.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume

from dse.explore import runner
from dse.explore.config import parse_config

SAMPLERS = ("random", "tpe", "nsga2")
STUDY = {
    "problem": "dataflow-accelerator", "sampler": "exact", "trials": 1, "fixed": {"workload": "resnet18"},
    "sweep": {"dataflow": ["eyeriss", "nvdla"], "num_pes": [64, 128, 256, 512], "l1_bytes": [128, 256, 512, 1024],
              "l2_bytes": [65536, 131072, 262144, 524288, 1048576], "noc_bw_bytes_per_cycle": [8, 16, 32, 64],
              "offchip_bw_bytes_per_s": [1.6e9, 6.4e9, 25.6e9], "clock_hz": [2e8, 1e9]},
    "objectives": ["latency_s", "energy_j", "area_mm2"],
    "constraints": {"area_mm2": "<= 20", "power_w": "<= 0.5"},
}


def front(spec, seed: int) -> np.ndarray:
    """Objective values of the feasible non-dominated trials after running `spec` in memory."""
    study = runner.run_study(spec, seed, optuna.storages.InMemoryStorage(), progress=False)
    return np.array([t.values for t in study.best_trials], dtype=float).reshape(-1, len(spec.objectives))


def hypervolume(points: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Hypervolume in scaled log10 space (exact front in [0, 1]) against the reference point 1.1."""
    scaled = (np.log10(points) - low) / (high - low)
    ref = np.full(points.shape[1], 1.1)
    inside = scaled[np.all(scaled < ref, axis=1)]
    return float(compute_hypervolume(inside, ref)) if len(inside) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    spec = parse_config({"seed": 0, "studies": {"grid": STUDY}}).studies[0]
    size = math.prod(len(d.choices) for d in spec.sweep.values())
    start = time.perf_counter()
    exact = front(replace(spec, trials=size), 0)
    print(f"exact front: {len(exact)} designs of {size} enumerated ({time.perf_counter() - start:.0f} s)")
    logs = np.log10(exact)
    low, high = logs.min(axis=0), logs.max(axis=0)
    high = np.where(high > low, high, low + 1)
    best = hypervolume(exact, low, high)
    print(f"{'sampler':8s} " + " ".join(f"{f'N={n}':>20s}" for n in args.trials))
    for sampler in SAMPLERS:
        cells = []
        for n in args.trials:
            ratios = [hypervolume(front(replace(spec, sampler=sampler, trials=n, name=f"{sampler}{n}"), seed),
                                  low, high) / best for seed in range(args.seeds)]
            cells.append(f"{np.mean(ratios):.3f} [{min(ratios):.3f}-{max(ratios):.3f}]")
        print(f"{sampler:8s} " + " ".join(f"{c:>20s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
