"""A small analytic problem with a known Pareto set, registered only for these tests."""

import pandas as pd
import pytest

from dse.search import problems
from dse.search.problems import Problem

OFFSET = {"a": 0.0, "b": 5.0, "c": 50.0}


class Parabola(Problem):
    """f1 = x, f2 = (20 - x)^2 + offset(shape); feasible while x <= limit. Front: shape a, x in [0, limit]."""

    kind = "parabola"
    DEFAULTS = {"x": 0, "shape": "a", "limit": 18}
    METRICS = frozenset({"f1", "f2", "f3"})

    def evaluate(self, points):
        frame = pd.DataFrame(points)
        return pd.DataFrame({
            "f1": frame["x"].astype(float),
            "f2": (20.0 - frame["x"]) ** 2 + frame["shape"].map(OFFSET),
            "f3": -frame["x"].astype(float),
            "violation_limit": frame["x"] - frame["limit"],
        })


@pytest.fixture
def parabola(monkeypatch):
    monkeypatch.setitem(problems.PROBLEMS, "parabola", Parabola)
    return Parabola


def config_dict(**study):
    body = {"problem": "parabola", "sampler": "tpe", "trials": 30,
            "sweep": {"x": {"low": 0, "high": 20}, "shape": ["a", "b", "c"]},
            "objectives": ["f1", "f2"]}
    body.update(study)
    return {"seed": 3, "studies": {"toy": body}}
