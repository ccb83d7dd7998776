"""Trials per second of `dse explore`, end to end, for each storage, and where the time goes.

    python benchmarks/explore_speed.py [--trials 600] [--study fpga_tiling] [--postgres URL]

For each storage the same study (from the built-in sweep) runs from scratch; the script prints trials/s, the share
of time in the cost model, in Optuna's sampling/bookkeeping, and in storage writes. It also times the shared-storage
worker mode (one trial at a time, heartbeats) on each RDB storage given.
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
from dse.explore.run import default_config


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
    original_eval, original_add = problem_cls.evaluate, optuna.Study.add_trials
    model, store = Timed(original_eval), Timed(original_add)
    problem_cls.evaluate = lambda self, points: model(self, points)
    optuna.Study.add_trials = lambda self, trials: store(self, trials)
    try:
        start = time.perf_counter()
        runner.run_study(spec, seed, storage, progress=False)
        total = time.perf_counter() - start
    finally:
        problem_cls.evaluate, optuna.Study.add_trials = original_eval, original_add
    return {"trials_per_s": spec.trials / total, "total_s": total, "model": model.seconds / total,
            "storage": store.seconds / total, "optuna": 1 - (model.seconds + store.seconds) / total}


def measure_worker(spec, seed, url: str, trials: int) -> float:
    storage = runner.open_storage(url, heartbeat_seconds=10)
    runner.create_or_load(spec, seed, storage)
    start = time.perf_counter()
    runner.run_worker(spec.name, storage, trials)
    return trials / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=600)
    parser.add_argument("--study", help="a study of the built-in sweep (default: its first)")
    parser.add_argument("--postgres", help="postgresql:// URL to include (e.g. $DSE_TEST_POSTGRES)")
    args = parser.parse_args()
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
