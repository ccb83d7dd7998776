"""Reading `{value: ..., source: "..."}` entries from hardware YAML files with one-line errors.

Every number in a shipped hardware file carries its provenance; these helpers keep the value, remember the
source, and reject a missing, non-numeric, non-finite or out-of-range value naming the file, the field and the value
(through `dse.inputs`, the one place user numbers are checked). Every hardware number lies in [1e-30, 1e30] of its
SI unit (or is 0 where zero is allowed), so the models' products and quotients of a few of them stay finite.
"""

from __future__ import annotations

from pathlib import Path

from dse.errors import InputError
from dse.inputs import Range, is_file, read_yaml, real, whole

#: Magnitudes a hardware number may take (SI units); beyond them a model's products could overflow to inf.
LARGEST = 1e30
SMALLEST = 1e-30
#: Largest count (PEs, DSP slices, cycles of a fixed delay) a hardware file may give: products of a few counts and a
#: layer's dimensions stay inside the models' int64 arithmetic.
MAX_COUNT = 2**31
from dse.resources import accelerators

YAML_SUFFIXES = (".yaml", ".yml")


def known_names(*kind: str) -> list[str]:
    """Names of the shipped files under `accelerators/<kind>/`."""
    return sorted(p.stem for p in accelerators(*kind).glob("*.yaml"))


def hardware_path(spec: str, *kind: str, what: str) -> Path:
    """The one rule for naming hardware: a shipped name (`accelerators/<kind>/NAME.yaml`) or a path to a YAML file
    of that kind. A spec ending in .yaml/.yml or holding a path separator is a path; anything else is a name."""
    spec = str(spec)
    if any(ord(c) < 32 for c in spec):
        raise InputError(f"{what} {spec!r}: a name or path with control characters")
    if spec.endswith(YAML_SUFFIXES) or "/" in spec or "\\" in spec:
        path = Path(spec)
        if not is_file(path):
            raise InputError(f"{what} file {spec!r} does not exist")
        return path
    shipped = accelerators(*kind, f"{spec}.yaml")
    if not spec or not is_file(shipped):
        raise InputError(f"unknown {what} {spec!r}; known: {', '.join(known_names(*kind))} "
                         "(or give a path to a .yaml file)")
    return shipped


def check_keys(path: Path, data: dict, known: set[str] | frozenset[str], where: str = "") -> None:
    """Reject a key the loader does not read (a typo would otherwise fall back to a default or be ignored)."""
    for key in data:
        if key not in known:
            raise InputError(f"{path}: unknown field {where}{key}; known: {', '.join(sorted(known))}")


def load_yaml(path: Path) -> dict:
    """A YAML mapping read with `yaml.safe_load`; anything else is an InputError naming the file."""
    if not is_file(path):
        raise InputError(f"{path}: file does not exist")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def number(path: Path, data: dict, key: str, sources: dict[str, str], minimum: float = 0.0,
           strict: bool = False) -> float:
    """`data[key]['value']` as a finite float >= minimum (> minimum when strict, then also >= 1e-30) and <= 1e30;
    records its source under `key`."""
    entry = data.get(key)
    if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
        raise InputError(f"{path}: field {key} must be {{value: <number>, source: <text>}}, got {entry!r}")
    low = max(minimum, SMALLEST) if strict and minimum <= 0 else minimum
    value = real(entry["value"], f"{path}: field {key}.value", Range(low, LARGEST, low_open=strict and low == minimum))
    sources[key] = str(entry["source"])
    return value


def count(path: Path, data: dict, key: str, sources: dict[str, str], minimum: int = 1) -> int:
    """`data[key]['value']` as a whole number in [minimum, MAX_COUNT]; records its source under `key`."""
    return whole(number(path, data, key, sources, minimum=minimum), f"{path}: field {key}.value",
                 Range(minimum, MAX_COUNT))


def mapping(path: Path, data: dict, key: str) -> dict:
    """A required nested mapping."""
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise InputError(f"{path}: field {key} must be a non-empty mapping, got {value!r}")
    return value
