"""A device's bill of materials for embodied carbon (ACT): logic dies, DRAM, flash and packaged ICs.

Read from the `embodied:` block of a hardware YAML file; the carbon arithmetic lives in `dse.cost.carbon`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dse.errors import InputError
from dse.hw.values import number


@dataclass(frozen=True)
class Die:
    """`count` logic (or memory-array) dies of `area_mm2` each, made in process `node` (an ACT node key)."""

    area_mm2: float
    node: str
    count: int = 1


@dataclass(frozen=True)
class Memory:
    """`capacity_gb` of DRAM or flash of an ACT technology key (e.g. lpddr4, ddr3_30nm, nand_20nm)."""

    technology: str
    capacity_gb: float


@dataclass(frozen=True)
class Embodied:
    """What a device is made of, for ACT: logic dies, DRAM, flash and the number of packaged ICs."""

    dies: tuple[Die, ...] = ()
    dram: tuple[Memory, ...] = ()
    flash: tuple[Memory, ...] = ()
    ics: int = 0


def _list(path: Path, block: dict, key: str) -> list:
    value = block.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"{path}: field embodied.{key} must be a list of mappings, got {value!r}")
    return value


def _text(path: Path, entry: dict, where: str, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{path}: field {where}.{key} must be a name, got {value!r}")
    return value


def parse_embodied(path: Path, data: dict, sources: dict[str, str]) -> Embodied:
    """The `embodied:` block of `data`: dies (area_mm2, node, count), dram/flash (technology, capacity_gb), ics."""
    block = data.get("embodied")
    if not isinstance(block, dict):
        raise InputError(f"{path}: field embodied must be a mapping, got {block!r}")
    dies = []
    for i, entry in enumerate(_list(path, block, "dies")):
        where = f"embodied.dies[{i}]"
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InputError(f"{path}: field {where}.count must be a positive integer, got {count!r}")
        area = number(path, entry, "area_mm2", sources, strict=True)
        sources[f"{where}.area_mm2"] = sources.pop("area_mm2")
        dies.append(Die(area, _text(path, entry, where, "node"), count))
    memories = {}
    for kind in ("dram", "flash"):
        parts = []
        for i, entry in enumerate(_list(path, block, kind)):
            where = f"embodied.{kind}[{i}]"
            gb = number(path, entry, "capacity_gb", sources, strict=True)
            sources[f"{where}.capacity_gb"] = sources.pop("capacity_gb")
            parts.append(Memory(_text(path, entry, where, "technology"), gb))
        memories[kind] = tuple(parts)
    ics = number(path, block, "ics", sources)
    if ics != int(ics):
        raise InputError(f"{path}: field embodied.ics.value must be a whole number, got {ics!r}")
    return Embodied(tuple(dies), memories["dram"], memories["flash"], int(ics))
