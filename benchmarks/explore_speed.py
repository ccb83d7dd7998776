"""Trials per second of `dse explore`, end to end, for each storage, and where the time goes.

    python benchmarks/explore_speed.py [--trials 600] [--study fpga_tiling] [--postgres URL]
    python benchmarks/explore_speed.py --persisted 10000     # the batched runner's persisted trials/s

For each storage the same study (from the built-in sweep) runs from scratch; the script prints trials/s, the share
of time in the cost model, in Optuna's sampling/bookkeeping, and in storage writes. It also times the shared-storage
worker mode (one trial at a time, heartbeats) on each RDB storage given. `--persisted N` instead runs N trials of
two NSGA-II studies on the default journal storage, ask-many / evaluate-once / tell-many, and prints the trials
persisted per second: `dataflow-accelerator` co-designing an accelerator for ResNet-50 (the study of
docs/explore.md: 27,000 designs, 649 within its budgets) and `fpga-tiling` (the built-in sweep's VGG-16 study).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import optuna

from dse.explore import runner
from dse.explore.problems import PROBLEMS
from dse.explore.config import parse_config
from dse.explore.run import default_config
from dse.explore.problems import dataflow as dataflow_problem
from dse.search import codesign, fpga_tiling


class Timed:
    """Accumulates seconds spent inside a wrapped callable."""

    def __init__(self, fn):
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def measure(spec, seed, storage) -> dict:
    problem_cls = PROBLEMS[spec.problem]
    original_eval, original_persist = problem_cls.evaluate, runner.persist
    model, store = Timed(original_eval), Timed(original_persist)
    problem_cls.evaluate = lambda self, points: model(self, points)
    runner.persist = store  # the batch's write to the storage (add_trials and, on the journal, its one append)
    try:
        start = time.perf_counter()
        runner.run_study(spec, seed, storage, progress=False)
        total = time.perf_counter() - start
    finally:
        problem_cls.evaluate, runner.persist = original_eval, original_persist
    return {"trials_per_s": spec.trials / total, "total_s": total, "model": model.seconds / total,
            "storage": store.seconds / total, "optuna": 1 - (model.seconds + store.seconds) / total}


def measure_worker(spec, seed, url: str, trials: int) -> float:
    storage = runner.open_storage(url, heartbeat_seconds=10)
    runner.create_or_load(spec, seed, storage)
    start = time.perf_counter()
    runner.run_worker(spec.name, storage, trials)
    return trials / (time.perf_counter() - start)


CODESIGN = {
    "problem": "dataflow-accelerator", "sampler": "nsga2", "trials": 1, "fixed": {"workload": "resnet50"},
    "sweep": {"dataflow": ["eyeriss", "nvdla", "shidiannao"], "num_pes": [64, 128, 256, 512, 1024],
              "l1_bytes": [128, 256, 512, 1024, 2048], "l2_bytes": [32768, 65536, 131072, 262144, 524288, 1048576],
              "noc_bw_bytes_per_cycle": [8, 16, 32, 64, 128],
              "offchip_bw_bytes_per_s": [1.6e9, 6.4e9, 12.8e9, 25.6e9], "clock_hz": [2e8, 5e8, 1e9]},
    "objectives": ["latency_s", "energy_j", "area_mm2"],
    "constraints": {"area_mm2": "<= 20", "power_w": "<= 0.5"},
}


def persisted(trials: int, seed: int = 1) -> None:
    """Persisted trials/s of the batched runner on the journal storage, with NSGA-II, for both problems; also
    without the one-time warm-up (each problem's per-layer tables: every candidate mapping of ResNet-50's distinct
    layers analysed once per PE count and NoC bandwidth; EF-Train's per-layer schedules), which a longer study
    amortises."""
    fpga = next(s for s in default_config().studies if s.problem == "fpga-tiling")
    specs = [parse_config({"seed": seed, "studies": {"codesign_resnet50": CODESIGN}}).studies[0],
             replace(fpga, sampler="nsga2")]
    warm = {"codesign": Timed(codesign.build_tables), "tiling": Timed(fpga_tiling.BufferScheduler._layers)}
    dataflow_problem.build_tables = warm["codesign"]  # where the problem builds every template's tables
    fpga_tiling.BufferScheduler._layers = lambda self, *a, **k: warm["tiling"](self, *a, **k)
    print(f"batched runner, NSGA-II, journal storage, {trials} trials per study")
    print(f"{'study':22s} {'problem':22s} {'trials/s':>9s} {'total s':>8s} {'model':>7s} {'optuna':>7s} "
          f"{'storage':>8s} {'warm-up s':>10s} {'trials/s after warm-up':>23s}")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            for timer in warm.values():
                timer.seconds = 0.0
            run_spec = replace(spec, trials=trials)
            r = measure(run_spec, seed, runner.open_storage(None, Path(tmp) / spec.name))
            warm_up = sum(t.seconds for t in warm.values())
            print(f"{spec.name:22s} {spec.problem:22s} {r['trials_per_s']:9.0f} {r['total_s']:8.1f} "
                  f"{r['model']:7.1%} {r['optuna']:7.1%} {r['storage']:8.1%} {warm_up:10.1f} "
                  f"{run_spec.trials / (r['total_s'] - warm_up):23.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=600)
    parser.add_argument("--study", help="a study of the built-in sweep (default: its first)")
    parser.add_argument("--postgres", help="postgresql:// URL to include (e.g. $DSE_TEST_POSTGRES)")
    parser.add_argument("--persisted", type=int, metavar="N",
                        help="instead: N trials of the two NSGA-II studies, persisted trials/s")
    args = parser.parse_args()
    if args.persisted:
        persisted(args.persisted)
        return
    config = default_config()
    spec = next(s for s in config.studies if args.study in (None, s.name))
    with tempfile.TemporaryDirectory() as tmp:
        storages = {
            "in-memory": lambda name: optuna.storages.InMemoryStorage(),
            "journal file (default)": lambda name: runner.open_storage(None, Path(tmp) / name),
            "sqlite": lambda name: runner.open_storage(f"sqlite:///{tmp}/{name}.db"),
        }
        if args.postgres:
            storages["postgresql"] = lambda name: runner.open_storage(args.postgres)
        print(f"study {spec.name} ({spec.problem}, sampler {spec.sampler}), {args.trials} trials, batched mode")
        print(f"{'storage':24s} {'trials/s':>10s} {'total s':>8s} {'model':>7s} {'optuna':>7s} {'storage':>8s}")
        for label, make in storages.items():
            run_spec = replace(spec, name=f"{spec.name}_{int(time.time() * 1e6)}", trials=args.trials)
            r = measure(run_spec, config.seed, make(run_spec.name))
            print(f"{label:24s} {r['trials_per_s']:10.0f} {r['total_s']:8.2f} {r['model']:7.1%} {r['optuna']:7.1%} "
                  f"{r['storage']:8.1%}")
        urls = {"sqlite": f"sqlite:///{tmp}/worker.db"} | ({"postgresql": args.postgres} if args.postgres else {})
        n = min(args.trials, 100)
        for label, url in urls.items():
            run_spec = replace(spec, name=f"{spec.name}_w{int(time.time() * 1e6)}", trials=n)
            print(f"worker mode, {label}: {measure_worker(run_spec, config.seed, url, n):.0f} trials/s "
                  "(one trial at a time with heartbeats)")


if __name__ == "__main__":
    main()
