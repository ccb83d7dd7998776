"""Workloads: layer records, layer graphs, the model zoo, training expansion, ONNX import and MAESTRO export.

The names below load on first use (PEP 562), so listing the zoo does not pay for networkx.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "Builder": "dse.workload.builder",
    "COMPUTE_OPS": "dse.workload.layer", "Layer": "dse.workload.layer", "Op": "dse.workload.layer",
    "Pass": "dse.workload.layer",
    "Workload": "dse.workload.graph", "validate": "dse.workload.graph",
    "training": "dse.workload.training_passes",
    "MODELS": "dse.workload.zoo", "build": "dse.workload.zoo",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
