"""Reading `{value: ..., source: "..."}` entries from hardware YAML files with one-line errors.

Every number in a shipped hardware file carries its provenance; these helpers keep the value, remember the
source, and reject a missing, non-numeric or out-of-range value naming the file, the field and the value.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dse.errors import InputError
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
        if not path.is_file():
            raise InputError(f"{what} file {spec!r} does not exist")
        return path
    shipped = accelerators(*kind, f"{spec}.yaml")
    if not spec or not shipped.is_file():
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
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def number(path: Path, data: dict, key: str, sources: dict[str, str], minimum: float = 0.0,
           strict: bool = False) -> float:
    """`data[key]['value']` as a float >= minimum (> minimum when strict); records its source under `key`."""
    entry = data.get(key)
    if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
        raise InputError(f"{path}: field {key} must be {{value: <number>, source: <text>}}, got {entry!r}")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{path}: field {key}.value must be a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        relation = ">" if strict else ">="
        raise InputError(f"{path}: field {key}.value must be {relation} {minimum}, got {value!r}")
    sources[key] = str(entry["source"])
    return float(value)


def mapping(path: Path, data: dict, key: str) -> dict:
    """A required nested mapping."""
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise InputError(f"{path}: field {key} must be a non-empty mapping, got {value!r}")
    return value
