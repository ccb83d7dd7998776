"""NSGA-II a whole generation at a time, for the batched runner.

Optuna's NSGAIISampler proposes one trial per `ask`, with about 2 ms of study bookkeeping each on this machine, so a
study cannot persist more than ~500 trials/s whatever its model costs. pymoo's NSGA-II (Deb et al., IEEE TEVC 6(2)
2002: binary tournament on rank and crowding, SBX crossover, polynomial mutation, constrained domination) proposes a
whole generation in one vectorised call and takes its evaluations back in one, at ~0.1 ms per design
(benchmarks/explore_speed.py). Optuna stays the storage: each generation is written as finished trials.

The sweep becomes pymoo's box. A list (categorical) or an integer or stepped range is the index of its value,
rounded after crossover and mutation, so a design already proposed is recognised and never proposed again (a
converged population would otherwise spend trials re-evaluating its own members); lists are treated as ordered, as
sweeps of sizes and bandwidths are. A float range is itself (log ranges in log space). Constraints
enter as one column, the sum of the violations, which is how Optuna's NSGA-II ranks infeasible trials too.
Generations depend only on the seed and the trials told, so a resumed study replays its stored generations
(telling the stored values, evaluating nothing) and goes on with the trials an uninterrupted run makes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.duplicate import DuplicateElimination
from pymoo.core.evaluator import Evaluator
from pymoo.core.population import Population
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.core.termination import NoTermination
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM

MATINGS_PER_ASK = 5
"""How many rounds of mating (and then of random draws) an `ask` spends looking for designs not yet proposed.
pymoo's default of 100 costs ~40 ms per ask once the population has converged; 20 rounds still took 4.5 s of a
10,000-trial co-design study against 1.5 s with 5, the shortfall being topped up with random designs."""


class Encoding:
    """Swept parameters <-> rows of pymoo's box; single-valued parameters are fixed, not coordinates."""

    def __init__(self, sweep: dict[str, BaseDistribution]) -> None:
        self.fixed = {name: _only_value(d) for name, d in sweep.items() if d.single()}
        self.names = [name for name, d in sweep.items() if not d.single()]
        self.dists = [sweep[name] for name in self.names]
        self.values = [_index_of(d) for d in self.dists]  # listed once, not per design decoded
        self.discrete = np.array([v is not None for v in self.values], dtype=bool)
        bounds = [_bounds(d) for d in self.dists]
        self.low = np.array([b[0] for b in bounds], dtype=float)
        self.high = np.array([b[1] for b in bounds], dtype=float)

    def decode(self, rows: np.ndarray) -> list[dict[str, Any]]:
        columns = [_column(d, v, rows[:, j]) for j, (d, v) in enumerate(zip(self.dists, self.values))]
        return [{**self.fixed, **dict(zip(self.names, point))} for point in zip(*columns)]

    def encode(self, params: dict[str, Any]) -> np.ndarray:
        return np.array([_coordinate(d, v, params[n]) for n, d, v in zip(self.names, self.dists, self.values)],
                        dtype=float)


def _index_of(dist: BaseDistribution) -> list | None:
    """The values of a discrete parameter, indexed by its coordinate; None for a continuous one."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    if dist.step is not None and not dist.log:
        count = int(round((dist.high - dist.low) / dist.step)) + 1
        return [dist.low + i * dist.step for i in range(count)]
    if isinstance(dist, IntDistribution):  # log-scaled integers: every integer of the range
        return list(range(dist.low, dist.high + 1))
    return None


def _bounds(dist: BaseDistribution) -> tuple[float, float]:
    values = _index_of(dist)
    if values is not None:
        return -0.5, len(values) - 0.5  # rounding gives every index the same width
    return (math.log(dist.low), math.log(dist.high)) if dist.log else (dist.low, dist.high)


def _column(dist: BaseDistribution, values: list | None, xs: np.ndarray) -> list:
    """The parameter at each coordinate of `xs`; `values` is `_index_of(dist)`."""
    if values is not None:
        return [values[i] for i in np.clip(np.rint(xs), 0, len(values) - 1).astype(np.int64)]
    return [min(max(math.exp(x) if dist.log else float(x), dist.low), dist.high) for x in xs]


def _coordinate(dist: BaseDistribution, values: list | None, value: Any) -> float:
    """The coordinate of a parameter value; `values` is `_index_of(dist)`."""
    if values is not None:
        return float(values.index(value))
    return math.log(value) if dist.log else float(value)


def _only_value(dist: BaseDistribution) -> Any:
    return dist.choices[0] if isinstance(dist, CategoricalDistribution) else dist.low


class _Told(Problem):
    """The sweep's box, whose evaluation is the values last told: what pymoo's StaticProblem does, without its deep
    copy of the problem on every tell."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.told: dict[str, np.ndarray] = {}

    def _evaluate(self, x, out, *args, **kwargs):
        out.update(self.told)


class _RoundDiscrete(Repair):
    """Snap the discrete coordinates to their indices (pymoo repairs every sampled and mated design)."""

    def __init__(self, discrete: np.ndarray, high: np.ndarray) -> None:
        super().__init__()
        self.discrete, self.top = discrete, high - 0.5

    def _do(self, problem, X, **kwargs):
        return self.snap(X)

    def snap(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=float)
        # + 0.0 turns rint's -0.0 into 0.0, so equal designs have equal bytes
        X[:, self.discrete] = np.clip(np.rint(X[:, self.discrete]), 0, self.top[self.discrete]) + 0.0
        return X


class _NeverProposed(DuplicateElimination):
    """Drop designs proposed before (by any generation), not only those in the current population as pymoo's
    default does; exact row equality, since discrete coordinates are already snapped to their indices."""

    def __init__(self) -> None:
        super().__init__()
        self.proposed: set[bytes] = set()

    def do(self, pop, *others, **kwargs):
        seen = {key for other in others for key in _keys(other)}
        keep = []
        for i, key in enumerate(_keys(pop)):
            if key not in seen and key not in self.proposed:
                seen.add(key)
                keep.append(i)
        return pop[keep]


def _keys(pop: Population) -> list[bytes]:
    """Each design's coordinates as bytes; read from each individual (pymoo's `pop.get("X")` costs twice as much)."""
    return [np.asarray(individual.X, dtype=float).tobytes() for individual in pop]


class Generations:
    """NSGA-II over a sweep: `ask` the next generation's parameters, `tell` their objective values (in the study's
    directions) and total constraint violations, in the order asked."""

    def __init__(self, sweep: dict[str, BaseDistribution], directions: Sequence[str], seed: int,
                 population: int) -> None:
        self.encoding = Encoding(sweep)
        self._sign = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
        self._exhausted = False
        if not self.encoding.names:
            return  # one design: asked once, nothing to evolve
        self._problem = _Told(n_var=len(self.encoding.names), n_obj=len(directions), n_ieq_constr=1,
                              xl=self.encoding.low, xu=self.encoding.high)
        self._proposed = _NeverProposed()
        self._repair = _RoundDiscrete(self.encoding.discrete, self.encoding.high)
        # pymoo's recipe for integer variables (its "Integer Variables" guide): SBX and PM with eta 3, so a mutation
        # moves an index by more than the rounding takes back
        self._algorithm = NSGA2(pop_size=population, eliminate_duplicates=self._proposed, repair=self._repair,
                                crossover=SBX(eta=3.0, prob=0.9), mutation=PM(eta=3.0))
        self._algorithm.mating.n_max_iterations = MATINGS_PER_ASK
        self._algorithm.setup(self._problem, seed=seed, termination=NoTermination())
        self._population = population
        self._rng = np.random.default_rng(seed)

    def ask(self) -> list[dict[str, Any]]:
        """The next generation, topped up with random designs not yet proposed when mating finds too few (a
        population collapsed onto one design); empty once no new design turns up (a small sweep used up)."""
        if not self.encoding.names:
            asked, self._exhausted = ([] if self._exhausted else [dict(self.encoding.fixed)]), True
            return asked
        infills = self._algorithm.ask()
        width = len(self.encoding.names)
        rows = np.empty((0, width)) if infills is None else infills.get("X").reshape(len(infills), width)
        self._proposed.proposed.update(row.tobytes() for row in rows)
        if len(rows) < self._population:
            fill = self._random_unproposed(self._population - len(rows))
            self._proposed.proposed.update(row.tobytes() for row in fill)
            rows = np.vstack([rows, fill])
        return self.encoding.decode(rows)

    def _random_unproposed(self, count: int) -> np.ndarray:
        found: list[np.ndarray] = []
        keys = self._proposed.proposed.copy()
        for _ in range(MATINGS_PER_ASK):
            draws = self._repair.snap(self._rng.uniform(self.encoding.low, self.encoding.high,
                                                        (count, len(self.encoding.names))))
            for row in draws:
                if len(found) < count and row.tobytes() not in keys:
                    keys.add(row.tobytes())
                    found.append(row)
            if len(found) == count:
                break
        return np.array(found).reshape(len(found), len(self.encoding.names))

    def tell(self, params: Sequence[dict[str, Any]], values: Sequence[Sequence[float]],
             violations: Sequence[float]) -> None:
        if not self.encoding.names or not params:
            return
        told = Population.new("X", np.array([self.encoding.encode(p) for p in params]))
        objectives = np.asarray(values, dtype=float) * self._sign
        violation = np.asarray(violations, dtype=float).reshape(-1, 1)
        self._problem.told = {"F": objectives, "G": violation}
        Evaluator().eval(self._problem, told)
        self._algorithm.tell(infills=told)


def total_violation(constraints: dict[str, float]) -> float:
    """Optuna's convention: a constraint value <= 0 is satisfied; the total is what the infeasible are ranked by."""
    return float(sum(max(v, 0.0) for v in constraints.values()))
