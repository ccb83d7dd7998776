"""dse's whole-layer off-chip roofline, shared by the Layer model (model.py) and `dse maestro --offchip-bound layer`.

MAESTRO's own access counts fill every input and weight element into L2 from DRAM once per layer (its L2 write
counts) and drain every output once (its output L2 read count). With L2 double-buffered, that traffic streams while
the PEs compute, so a layer takes the longer of its on-chip time and the traffic over the off-chip bandwidth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def offchip_elements(metrics: Mapping):
    """Elements one layer moves between DRAM and L2: input + filter L2 fills + output drain (elementwise)."""
    return metrics["input_l2_write"] + metrics["filter_l2_write"] + metrics["output_l2_read"]


def roofline(runtime_cycles, traffic, bandwidth: float, clock_hz: float = 1.0):
    """(cycles, traffic_cycles): traffic_cycles = ceil(traffic / bandwidth x clock_hz), cycles = max(runtime_cycles,
    traffic_cycles). `bandwidth` is in traffic units per second with `clock_hz` cycles per second, or per cycle with
    the default clock_hz = 1 (MAESTRO's elements/cycle). Elementwise on arrays; Python ints for scalars."""
    bound = np.ceil(np.asarray(traffic, dtype=float) * clock_hz / bandwidth).astype(np.int64)
    cycles = np.maximum(runtime_cycles, bound)
    if cycles.ndim == 0:
        return int(cycles), int(bound)
    return cycles, bound
