"""Many layers (and/or many mappings) at once: one DataFrame row per (layer, hardware), equal to one-at-a-time.

Identical layers (networks repeat shapes) are analysed once; layers sharing a dataflow structure and machine are
analysed together in one numpy pass (dse.cost.dataflow.vectorized).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dse.cost.dataflow.metrics import METRICS
from dse.cost.dataflow.vectorized import metrics_many
from dse.hw.directives import EnergyTable, Hardware, MaestroLayer


def evaluate_batch(layers: Iterable[MaestroLayer], hw: Hardware | Iterable[Hardware], compat: str = "fixed",
                   energy: EnergyTable = EnergyTable()) -> pd.DataFrame:
    """Metrics of every layer (paired with `hw`, or all on one machine), columns `layer` + METRICS."""
    layers = list(layers)
    machines = [hw] * len(layers) if isinstance(hw, Hardware) else list(hw)
    if len(machines) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(machines)} machines")
    metrics = metrics_many(layers, machines, compat=compat, energy=energy)
    return pd.DataFrame({"layer": [l.name for l in layers], **metrics}, columns=["layer", *METRICS])
