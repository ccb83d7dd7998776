"""Many layers (and/or many mappings) at once: one DataFrame row per (layer, hardware), equal to one-at-a-time.

Networks repeat layer shapes (ResNet-50 bottlenecks, MobileNetV2 blocks), so each distinct (type, dimensions,
strides, dataflow, hardware, compat) is analysed once and its row reused.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dse.cost.dataflow.directives import Hardware, MaestroLayer
from dse.cost.dataflow.metrics import METRICS, layer_metrics


def evaluate_batch(layers: Iterable[MaestroLayer], hw: Hardware | Iterable[Hardware], compat: str = "fixed") -> pd.DataFrame:
    """Metrics of every layer (paired with `hw`, or all on one machine), columns `layer` + METRICS."""
    layers = list(layers)
    machines = [hw] * len(layers) if isinstance(hw, Hardware) else list(hw)
    if len(machines) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(machines)} machines")
    seen: dict[tuple, dict] = {}
    rows = []
    for layer, machine in zip(layers, machines):
        key = (layer.type, layer.dims, layer.stride_y, layer.stride_x, layer.dataflow, machine, compat)
        if key not in seen:
            metrics = layer_metrics(layer, machine, compat=compat)
            seen[key] = {k: metrics[k] for k in METRICS}
        rows.append({"layer": layer.name, **seen[key]})
    return pd.DataFrame(rows, columns=["layer", *METRICS])
