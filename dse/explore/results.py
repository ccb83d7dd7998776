"""Tidy tables of a finished study: every trial, its Pareto set (by Optuna), and the chosen point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from dse.explore.config import StudySpec


@dataclass
class StudyOutcome:
    """A finished study as the run folder shows it: its spec, trial and Pareto tables, the chosen point, the plot
    files and the chosen design's files (name -> path)."""

    spec: StudySpec
    trials: pd.DataFrame
    pareto: pd.DataFrame
    chosen: pd.Series | None
    figures: list[Path]
    artifacts: dict[str, Path]


def trials_frame(study: optuna.Study, spec: StudySpec) -> pd.DataFrame:
    """One row per finished trial: study, number, state, parameters, objectives, constraint values, feasibility,
    every metric the model returned, and whether the trial is on the Pareto front."""
    pareto = {t.number for t in study.best_trials}
    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        constraints = t.constraints
        row = {"study": spec.name, "trial": t.number, "state": t.state.name}
        row.update({f"param_{k}": v for k, v in t.params.items()})
        for i, objective in enumerate(spec.objectives):
            row[f"objective_{objective.name}"] = t.values[i] if t.values else np.nan
        row.update({f"constraint_{k}": v for k, v in constraints.items()})
        row["feasible"] = t.state is TrialState.COMPLETE and all(v <= 0 for v in constraints.values())
        row["pareto"] = t.number in pareto
        row.update({f"metric_{k}": v for k, v in t.user_attrs.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def pareto_frame(trials: pd.DataFrame) -> pd.DataFrame:
    """The Pareto trials, each distinct design (its parameters) once, the first trial that ran it standing for
    all, with `count`: how many trials of the front ran it (a sampler on a discrete space repeats designs)."""
    if not len(trials):
        return trials.assign(count=pd.Series(dtype=int))
    front = trials[trials["pareto"]]
    params = [c for c in trials.columns if c.startswith("param_")] or ["trial"]
    counts = front.groupby(params, dropna=False, sort=False)["trial"].transform("size")
    first = ~front.duplicated(subset=params)
    distinct = front[first].copy()
    distinct.insert(distinct.columns.get_loc("trial") + 1, "count", counts[first].astype(int))
    return distinct.reset_index(drop=True)


def choose(pareto: pd.DataFrame, spec: StudySpec) -> pd.Series | None:
    """The knee of the front: the Pareto point nearest the ideal point once each objective is scaled to [0, 1]."""
    if pareto.empty:
        return None
    scaled = []
    for objective in spec.objectives:
        column = pareto[f"objective_{objective.name}"].astype(float)
        span = column.max() - column.min()
        unit = (column - column.min()) / span if span > 0 else column * 0.0
        scaled.append(unit if objective.direction == "minimize" else 1.0 - unit)
    distance = np.sqrt(sum(s ** 2 for s in scaled))
    return pareto.loc[int(np.argmin(distance.to_numpy()))]


def pairwise_front(trials: pd.DataFrame, spec: StudySpec, x: str, y: str) -> pd.Series:
    """Which feasible trials are non-dominated in the 2-D projection (x, y), computed by Optuna."""
    directions = {o.name: o.direction for o in spec.objectives}
    feasible = trials[trials["feasible"]]
    flags = pd.Series(False, index=trials.index)
    if feasible.empty:
        return flags
    projection = optuna.create_study(directions=[directions[x], directions[y]])
    dists = {"row": optuna.distributions.IntDistribution(0, max(int(trials.index.max()), 1))}
    projection.add_trials([
        optuna.trial.create_trial(params={"row": int(i)}, distributions=dists,
                                  values=[float(r[f"objective_{x}"]), float(r[f"objective_{y}"])])
        for i, r in feasible.iterrows()
    ])
    flags.loc[[t.params["row"] for t in projection.best_trials]] = True
    return flags
