"""Per-layer mapping search over an accelerator's dataflow template: tile sizes and cluster sizes.

Candidates: a tile parameter over dimension D takes the powers of two below Sz(D) and Sz(D) itself; a cluster
parameter takes the powers of two up to the PE count; both also take the template's default (e.g. Eyeriss's
14-column PE set), capped at that top. Candidates whose clusters, with the template's fixed ones (Sz(R)), group
more PEs than the machine has are dropped. A mapping is feasible when the analysis' L1 requirement (per PE) and L2 requirement fit the
accelerator's L1 and L2 bytes. Small spaces are enumerated exactly (the whole space as one batch); larger ones
are sampled with Optuna's TPE sampler, capacities as `trial.set_constraint` constraints. The objective is
latency (s), energy (J) or their product (EDP, J*s). Each result also keeps the latency/energy Pareto front of the
candidates it evaluated, from which `dse.search.network_mapping` picks mappings for a whole network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dse.cost.dataflow.model import Mapping, evaluate, evaluate_batch
from dse.cost.dataflow.problem import Problem, has_mac_form, problem
from dse.cost.record import Cost
from dse.errors import Infeasible, InputError
from dse.hw.dataflow import DataflowAccelerator, Parameter, Placeholder, extent, resolve_symbolic
from dse.hw.directives import CLUSTER
from dse.search.network_mapping import OBJECTIVES, pareto
from dse.workload.layer import Layer



@dataclass
class MappingResult:
    """Best mapping found for one layer, its cost, and how the search got there."""

    mapping: Mapping
    cost: Cost
    fits: bool  # False: no candidate fits L1/L2; `mapping` is then the best one regardless
    evaluated: int
    space: int
    method: str  # "exact", "optuna" or "none" (a layer without a dataflow mapping)
    front: list[tuple[Mapping, Cost]]  # Pareto set (ascending seconds) of the feasible candidates (all if none fits)


def score(cost: Cost, objective: str) -> float:
    return float(OBJECTIVES[objective](cost.seconds, cost.energy_j))


def rank(cost: Cost, objective: str) -> tuple[float, float, float]:
    """The objective, then latency, then energy: of mappings that tie on the objective (cluster sizes often leave
    the energy unchanged) the best is one no other beats on both latency and energy."""
    return score(cost, objective), float(cost.seconds), float(cost.energy_j)


def fits(cost: Cost, acc: DataflowAccelerator) -> bool:
    return cost.l1_bytes <= acc.l1_bytes and cost.l2_bytes <= acc.l2_bytes


def candidates(param: Parameter, sizes: dict[str, int], num_pes: int) -> list[int]:
    """Values a parameter may take on a layer (see the module docstring)."""
    top = num_pes if param.dim == "PE" else extent(param.dim, sizes)
    values = {2 ** i for i in range(int(math.log2(top)) + 1)} | {min(param.default, top)}
    if param.dim != "PE":
        values = {v for v in values if v < top} | {top}
    return sorted(values)


def space(layer: Layer, acc: DataflowAccelerator) -> list[Mapping]:
    """Every candidate mapping of a MAC layer (cluster products within the PE count)."""
    table = space_table(layer, acc)
    rows = zip(*(table[c].tolist() for c in table.columns)) if len(table.columns) else [()] * len(table)
    return [dict(zip(table.columns, row)) for row in rows]


def space_table(layer: Layer, acc: DataflowAccelerator) -> pd.DataFrame:
    """`space` as a table, one int64 column per template parameter and one row per mapping in the same order
    (parameters' candidates crossed, the first varying slowest): a sweep of many layers needs no dict per row."""
    prob = problem(layer)
    sizes = dict(prob.dims)
    params = list(acc.parameters.values())
    grids = np.meshgrid(*(np.array(candidates(p, sizes, acc.num_pes), dtype=np.int64) for p in params),
                        indexing="ij")
    columns = {p.name: grid.ravel() for p, grid in zip(params, grids)}
    pes = np.full(grids[0].size if grids else 1, _fixed_cluster_pes(prob, acc))
    for p in params:
        if p.dim == "PE":
            pes = pes * columns[p.name]
    keep = pes <= acc.num_pes
    return pd.DataFrame({name: col[keep] for name, col in columns.items()}, index=np.arange(int(keep.sum())))


def no_mapping_fits(layer: Layer, num_pes: int, where: str) -> Infeasible:
    """The error of an empty `space`: the template's fixed clusters (Eyeriss's Sz(R) rows) need more PEs than the
    machine has; `where` names the file field or parameter that sets the PE count."""
    return Infeasible(f"{where}: no mapping of layer {layer.name!r} fits {num_pes} PEs")


def _fixed_cluster_pes(prob: Problem, acc: DataflowAccelerator) -> int:
    """PEs grouped by the template's Cluster directives that are not mapping parameters (Eyeriss's Sz(R) rows)."""
    key, lines = acc.template(prob.type)
    defaults = tuple((p.name, acc.default(p, dict(prob.dims))) for p in acc.parameters.values())
    flow = resolve_symbolic(lines, defaults, prob.dims, f"{acc.path}: dataflow.{key}")
    return math.prod(d.size for d in flow if d.kind == CLUSTER and not isinstance(d.size, Placeholder))


def search(layer: Layer, acc: DataflowAccelerator, objective: str = "edp", exact_limit: int = 128,
           trials: int = 40, seed: int = 0) -> MappingResult:
    """Best mapping of one layer for `objective`, exact when the space has at most `exact_limit` mappings."""
    if objective not in OBJECTIVES:
        raise InputError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    if not has_mac_form(layer) or not acc.parameters:
        cost = evaluate(layer, acc)
        return MappingResult({}, cost, True, 1, 1, "none", [({}, cost)])
    mappings = space(layer, acc)
    if not mappings:
        raise no_mapping_fits(layer, acc.num_pes, f"{acc.path or acc.name}: field num_pes.value")
    if len(mappings) <= exact_limit:
        frame = evaluate_batch([layer] * len(mappings), acc, mappings)
        costs = [Cost(**{k: row[k] for k in Cost.__dataclass_fields__ if k != "extra"}) for row in
                 frame.to_dict(orient="records")]
        tried = list(zip(mappings, costs))
        method = "exact"
    else:
        tried = _optuna(layer, acc, mappings, objective, trials, seed)
        method = "optuna"
    feasible = [(m, c) for m, c in tried if fits(c, acc)]
    pool = feasible or tried
    best_m, best_c = min(pool, key=lambda mc: rank(mc[1], objective))
    front = pareto(np.array([float(c.seconds) for _, c in pool]), np.array([float(c.energy_j) for _, c in pool]))
    return MappingResult(best_m, evaluate(layer, acc, best_m), bool(feasible), len(tried), len(mappings), method,
                         [pool[i] for i in front])


def _optuna(layer: Layer, acc: DataflowAccelerator, mappings: list[Mapping], objective: str, trials: int,
            seed: int) -> list[tuple[Mapping, Cost]]:
    """Sample the space with TPE; each trial is one mapping, L1/L2 overflow (bytes) as constraints."""
    import optuna

    choices = {name: sorted({m[name] for m in mappings}) for name in acc.parameters}
    valid = {tuple(sorted(m.items())) for m in mappings}
    seen: dict[tuple, Cost] = {}

    def run(trial: "optuna.Trial") -> float:
        mapping = {name: trial.suggest_categorical(name, values) for name, values in choices.items()}
        key = tuple(sorted(mapping.items()))
        if key not in valid:  # clusters grouping more PEs than the machine has
            trial.set_constraint("pes", 1.0)
            return math.inf
        if key not in seen:
            seen[key] = evaluate(layer, acc, mapping)
        cost = seen[key]
        trial.set_constraint("l1_bytes", float(cost.l1_bytes - acc.l1_bytes))
        trial.set_constraint("l2_bytes", float(cost.l2_bytes - acc.l2_bytes))
        return score(cost, objective)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({p.name: min(max(p.default, choices[p.name][0]), choices[p.name][-1])
                         for p in acc.parameters.values()}, skip_if_exists=True)
    study.optimize(run, n_trials=trials)
    return [(dict(k), c) for k, c in seen.items()]
