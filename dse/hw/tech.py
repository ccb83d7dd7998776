"""Technology tables for area and leakage, read from `accelerators/tech/<node>.yaml` into a validated record.

A table prices the components a spatial accelerator is built from at one process node: a MAC unit per operand
precision, per-PE register-file bytes, shared SRAM bytes, NoC wiring per delivered bit and PE, a per-PE overhead,
the DRAM interface per byte/s of bandwidth, and leakage per unit area. Every number carries its source; fitted
numbers say so in theirs (docs/explore.md, "Area and power").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dse.errors import InputError
from dse.hw.values import load_yaml, mapping, number
from dse.inputs import is_file
from dse.resources import accelerators

#: Operand precisions a table may price, and their element size in bytes.
PRECISIONS = {"int8": 1, "int16": 2, "fp16": 2, "fp32": 4}
#: The precision a layer's element size implies when none is given (dse's zoo builds fp32 graphs).
DEFAULT_PRECISION = {1: "int8", 2: "fp16", 4: "fp32"}


@dataclass(frozen=True)
class TechNode:
    """Component areas in m^2 (per unit named in the field) and leakage in W per m^2 of placed area."""

    name: str
    node_nm: float
    mac_area_m2: dict[str, float]
    register_file_area_m2_per_byte: float
    sram_area_m2_per_byte: float
    noc_area_m2_per_bit_per_pe: float
    pe_overhead_area_m2: float
    dram_interface_area_m2_per_bytes_per_s: float
    leakage_w_per_m2: float
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def mac_area(self, precision: str) -> float:
        if precision not in self.mac_area_m2:
            raise InputError(f"technology {self.name}: no MAC area for precision {precision!r}; "
                             f"it has {', '.join(self.mac_area_m2)}")
        return self.mac_area_m2[precision]


def known_nodes() -> list[str]:
    return sorted(p.stem for p in accelerators("tech").glob("*.yaml"))


def load_tech(name: str) -> TechNode:
    """A shipped table by node name (e.g. "65nm"), or any YAML file by path."""
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = accelerators("tech", f"{name}.yaml")
        if not is_file(path):
            raise InputError(f"unknown technology node {name!r}; known: {', '.join(known_nodes())}")
    return load_tech_file(path)


def load_tech_file(path: Path) -> TechNode:
    data = load_yaml(path)
    sources: dict[str, str] = {}
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise InputError(f"{path}: field name must be a non-empty string, got {data.get('name')!r}")
    macs = mapping(path, data, "mac_area_m2")
    unknown = set(macs) - set(PRECISIONS)
    if unknown:
        raise InputError(f"{path}: field mac_area_m2 has unknown precisions {sorted(unknown)}; "
                         f"known: {', '.join(PRECISIONS)}")
    mac_sources: dict[str, str] = {}
    mac_area = {p: number(path, macs, p, mac_sources, strict=True) for p in macs}
    sources.update({f"mac_area_m2.{k}": v for k, v in mac_sources.items()})
    values = {key: number(path, data, key, sources, strict=key != "leakage_w_per_m2")
              for key in ("node_nm", "register_file_area_m2_per_byte", "sram_area_m2_per_byte",
                          "noc_area_m2_per_bit_per_pe", "pe_overhead_area_m2",
                          "dram_interface_area_m2_per_bytes_per_s", "leakage_w_per_m2")}
    return TechNode(name=data["name"], mac_area_m2=mac_area, sources=sources, **values)
