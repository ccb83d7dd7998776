"""System search: which accelerators to include, host link bandwidth, R_wei and local DRAM per accelerator, with
H2H as the inner mapper; Optuna NSGA-II on (latency, energy). A subset that leaves some layer without an
accelerator able to run it is infeasible (`trial.set_constraint`)."""

from __future__ import annotations

from dataclasses import replace

import optuna
import pandas as pd

from dse.errors import Infeasible
from dse.hw.system import System
from dse.mapping.h2h import run_h2h
from dse.mapping.problem import compile_problem
from dse.workload.graph import Workload

DRAM_CHOICES_BYTES = (0.512e9, 1e9, 2e9, 4e9, 8e9)  # H2H's 512 MB - 8 GB board range (papers.md 1.2)
INFEASIBLE = (float("inf"), float("inf"))


def candidate(base: System, trial: optuna.Trial, bandwidths: tuple[float, ...]) -> System:
    """The system a trial describes."""
    keep = [a.name for a in base.accelerators if trial.suggest_categorical(f"use_{a.name}", [True, False])]
    bw = trial.suggest_categorical("link_bw_bytes_per_s", list(bandwidths))
    r_wei = trial.suggest_float("r_wei", 0.0, 1.0)
    accs = tuple(replace(a, local_dram_bytes=trial.suggest_categorical(f"dram_{a.name}", list(DRAM_CHOICES_BYTES)),
                         link_bw_bytes_per_s=bw)
                 for a in base.accelerators if a.name in keep)
    return replace(base.subset(keep), accelerators=accs, r_wei=r_wei)


def search_system(workload: Workload, base: System, trials: int = 50, seed: int = 0,
                  bandwidths: tuple[float, ...] | None = None) -> pd.DataFrame:
    """One row per trial: the choices, H2H step-4 latency and energy, feasibility and Pareto membership."""
    sweep = bandwidths or base.bandwidth_sweep_bytes_per_s or (base.accelerators[0].link_bw_bytes_per_s,)

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        system = candidate(base, trial, tuple(sweep))
        try:
            if not system.accelerators:
                raise Infeasible("no accelerator chosen")
            best = run_h2h(compile_problem(workload, system)).steps[4]
        except Infeasible:  # some layer runs on none of the chosen accelerators
            trial.set_constraint("runs_every_layer", 1.0)
            return INFEASIBLE
        trial.set_constraint("runs_every_layer", 0.0)
        return best.makespan_s, best.energy_j

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    front = {t.number for t in study.best_trials}
    rows = [{"trial": t.number, **t.params, "latency_s": t.values[0], "energy_j": t.values[1],
             "feasible": t.constraints["runs_every_layer"] <= 0, "pareto": t.number in front} for t in study.trials]
    return pd.DataFrame(rows)
