"""Processing-in-memory devices read from `accelerators/pim/<name>.yaml` into a validated `PIMDevice`.

Two technologies: `dram` (Ambit-style row operations on DDR3) and `racetrack` (PIRM/CORUSCANT transverse reads).
Each has its own required per-operation figures (see `FIELDS`); all are `{value, source}` entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dse.errors import InputError
from dse.hw.embodied import Embodied, parse_embodied
from dse.hw.values import check_keys, count, hardware_path, known_names, load_yaml, mapping, number

COMMON = ("idle_w", "capacity_bytes", "inference_bits", "inference_accumulator_bits", "training_bits",
          "training_accumulator_bits")
FIELDS = {
    "dram": ("row_bits", "parallel_rows", "row_op_latency_s", "row_op_energy_j"),
    "racetrack": ("nanowires_per_dbc", "trd", "pim_dbcs", "tr_latency_s", "write_latency_s", "shift_latency_s",
                  "tr_energy_j", "write_energy_j", "shift_energy_j"),
}
#: Row-operation counts a DRAM device must give (Ambit primitives).
ROW_OPS = ("and", "not", "xor", "maj", "copy")
#: Figures that are counts and must be whole numbers.
WHOLE = {"row_bits", "parallel_rows", "nanowires_per_dbc", "trd", "pim_dbcs", "inference_bits",
         "inference_accumulator_bits", "training_bits", "training_accumulator_bits"}


@dataclass(frozen=True)
class PIMDevice:
    """A PIM memory: technology, its per-operation figures (`params`, SI units in the names), idle power, BOM."""

    name: str
    technology: str
    params: dict[str, float]
    row_ops: dict[str, float]
    embodied: Embodied
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def idle_w(self) -> float:
        return self.params["idle_w"]

    def bits(self, training: bool) -> tuple[int, int]:
        """(operand bits, accumulator bits) for inference or training."""
        kind = "training" if training else "inference"
        return int(self.params[f"{kind}_bits"]), int(self.params[f"{kind}_accumulator_bits"])


def known_pims() -> list[str]:
    return known_names("pim")


def load_pim_file(path: Path) -> PIMDevice:
    data = load_yaml(path)
    technology = data.get("technology")
    if not isinstance(technology, str) or technology not in FIELDS:
        raise InputError(f"{path}: field technology must be one of {', '.join(FIELDS)}, got {technology!r}")
    check_keys(path, data, frozenset(("name", "technology", "embodied") + COMMON + FIELDS[technology]
                                     + (("row_ops",) if technology == "dram" else ())))
    sources: dict[str, str] = {}
    params = {}
    for key in COMMON + FIELDS[technology]:
        params[key] = (count(path, data, key, sources) if key in WHOLE
                       else number(path, data, key, sources, strict=key != "idle_w"))
    if technology == "racetrack" and params["trd"] < 2:
        raise InputError(f"{path}: field trd.value must be at least 2 (a TR over two operands), got {params['trd']!r}")
    row_ops = {}
    if technology == "dram":
        ops = mapping(path, data, "row_ops")
        row_ops = {op: number(path, ops, op, sources, strict=True) for op in ROW_OPS}
    return PIMDevice(str(data.get("name", path.stem)), technology, params, row_ops,
                     parse_embodied(path, data, sources), sources)


def load_pim(name: str) -> PIMDevice:
    """A shipped PIM device by name (ddr3-pim, racetrack-pim), or a path to a PIM YAML file."""
    return load_pim_file(hardware_path(name, "pim", what="pim device"))
