"""Fronts without repeats: pareto.csv lists a design once with its count; plots draw identical objectives once."""

import pandas as pd

from dse.explore.results import pareto_frame
from dse.plot.pareto import _once


def trials() -> pd.DataFrame:
    # design (a=1, b=x) ran three times, (a=2, b=y) once, (a=3, b=x) is dominated; trial 4 ties trial 3's objectives
    return pd.DataFrame({
        "study": "s", "trial": [0, 1, 2, 3, 4, 5], "state": "COMPLETE",
        "param_a": [1, 1, 2, 1, 3, 4], "param_b": ["x", "x", "y", "x", "x", "x"],
        "objective_f": [1.0, 1.0, 2.0, 1.0, 5.0, 2.0], "objective_g": [3.0, 3.0, 1.0, 3.0, 5.0, 1.0],
        "feasible": True, "pareto": [True, True, True, True, False, True],
    })


def test_each_distinct_design_once_with_its_count():
    front = pareto_frame(trials())
    assert front["trial"].tolist() == [0, 2, 5]
    assert front["count"].tolist() == [3, 1, 1]
    assert list(front.columns[:3]) == ["study", "trial", "count"]


def test_identical_objectives_are_drawn_once():
    t = trials()
    drawn = _once(t[t["pareto"]], "objective_f", "objective_g")
    assert sorted(zip(drawn["objective_f"], drawn["objective_g"])) == [(1.0, 3.0), (2.0, 1.0)]
