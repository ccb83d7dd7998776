"""The `dse explore` configuration: YAML read with `yaml.safe_load` into validated records.

    seed: 42
    studies:
      fpga:                          # study name (an identifier)
        problem: fpga-tiling         # a registered problem kind (dse.explore.problems)
        sampler: tpe                 # tpe | nsga2 | random | grid | exact
        trials: 200
        fixed: {network: vgg16}      # parameters held constant
        sweep:                       # parameters searched
          board: [pynq-z1, zcu102]   # a list: categorical choices
          batch: {low: 1, high: 32}  # ints -> integer range; floats -> float range; `log: true`, `step: N` allowed
        objectives: [seconds, {energy_j: minimize}, {gflops: maximize}]
        constraints: {power_w: "<= 10"}   # on any metric of the problem's results

Every error names the file and the key path (e.g. ``studies.fpga.sweep.batch.low``). Numbers go through
`dse.inputs` (finite, in range); every fixed value, categorical choice and range bound is checked by the problem's
own parameter checks (`Problem.CHECKS`) here, before any trial runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from dse.errors import InputError
from dse.inputs import (
    INT64,
    MAX_SEED,
    MAX_TRIALS,
    Range,
    parse_real,
    read_yaml,
    real,
    whole,
)

SAMPLERS = ("tpe", "nsga2", "random", "grid", "exact")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONSTRAINT = re.compile(r"^\s*(<=|>=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str  # "minimize" or "maximize"


@dataclass(frozen=True)
class Constraint:
    """`metric <= bound` or `metric >= bound`; feasible when `violation(value) <= 0`, as Optuna counts it."""

    metric: str
    op: str
    bound: float

    def violation(self, value: float) -> float:
        return value - self.bound if self.op == "<=" else self.bound - value


@dataclass(frozen=True)
class StudySpec:
    name: str
    problem: str
    sampler: str
    trials: int
    fixed: dict[str, Any]
    sweep: dict[str, optuna.distributions.BaseDistribution]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class ExploreConfig:
    seed: int
    studies: tuple[StudySpec, ...]
    source: str = "<built-in>"
    raw: dict = field(default_factory=dict, compare=False)  # the validated YAML, stored with each study


class _Where:
    """Names the file and key path in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> InputError:
        return InputError(f"{self.source}: {path}: {message}")

    def at(self, path: str) -> str:
        """The prefix `dse.inputs` puts before its message."""
        return f"{self.source}: {path}"


def load_config(path: str | Path) -> ExploreConfig:
    path = Path(path)
    return parse_config(read_yaml(path, "config file"), str(path))


def parse_config(data: Any, source: str = "<built-in>") -> ExploreConfig:
    where = _Where(source)
    if not isinstance(data, dict):
        raise where.fail("(top)", f"expected a mapping with keys seed and studies, got {type(data).__name__}")
    _no_unknown(where, "(top)", data, {"seed", "studies"})
    seed = whole(data.get("seed", 0), where.at("seed"), Range(0, MAX_SEED))
    studies = data.get("studies")
    if not isinstance(studies, dict) or not studies:
        raise where.fail("studies", "must be a non-empty mapping of study name -> study")
    specs = tuple(_study(where, name, body) for name, body in studies.items())
    return ExploreConfig(seed=seed, studies=specs, source=source, raw=data)


def _no_unknown(where: _Where, path: str, body: dict, known: set[str]) -> None:
    for key in body:
        if key not in known:
            raise where.fail(f"{path}.{key}" if path != "(top)" else str(key),
                             f"unknown key; expected one of: {', '.join(sorted(known))}")


def _study(where: _Where, name: Any, body: Any) -> StudySpec:
    path = f"studies.{name}"
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise where.fail(path, "a study name must be an identifier (letters, digits, underscores)")
    if not isinstance(body, dict):
        raise where.fail(path, f"must be a mapping, got {type(body).__name__}")
    _no_unknown(where, path, body, {"problem", "sampler", "trials", "fixed", "sweep", "objectives", "constraints"})
    from dse.explore.problems import PROBLEMS

    problem = body.get("problem")
    if not isinstance(problem, str) or problem not in PROBLEMS:
        raise where.fail(f"{path}.problem", f"unknown problem {problem!r}; known: {', '.join(sorted(PROBLEMS))}")
    sampler = body.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        raise where.fail(f"{path}.sampler", f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")
    trials = whole(body.get("trials", 100), where.at(f"{path}.trials"), Range(1, MAX_TRIALS))
    fixed = body.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise where.fail(f"{path}.fixed", "must be a mapping of parameter -> value")
    sweep_body = body.get("sweep") or {}
    if not isinstance(sweep_body, dict):
        raise where.fail(f"{path}.sweep", "must be a mapping of parameter -> choices or range")
    sweep = {str(k): _distribution(where, f"{path}.sweep.{k}", v) for k, v in sweep_body.items()}
    for key in set(sweep) & set(fixed):
        raise where.fail(f"{path}.sweep.{key}", "is also in fixed; a parameter is either fixed or swept")
    known = PROBLEMS[problem].parameters()
    for key in list(sweep) + list(fixed):
        if key not in known:
            raise where.fail(f"{path}.{'sweep' if key in sweep else 'fixed'}.{key}",
                             f"problem {problem} has no parameter {key!r}; it has: {', '.join(sorted(known))}")
    checks = PROBLEMS[problem].CHECKS
    fixed = {key: checks[key](value, where.at(f"{path}.fixed.{key}")) if key in checks else value
             for key, value in fixed.items()}
    for key, dist in sweep.items():
        if key in checks:
            _check_sweep(where, f"{path}.sweep.{key}", dist, checks[key])
    if not sweep and sampler != "exact":
        raise where.fail(f"{path}.sweep", "the search space is empty: sweep at least one parameter")
    metrics = PROBLEMS[problem].metrics()
    objectives = _objectives(where, f"{path}.objectives", body.get("objectives"), metrics)
    constraints = _constraints(where, f"{path}.constraints", body.get("constraints") or {}, metrics)
    return StudySpec(name, problem, sampler, trials, dict(fixed), sweep, objectives, constraints)


def _distribution(where: _Where, path: str, value: Any) -> optuna.distributions.BaseDistribution:
    if isinstance(value, list):
        if not value:
            raise where.fail(path, "an empty list of choices")
        for i, choice in enumerate(value):
            if isinstance(choice, float):
                real(choice, where.at(f"{path}[{i}]"))
            elif choice is not None and not isinstance(choice, (bool, int, str)):
                raise where.fail(f"{path}[{i}]", f"a choice must be a number, text, true/false or null, got {choice!r}")
        return optuna.distributions.CategoricalDistribution(value)
    if not isinstance(value, dict) or "low" not in value or "high" not in value:
        raise where.fail(path, f"expected a list of choices or {{low, high}}, got {value!r}")
    _no_unknown(where, path, value, {"low", "high", "log", "step"})
    low, high = value["low"], value["high"]
    for key in ("low", "high"):
        if isinstance(value[key], int) and not isinstance(value[key], bool):
            whole(value[key], where.at(f"{path}.{key}"), INT64)
        else:
            real(value[key], where.at(f"{path}.{key}"))
    log, step = value.get("log", False), value.get("step")
    if not isinstance(log, bool):
        raise where.fail(f"{path}.log", f"must be true or false, got {log!r}")
    if step is not None:
        step = real(step, where.at(f"{path}.step"), Range(0, None, low_open=True))
    if low > high:
        raise where.fail(f"{path}.low", f"{low} is above high {high}")
    if log and low <= 0:
        raise where.fail(f"{path}.low", f"a log range needs low > 0, got {low}")
    try:
        if isinstance(low, int) and isinstance(high, int):
            if step is not None and not float(step).is_integer():
                raise where.fail(f"{path}.step", f"an integer range needs a whole step, got {step!r}")
            return optuna.distributions.IntDistribution(low, high, log=log, step=int(step or 1))
        return optuna.distributions.FloatDistribution(float(low), float(high), log=log, step=step)
    except ValueError as exc:
        raise where.fail(path, str(exc)) from None


def _objectives(where: _Where, path: str, value: Any, metrics: set[str]) -> tuple[Objective, ...]:
    if not isinstance(value, list) or not value:
        raise where.fail(path, "must be a non-empty list of metric names (or {name: minimize|maximize})")
    out = []
    for i, item in enumerate(value):
        name, direction = (item, "minimize") if isinstance(item, str) else (
            next(iter(item.items())) if isinstance(item, dict) and len(item) == 1 else (None, None))
        if not isinstance(name, str) or direction not in ("minimize", "maximize"):
            raise where.fail(f"{path}[{i}]", f"expected a metric name or {{name: minimize|maximize}}, got {item!r}")
        if name not in metrics:
            raise where.fail(f"{path}[{i}]", f"unknown objective {name!r}; known: {', '.join(sorted(metrics))}")
        out.append(Objective(name, direction))
    return tuple(out)


def _constraints(where: _Where, path: str, value: Any, metrics: set[str]) -> tuple[Constraint, ...]:
    if not isinstance(value, dict):
        raise where.fail(path, "must be a mapping of metric -> '<= bound' or '>= bound'")
    out = []
    for metric, text in value.items():
        if metric not in metrics:
            raise where.fail(f"{path}.{metric}", f"unknown metric; known: {', '.join(sorted(metrics))}")
        match = _CONSTRAINT.match(str(text))
        if not match:
            raise where.fail(f"{path}.{metric}", f"expected '<= number' or '>= number', got {text!r}")
        out.append(Constraint(metric, match.group(1), parse_real(match.group(2), where.at(f"{path}.{metric}"))))
    return tuple(out)


def _check_sweep(where: _Where, path: str, dist: optuna.distributions.BaseDistribution, check) -> None:
    """Every categorical choice, or both ends of a range, must pass the parameter's check."""
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        for i, choice in enumerate(dist.choices):
            check(choice, where.at(f"{path}[{i}]"))
    else:
        check(dist.low, where.at(f"{path}.low"))
        check(dist.high, where.at(f"{path}.high"))
