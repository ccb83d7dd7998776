"""The folding search of the row-stationary model: every folding of a layer (dse.cost.row_stationary.foldings) priced
in one numpy pass, the best for an objective kept, with the latency/energy Pareto set for network-level choices.

Nothing is fixed per layer: the choice of images, filters and channels per pass and of the PE sets' use falls out of
the array, the scratch pads and the GLB split of the chip file, as the chip's own mapper chose from the same limits.
"""

from __future__ import annotations

import numpy as np

from dse.cost.record import Cost
from dse.cost.row_stationary import evaluate, foldings
from dse.errors import InputError
from dse.hw.row_stationary import RowStationaryChip
from dse.search.dataflow_mapping import MappingResult
from dse.search.network_mapping import OBJECTIVES, pareto
from dse.workload.layer import Layer


def _entry(cost: Cost, i: int) -> Cost:
    """Entry i of a batch Cost as a scalar Cost."""
    values = {k: float(np.asarray(getattr(cost, k))[i]) if np.ndim(getattr(cost, k)) else float(getattr(cost, k))
              for k in Cost.__dataclass_fields__ if k != "extra"}
    return Cost(**values, extra={k: float(np.asarray(v).flat[i] if np.ndim(v) else v) for k, v in cost.extra.items()})


def search(layer: Layer, chip: RowStationaryChip, objective: str = "latency", zeros: float = 0.0,
           out_zeros: float | None = None) -> MappingResult:
    """The best folding of one layer for `objective` (ties: then latency, then energy), found exactly."""
    if objective not in OBJECTIVES:
        raise InputError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    folds = foldings(layer, chip)
    cost = evaluate(layer, chip, folds, zeros, out_zeros)
    seconds, energy = np.asarray(cost.seconds, dtype=float), np.asarray(cost.energy_j, dtype=float)
    best = int(np.lexsort((energy, seconds, OBJECTIVES[objective](seconds, energy)))[0])
    front = pareto(seconds, energy)
    return MappingResult(folds.row(best), _entry(cost, best), True, len(folds), len(folds), "exact",
                         [(folds.row(i), _entry(cost, i)) for i in front])
