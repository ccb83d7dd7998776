"""A small analytic problem with a known Pareto set, for the search tests (also run inside worker subprocesses)."""

import sys
import time
from pathlib import Path

import pandas as pd

from dse.explore import problems
from dse.explore.problems import Problem

OFFSET = {"a": 0.0, "b": 5.0, "c": 50.0}


class Parabola(Problem):
    """f1 = x, f2 = (20 - x)^2 + offset(shape), f3 = 20 - x; feasible while x <= limit. `delay` seconds per point slows it
    down so a test can kill a process mid-study."""

    kind = "parabola"
    DEFAULTS = {"x": 0, "shape": "a", "limit": 18, "delay": 0.0}
    METRICS = frozenset({"f1", "f2", "f3"})

    def evaluate(self, points):
        frame = pd.DataFrame(points)
        time.sleep(float(frame["delay"].sum()))
        return pd.DataFrame({
            "f1": frame["x"].astype(float),
            "f2": (20.0 - frame["x"]) ** 2 + frame["shape"].map(OFFSET),
            "f3": 20.0 - frame["x"].astype(float),
            "violation_limit": frame["x"] - frame["limit"],
        })


def register() -> None:
    problems.PROBLEMS["parabola"] = Parabola


def config_dict(**study):
    body = {"problem": "parabola", "sampler": "tpe", "trials": 30,
            "sweep": {"x": {"low": 0, "high": 20}, "shape": ["a", "b", "c"]},
            "objectives": ["f1", "f2"]}
    body.update(study)
    return {"seed": 3, "studies": {"toy": body}}


def cli_command(*args: str) -> list[str]:
    """argv that runs `dse ARGS` in a fresh interpreter with this problem registered."""
    here = str(Path(__file__).resolve().parent)
    code = (f"import sys; sys.path.insert(0, {here!r}); import toy_problem; toy_problem.register(); "
            "from dse.cli import main; sys.exit(main(sys.argv[1:]))")
    return [sys.executable, "-c", code, *args]
