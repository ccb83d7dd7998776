"""Collapse a per-layer `Cost` (arrays over layers) into one record for the whole graph."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from dse.cost.record import ADDITIVE, Cost, checked


def sum_layers(model: str, per_layer: Cost, utilization: float, extra: dict) -> Cost:
    """Layers run one after another: additive fields sum, requirements take the largest; `utilization` is the
    whole graph's (a time-weighted figure only the model can define)."""
    values = {}
    for f in fields(Cost):
        if f.name in ("extra", "utilization"):
            continue
        column = np.asarray(getattr(per_layer, f.name), dtype=float)
        reduce = np.sum if f.name in ADDITIVE else np.max
        values[f.name] = float(reduce(column)) if column.size else 0.0
    return checked(Cost(utilization=utilization, extra=extra, **values), model, ["the whole graph"])
