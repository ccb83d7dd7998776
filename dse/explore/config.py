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

Every error names the file and the key path (e.g. ``studies.fpga.sweep.batch.low``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import yaml

from dse.errors import InputError

SAMPLERS = ("tpe", "nsga2", "random", "grid", "exact")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONSTRAINT = re.compile(r"^\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


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


def load_config(path: str | Path) -> ExploreConfig:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"config file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{path}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, str(path))


def parse_config(data: Any, source: str = "<built-in>") -> ExploreConfig:
    where = _Where(source)
    if not isinstance(data, dict):
        raise where.fail("(top)", f"expected a mapping with keys seed and studies, got {type(data).__name__}")
    _no_unknown(where, "(top)", data, {"seed", "studies"})
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise where.fail("seed", f"must be an integer, got {seed!r}")
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
    if problem not in PROBLEMS:
        raise where.fail(f"{path}.problem", f"unknown problem {problem!r}; known: {', '.join(sorted(PROBLEMS))}")
    sampler = body.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        raise where.fail(f"{path}.sampler", f"unknown sampler {sampler!r}; known: {', '.join(SAMPLERS)}")
    trials = body.get("trials", 100)
    if not isinstance(trials, int) or isinstance(trials, bool) or trials <= 0:
        raise where.fail(f"{path}.trials", f"must be a positive integer, got {trials!r}")
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
        return optuna.distributions.CategoricalDistribution(value)
    if not isinstance(value, dict) or "low" not in value or "high" not in value:
        raise where.fail(path, f"expected a list of choices or {{low, high}}, got {value!r}")
    _no_unknown(where, path, value, {"low", "high", "log", "step"})
    low, high, log, step = value["low"], value["high"], bool(value.get("log", False)), value.get("step")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        raise where.fail(path, f"low and high must be numbers, got {low!r} and {high!r}")
    if low > high:
        raise where.fail(f"{path}.low", f"{low} is above high {high}")
    if log and low <= 0:
        raise where.fail(f"{path}.low", f"a log range needs low > 0, got {low}")
    try:
        if isinstance(low, int) and isinstance(high, int):
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
        if name is None or direction not in ("minimize", "maximize"):
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
        out.append(Constraint(metric, match.group(1), float(match.group(2))))
    return tuple(out)
