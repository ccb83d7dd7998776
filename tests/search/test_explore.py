"""The explore pipeline on an analytic problem: Pareto exactness, seeds, resume, run-folder safety, config errors."""

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml

from dse.errors import InputError
from dse.explore.config import load_config, parse_config
from dse.explore.run import explore
from dse.explore.runner import RunningFront, open_storage, run_study

from .toy_problem import config_dict


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Brute force, minimisation: a row is kept when no other row is <= everywhere and < somewhere."""
    keep = np.ones(len(points), dtype=bool)
    for i, p in enumerate(points):
        dominated_by = np.all(points <= p, axis=1) & np.any(points < p, axis=1)
        keep[i] = not dominated_by.any()
    return keep


def run(tmp_path, name="run", **study):
    out = tmp_path / name
    explore(parse_config(config_dict(**study)), out, progress=False)
    return out, pd.read_csv(out / "trials.csv"), pd.read_csv(out / "pareto.csv")


def test_pareto_csv_is_exactly_the_feasible_non_dominated_set(tmp_path, parabola):
    out, trials, pareto = run(tmp_path, trials=60)
    assert len(trials) == 60
    feasible = trials[trials["param_x"] <= 18]
    assert (trials["feasible"] == (trials["param_x"] <= 18)).all()
    values = feasible[["objective_f1", "objective_f2"]].to_numpy()
    front = feasible[non_dominated(values)]
    # each distinct design once (its first trial), `count` trials of the front ran it
    assert set(pareto["trial"]) == set(front.groupby("param_x")["trial"].min())
    assert pareto["count"].sum() == len(front) and pareto["param_x"].is_unique
    assert pareto["feasible"].all() and len(pareto) >= 3
    for suffix in ("png", "svg"):
        assert (out / f"pareto_toy_f1_vs_f2.{suffix}").stat().st_size > 1000
    assert "toy" in (out / "report.html").read_text()


def test_same_seed_same_trials(tmp_path, parabola):
    _, first, _ = run(tmp_path, "a", trials=25)
    _, second, _ = run(tmp_path, "b", trials=25)
    assert first[["param_x", "param_shape"]].equals(second[["param_x", "param_shape"]])


def test_rerun_with_more_trials_resumes_and_keeps_the_finished_ones(tmp_path, parabola):
    out, before, _ = run(tmp_path, "r", trials=20)
    explore(parse_config(config_dict(trials=45)), out, progress=False)
    after = pd.read_csv(out / "trials.csv")
    assert len(after) == 45 and after["trial"].is_unique
    merged = before.merge(after, on="trial", suffixes=("_b", "_a"))
    assert len(merged) == 20
    assert (merged["param_x_b"] == merged["param_x_a"]).all()


class Killed(Exception):
    pass


def _params(study) -> list[tuple]:
    return [(t.number, t.params["x"], t.params["shape"], tuple(t.values)) for t in study.get_trials(deepcopy=False)]


@pytest.mark.parametrize("sampler", ["tpe", "nsga2", "random"])
def test_a_study_stopped_after_a_batch_resumes_to_the_uninterrupted_trials(tmp_path, parabola, sampler):
    wide = {"x": {"low": 0.0, "high": 20.0}, "shape": ["a", "b", "c"]}  # continuous: more designs than trials
    (spec,) = parse_config(config_dict(trials=200, sampler=sampler, sweep=wide)).studies
    storage = open_storage(None, tmp_path / "stopped")
    batches = []

    def stop_after_two(n):
        batches.append(n)
        if len(batches) == 2:
            raise Killed

    with pytest.raises(Killed):
        run_study(spec, 3, storage, progress=False, on_batch=stop_after_two)
    assert len(optuna.load_study(study_name="toy", storage=storage).trials) == sum(batches)  # two batches stored
    resumed = run_study(spec, 3, storage, progress=False)
    whole = run_study(spec, 3, open_storage(None, tmp_path / "whole"), progress=False)
    assert len(whole.trials) == 200 and _params(resumed) == _params(whole)


def test_nsga2_proposes_each_design_once_and_stops_when_the_sweep_is_used_up(tmp_path, parabola):
    _, trials, _ = run(tmp_path, trials=200, sampler="nsga2")  # the sweep has 21 x 3 = 63 designs
    assert len(trials) == 63 and not trials.duplicated(["param_x", "param_shape"]).any()


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_a_study_stopped_inside_a_batch_resumes_to_the_uninterrupted_trials(tmp_path, parabola, sampler):
    # 100 trials end inside the second 64-trial batch, as a kill while a batch is being written leaves it. (NSGA-II's
    # population follows the trial count, so asking it for more trials is not the same study.)
    out, _, _ = run(tmp_path, "resumed", trials=100, sampler=sampler)
    explore(parse_config(config_dict(trials=200, sampler=sampler)), out, progress=False)
    resumed = pd.read_csv(out / "trials.csv")
    _, whole, _ = run(tmp_path, "whole", trials=200, sampler=sampler)
    columns = ["trial", "param_x", "param_shape", "objective_f1", "objective_f2"]
    assert len(whole) == 200 and resumed[columns].equals(whole[columns])


def test_exact_enumerates_the_whole_grid(tmp_path, parabola):
    _, trials, pareto = run(tmp_path, sampler="exact", trials=1000)
    assert len(trials) == 21 * 3
    assert sorted(pareto["param_x"]) == list(range(19))


def test_out_holding_another_exploration_is_refused_and_kept(tmp_path, parabola):
    out, before, _ = run(tmp_path, "keep", trials=10)
    other = config_dict(trials=10, objectives=["f1", "f3"])
    with pytest.raises(InputError, match="holds another exploration"):
        explore(parse_config(other), out, progress=False)
    assert pd.read_csv(out / "trials.csv").equals(before)


@pytest.mark.parametrize("change,key", [
    ({"objectives": ["latency"]}, "studies.toy.objectives[0]"),
    ({"sweep": {"nope": [1, 2]}}, "studies.toy.sweep.nope"),
    ({"sweep": {}}, "studies.toy.sweep"),
    ({"sampler": "annealing"}, "studies.toy.sampler"),
    ({"constraints": {"f1": "< 3"}}, "studies.toy.constraints.f1"),
    ({"sweep": {"x": {"low": 5, "high": 1}}}, "studies.toy.sweep.x.low"),
])
def test_config_errors_name_the_key(parabola, change, key):
    with pytest.raises(InputError) as err:
        parse_config(config_dict(**change), "cfg.yaml")
    assert f"cfg.yaml: {key}" in str(err.value)


def test_yaml_file_errors(tmp_path, parabola):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1, 2\n")
    with pytest.raises(InputError, match="bad.yaml.*not valid YAML"):
        load_config(bad)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(config_dict(constraints={"f2": "<= 100"})))
    spec = load_config(good).studies[0]
    assert spec.constraints[0].violation(150.0) == 50.0


@pytest.mark.parametrize("objectives", [["f1", "f2"], ["f2", {"f3": "maximize"}]])
def test_the_progress_bars_running_front_is_optunas_best_trials(parabola, objectives):
    (spec,) = parse_config(config_dict(trials=150, sampler="random", objectives=objectives)).studies
    study = run_study(spec, 3, optuna.storages.InMemoryStorage(), progress=False)
    trials = study.get_trials(deepcopy=False)
    front = RunningFront(spec, trials[:10])
    for i in range(10, len(trials), 7):  # batch by batch, as the runner adds them
        front.add(trials[i:i + 7])
    best = sorted(tuple(t.values) for t in study.best_trials)
    assert best and sorted(map(tuple, front.values.tolist())) == best
