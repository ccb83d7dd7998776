"""Baselines H2H is measured against.

- `computation_only` (Herald-style): each layer, in topological order, goes to the accelerator where it would
  finish first counting compute alone; weights are then pinned as in step 2. Communication is never planned for.
- `nsga2` (MAGMA-style): an Optuna NSGA-II search over the layer-to-accelerator assignment, each candidate
  scheduled in topological order with pinning and fusion, objectives makespan and energy.
"""

from __future__ import annotations

import numpy as np
import optuna

from dse.mapping.h2h import Pinner
from dse.mapping.problem import Problem
from dse.mapping.schedule import Mapping, Schedule, simulate


def _orders(problem: Problem, acc: np.ndarray) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(g) for g in np.flatnonzero(acc == a)) for a in range(problem.n_acc))


def computation_only(problem: Problem) -> Schedule:
    """Earliest-finish list mapping on compute time only, then step-2 pinning; no fusion."""
    acc = np.zeros(problem.n, dtype=int)
    end, free = np.zeros(problem.n), np.zeros(problem.n_acc)
    for g in range(problem.n):
        ready = max((end[p] for p, _ in problem.preds[g]), default=0.0)
        finish = np.maximum(free, ready) + problem.compute_s[g]
        acc[g] = int(np.argmin(finish))
        end[g] = free[acc[g]] = finish[acc[g]]
    order = _orders(problem, acc)
    return simulate(problem, Mapping(order, Pinner(problem)(order)))


def nsga2(problem: Problem, trials: int = 200, seed: int = 0) -> tuple[Schedule, list[dict[str, float]]]:
    """Search the assignment; returns the fastest Pareto schedule and the Pareto front (latency_s, energy_j)."""
    pinner = Pinner(problem)
    choices = [[a for a in range(problem.n_acc) if np.isfinite(problem.compute_s[g, a])] for g in range(problem.n)]
    schedules: dict[int, Schedule] = {}

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        acc = np.array([trial.suggest_categorical(f"g{g}", c) if len(c) > 1 else c[0] for g, c in enumerate(choices)])
        order = _orders(problem, acc)
        schedule = simulate(problem, Mapping(order, pinner(order), fuse=True))
        schedules[trial.number] = schedule
        return schedule.makespan_s, schedule.energy_j

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    front = sorted(study.best_trials, key=lambda t: t.values[0])
    return schedules[front[0].number], [{"latency_s": t.values[0], "energy_j": t.values[1]} for t in front]
