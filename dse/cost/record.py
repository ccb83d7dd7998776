"""`Cost`: the one record every cost model returns, for one evaluation or (as numpy arrays) for a batch.

Units are SI: seconds, joules, bytes, hertz; `cycles` counts clock cycles of the modelled platform. Fields a model
does not compute stay 0 (additive fields) so records from different platforms can be summed and compared.

Every Cost that leaves a model is finite and non-negative: each model returns through `checked`, which names the
model and the first offending layer, so a wrong number stops the run instead of reaching a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from dse.errors import ModelError

Number = float | np.ndarray

#: Fields that add up when layers run one after another; the rest are peaks (requirements, resources, utilization).
ADDITIVE = ("cycles", "seconds", "energy_j", "energy_mac_j", "energy_l1_j", "energy_l2_j", "energy_noc_j",
            "energy_dram_j", "energy_static_j", "macs", "flops", "dram_bytes")


@dataclass
class Cost:
    """Latency, energy with its breakdown, work, utilization, buffer/bandwidth requirements, FPGA resources, and
    silicon area and leakage power."""

    cycles: Number = 0.0
    seconds: Number = 0.0
    energy_j: Number = 0.0  # total; equals the sum of the energy_*_j breakdown where a model gives one
    energy_mac_j: Number = 0.0
    energy_l1_j: Number = 0.0
    energy_l2_j: Number = 0.0
    energy_noc_j: Number = 0.0
    energy_dram_j: Number = 0.0
    energy_static_j: Number = 0.0
    macs: Number = 0.0
    flops: Number = 0.0
    dram_bytes: Number = 0.0  # off-chip traffic
    utilization: Number = 0.0  # fraction of peak compute actually used, 0..1
    l1_bytes: Number = 0.0  # buffer size required per PE (or per on-chip L1 bank)
    l2_bytes: Number = 0.0  # shared on-chip buffer size required
    noc_bw_bytes_per_cycle: Number = 0.0
    offchip_bw_bytes_per_cycle: Number = 0.0
    dsp: Number = 0.0
    bram_18k: Number = 0.0
    lut: Number = 0.0
    ff: Number = 0.0
    area_m2: Number = 0.0  # silicon area of the hardware (dse.cost.area_power)
    leakage_power_w: Number = 0.0  # static power drawn whenever the hardware is on; energy_static_j = this x seconds
    extra: dict = field(default_factory=dict)  # model-specific metrics, named with their units

    @property
    def power_w(self) -> Number:
        """Average power over the run (energy / time), leakage included where the model charges it."""
        seconds = np.asarray(self.seconds, dtype=float)
        energy = np.asarray(self.energy_j, dtype=float)
        shape = np.broadcast(energy, seconds).shape
        power = np.divide(energy, seconds, out=np.zeros(shape), where=seconds > 0)
        return power if power.ndim else float(power)

    def __add__(self, other: "Cost") -> "Cost":
        """Two costs in sequence: additive fields add, requirements and resources take the larger."""
        values = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            values[f.name] = a + b if f.name in ADDITIVE else np.maximum(a, b)
        return Cost(**values)

    def to_dict(self) -> dict[str, Number]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out["power_w"] = self.power_w
        out.update(self.extra)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per evaluation (a scalar record gives one row)."""
        data = {k: np.atleast_1d(np.asarray(v)) for k, v in self.to_dict().items()}
        length = max(len(v) for v in data.values())
        return pd.DataFrame({k: np.broadcast_to(v, (length,)) for k, v in data.items()})


def checked(cost: Cost, model: str, layers: Sequence[str] = ()) -> Cost:
    """`cost` if every field and numeric extra is finite and >= 0, else a ModelError naming the model, the field
    and the layer (the first offending entry of a batch; `layers` names the entries, if the model has names)."""
    values = {f.name: getattr(cost, f.name) for f in fields(cost) if f.name != "extra"}
    values.update({f"extra.{k}": v for k, v in cost.extra.items() if _numeric(v)})
    for name, value in values.items():
        array = np.asarray(value, dtype=float)
        bad = ~np.isfinite(array) | (array < 0)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            layer = layers[index] if index < len(layers) else layers[0] if len(layers) == 1 else f"entry {index}"
            raise ModelError(f"{model} model: {name} = {array.flat[index]!r} for layer {layer} "
                             "(every cost must be finite and non-negative)")
    return cost


def checked_frame(frame: pd.DataFrame, model: str, columns: Sequence[str]) -> pd.DataFrame:
    """The same invariant on a table of costs (one row per layer, its name in column `layer`)."""
    for name in columns:
        array = frame[name].to_numpy(dtype=float, na_value=0.0)
        bad = ~np.isfinite(array) | (array < 0)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise ModelError(f"{model} model: {name} = {array[index]!r} for layer {frame['layer'].iloc[index]} "
                             "(every cost must be finite and non-negative)")
    return frame


def _numeric(value: object) -> bool:
    array = np.asarray(value)
    return array.dtype.kind in "iuf"
