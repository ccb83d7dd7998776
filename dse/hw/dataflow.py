"""Data-centric dataflow accelerators read from `accelerators/dataflow/<name>.yaml` into a validated record.

A file gives the machine (PEs, per-PE L1 and shared L2 in bytes, NoC bandwidth and hop latency, off-chip bandwidth,
clock, and how off-chip traffic bounds runtime: `offchip_bound`), MAESTRO's energy table (per-access energies in
units of one MAC's energy, a MAC in joules) plus a DRAM energy per byte, and the dataflow as a template: MAESTRO
directive lines written in terms of the layer (`Sz(R)`) and of named mapping parameters (`TemporalMap(Tc,Tc) C`,
`Cluster(Cl,P)`) whose defaults the file gives and which the mapping search (dse.search.dataflow_mapping) tunes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dse.errors import InputError
from dse.hw.directives import Directive, EnergyTable, Hardware
from dse.hw.maestro_io import parse_dataflow
from dse.hw.values import MAX_COUNT, check_keys, count, hardware_path, known_names, load_yaml, mapping, number
from dse.inputs import CLOCK_HZ, Range, real

#: Parameter kinds: a tile size over a layer dimension, or a cluster size (PEs grouped).
DIMENSIONS = ("N", "K", "C", "Y", "X", "R", "S", "Y'", "X'")
#: `offchip_bound` values: "layer" charges each tensor's DRAM traffic once per layer, overlapped with compute (dse's
#: roofline, dse.cost.dataflow.offchip); "step" adds MAESTRO's bound of every top-level step by its whole L2 working
#: set read off chip.
OFFCHIP_BOUNDS = ("layer", "step")
#: Ranges of a design's numbers (file fields and `dataflow-accelerator` design parameters), chosen so the model's
#: int64 cycle counts cannot overflow: MAESTRO's machine counts elements in [1, 2**31] (as its hardware files do),
#: its NoC moves at least one element per cycle, and off-chip traffic of a layer (at most three tensors of 2**53
#: elements of 8 bytes, 2.2e17 bytes) at no less than 1/32 byte per cycle stays below 2**63 cycles (7e18).
DESIGN_RANGES = {"num_pes": Range(1, MAX_COUNT), "clock_hz": CLOCK_HZ, "l1_bytes": Range(0, MAX_COUNT, low_open=True),
                 "l2_bytes": Range(0, MAX_COUNT, low_open=True), "noc_bw_bytes_per_cycle": Range(1, MAX_COUNT),
                 "offchip_bw_bytes_per_s": Range(0, None, low_open=True)}
OFFCHIP_BYTES_PER_CYCLE = Range(1 / 32, MAX_COUNT)
_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
_RESERVED = {"Sz", "P", "L", "TemporalMap", "SpatialMap", "Cluster"}


@dataclass(frozen=True)
class Parameter:
    """A tunable number in the dataflow template: a tile size over `dim`, or a cluster size when dim == "PE"."""

    name: str
    dim: str
    default: int


@dataclass(frozen=True)
class DataflowAccelerator:
    """One machine with its dataflow template. Sizes in bytes, bandwidths in bytes per cycle or per second."""

    name: str
    dataflow_name: str
    num_pes: int
    clock_hz: float
    l1_bytes: float  # per PE
    l2_bytes: float  # shared
    noc_bw_bytes_per_cycle: float
    noc_hop_cycles: int
    offchip_bw_bytes_per_s: float
    offchip_bound: str  # one of OFFCHIP_BOUNDS
    energy: EnergyTable
    templates: dict[str, tuple[str, ...]]  # "conv" and optionally "dsconv": directive lines
    parameters: dict[str, Parameter]
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    path: str = ""

    def machine(self, elem_bytes: int) -> Hardware:
        """MAESTRO's machine in elements of `elem_bytes` (bandwidths rounded down, at least 1 element/cycle), with
        MAESTRO's per-step off-chip bound only when `offchip_bound` is "step"."""
        offchip = self.offchip_bw_bytes_per_s / self.clock_hz
        return Hardware(num_pes=self.num_pes, l1_size=int(self.l1_bytes // elem_bytes),
                        l2_size=int(self.l2_bytes // elem_bytes),
                        noc_bw=max(int(self.noc_bw_bytes_per_cycle // elem_bytes), 1),
                        offchip_bw=max(int(offchip // elem_bytes), 1), noc_hops=self.noc_hop_cycles,
                        step_offchip_bound=self.offchip_bound == "step")

    def dataflow(self, layer_type: str, sizes: dict[str, int],
                 mapping: dict[str, int] | None = None) -> tuple[Directive, ...]:
        """The template for `layer_type` (CONV or DSCONV) resolved on a layer's MAESTRO dimensions.

        Tile parameters default to min(default, dimension); `mapping` overrides any parameter by name."""
        mapping = dict(mapping or {})
        self.check_names(mapping)
        values = {}
        for p in self.parameters.values():
            value = mapping.get(p.name, self.default(p, sizes))
            if not is_count(value):
                raise self.bad_value(p.name, value)
            values[p.name] = value
        key, lines = self.template(layer_type)
        return resolve_template(lines, tuple(values.items()), tuple(sizes.items()), f"{self.path}: dataflow.{key}")

    def template(self, layer_type: str) -> tuple[str, tuple[str, ...]]:
        """(key, directive lines): the `dsconv` template for DSCONV layers where the file has one, else `conv`."""
        key = "dsconv" if layer_type == "DSCONV" and "dsconv" in self.templates else "conv"
        return key, self.templates[key]

    def default(self, p: Parameter, sizes: dict[str, int]) -> int:
        """A parameter a mapping leaves out: cluster sizes their default, tile sizes min(default, dimension)."""
        return p.default if p.dim == "PE" else min(p.default, extent(p.dim, sizes))

    def check_names(self, names: Iterable[str]) -> None:
        """A mapping may only name the template's parameters."""
        unknown = set(names) - set(self.parameters)
        if unknown:
            raise InputError(f"accelerator {self.name}: unknown mapping parameter(s) {sorted(unknown)}; "
                             f"known: {', '.join(self.parameters) or 'none'}")

    def bad_value(self, name: str, value: object) -> InputError:
        return InputError(f"accelerator {self.name}: mapping parameter {name} must be a positive integer, "
                          f"got {value!r}")


class Placeholder(int):
    """A mapping parameter's slot in a template resolved by `resolve_symbolic`: an int (the value the parser
    checked) that keeps the parameter's name, so a table of mappings can fill the slot from its column."""

    name: str

    def __new__(cls, value: int, name: str) -> "Placeholder":
        slot = super().__new__(cls, value)
        slot.name = name
        return slot

    def __getnewargs__(self) -> tuple[int, str]:
        return int(self), self.name


def is_count(value: object) -> bool:
    """A value a template parameter accepts: a positive int, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _substituted(template: tuple[str, ...], names: Iterable[str], text: Callable[[str], str]) -> list[str]:
    """The template lines with every parameter name replaced by text(name)."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
    return [pattern.sub(lambda m: text(m.group(1)), d) if pattern else d for d in template]


@functools.lru_cache(maxsize=4096)
def resolve_template(template: tuple[str, ...], values: tuple[tuple[str, int], ...],
                     sizes: tuple[tuple[str, int], ...], where: str) -> tuple[Directive, ...]:
    """A template with its parameters substituted, resolved on a layer's dimensions; cached because a network or a
    mapping search resolves the same (template, parameters, layer) many times (Directives are immutable)."""
    names = dict(values)
    return parse_dataflow(_substituted(template, names, lambda name: str(names[name])), dict(sizes), where)


@functools.lru_cache(maxsize=4096)
def resolve_symbolic(template: tuple[str, ...], values: tuple[tuple[str, int], ...],
                     sizes: tuple[tuple[str, int], ...], where: str) -> tuple[Directive, ...]:
    """The template resolved on a layer's dimensions once for a whole table of mappings: every parameter slot is a
    Placeholder (its value from `values`, which the parser checks as `resolve_template` does, and its name)."""
    slots = {name: Placeholder(value, name) for name, value in values}
    return parse_dataflow(_substituted(template, slots, lambda name: f"Sz({name})"), dict(sizes) | slots, where)


def extent(dim: str, sizes: dict[str, int]) -> int:
    """A dimension's size, output rows/columns derived from the input extent and the filter."""
    if dim in sizes:
        return sizes[dim]
    if dim in ("Y'", "X'"):
        inp, filt = dim[0], "R" if dim[0] == "Y" else "S"
        return sizes.get(inp, 1) - sizes.get(filt, 1) + 1
    return 1


def check_design(numbers: dict[str, float], where: Callable[[str], str]) -> None:
    """A design's numbers inside DESIGN_RANGES, and its off-chip bytes per cycle inside OFFCHIP_BYTES_PER_CYCLE;
    `where(name)` names a field in the message (a file's field, a search parameter)."""
    for name, within in DESIGN_RANGES.items():
        real(numbers[name], where(name), within)
    real(numbers["offchip_bw_bytes_per_s"] / numbers["clock_hz"],
         f"{where('offchip_bw_bytes_per_s')} / {where('clock_hz').rsplit(': ', 1)[-1]} (bytes per cycle)",
         OFFCHIP_BYTES_PER_CYCLE)


def known_accelerators() -> list[str]:
    return known_names("dataflow")


def load_accelerator(name: str) -> DataflowAccelerator:
    """A shipped accelerator by name, or any YAML file by path."""
    return load_accelerator_file(hardware_path(name, "dataflow", what="dataflow accelerator"))


def write_accelerator(template: DataflowAccelerator, numbers: dict[str, float], path: Path, source: str) -> Path:
    """A new accelerator file: the template's file (dataflow, energy table, parameters and their sources) with
    `numbers` (field -> value, e.g. num_pes, l2_bytes) replaced, each sourced to `source`; loadable as any file."""
    data = load_yaml(Path(template.path))
    for key, value in numbers.items():
        if key not in data:
            raise InputError(f"{template.path}: has no field {key} to replace")
        data[key] = {"value": int(value) if key in ("num_pes", "noc_hop_cycles") else float(value), "source": source}
    data["name"] = path.stem
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    load_accelerator_file(path)  # what was written must load
    return path


def _offchip_bound(path: Path, data: dict, sources: dict[str, str]) -> str:
    """The `offchip_bound: {value: layer|step, source: ...}` entry."""
    entry = data.get("offchip_bound")
    if not isinstance(entry, dict) or "value" not in entry or "source" not in entry:
        raise InputError(f"{path}: field offchip_bound must be {{value: {'|'.join(OFFCHIP_BOUNDS)}, source: <text>}}, "
                         f"got {entry!r}")
    if entry["value"] not in OFFCHIP_BOUNDS:
        raise InputError(f"{path}: field offchip_bound.value must be one of {', '.join(OFFCHIP_BOUNDS)}, "
                         f"got {entry['value']!r}")
    sources["offchip_bound"] = str(entry["source"])
    return entry["value"]


#: Every top-level field of a dataflow accelerator file.
FIELDS = frozenset({"name", "dataflow_name", "num_pes", "clock_hz", "l1_bytes", "l2_bytes", "noc_bw_bytes_per_cycle",
                    "noc_hop_cycles", "offchip_bw_bytes_per_s", "offchip_bound", "energy", "dataflow"})


def load_accelerator_file(path: Path) -> DataflowAccelerator:
    data = load_yaml(path)
    check_keys(path, data, FIELDS)
    sources: dict[str, str] = {}
    for key in ("name", "dataflow_name"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise InputError(f"{path}: field {key} must be a non-empty string, got {data.get(key)!r}")
    table = mapping(path, data, "energy")
    energy = EnergyTable(
        l2_macunits=number(path, table, "l2_access_macunits", sources),
        l1_macunits=number(path, table, "l1_access_macunits", sources),
        mac_macunits=number(path, table, "mac_macunits", sources),
        mac_j=number(path, table, "mac_j", sources, strict=True),
        dram_j_per_byte=number(path, table, "dram_j_per_byte", sources))
    flow = mapping(path, data, "dataflow")
    templates = {}
    for key in ("conv", "dsconv"):
        lines = flow.get(key)
        if lines is None and key == "dsconv":
            continue
        if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
            raise InputError(f"{path}: field dataflow.{key} must be a list of directive strings, got {lines!r}")
        templates[key] = tuple(lines)
    params = {}
    parameters = flow.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InputError(f"{path}: field dataflow.parameters must be a mapping of name -> {{dim, default}}, "
                         f"got {parameters!r}")
    for pname, entry in parameters.items():
        if not isinstance(pname, str) or not _PARAM_NAME.fullmatch(pname) or pname in _RESERVED:
            raise InputError(f"{path}: field dataflow.parameters: bad parameter name {pname!r} (two or more letters/"
                             f"digits, not {', '.join(sorted(_RESERVED))})")
        if not isinstance(entry, dict) or entry.get("dim") not in DIMENSIONS + ("PE",):
            raise InputError(f"{path}: field dataflow.parameters.{pname}.dim must be one of "
                             f"{', '.join(DIMENSIONS + ('PE',))}, got {entry!r}")
        found: dict[str, str] = {}
        default = count(path, entry, "default", found)
        sources[f"dataflow.parameters.{pname}"] = found["default"]
        params[pname] = Parameter(pname, entry["dim"], default)
    acc = DataflowAccelerator(
        name=data["name"], dataflow_name=data["dataflow_name"],
        num_pes=count(path, data, "num_pes", sources),
        clock_hz=number(path, data, "clock_hz", sources, strict=True),
        l1_bytes=number(path, data, "l1_bytes", sources, strict=True),
        l2_bytes=number(path, data, "l2_bytes", sources, strict=True),
        noc_bw_bytes_per_cycle=number(path, data, "noc_bw_bytes_per_cycle", sources, strict=True),
        noc_hop_cycles=count(path, data, "noc_hop_cycles", sources),
        offchip_bw_bytes_per_s=number(path, data, "offchip_bw_bytes_per_s", sources, strict=True),
        offchip_bound=_offchip_bound(path, data, sources), energy=energy, templates=templates, parameters=params,
        sources=sources, path=str(path))
    check_design({name: getattr(acc, name) for name in DESIGN_RANGES}, lambda name: f"{path}: field {name}.value")
    probe = {d: 3 for d in ("N", "K", "C", "R", "S")} | {"Y": 8, "X": 8}
    for key in templates:  # template errors surface at load time, naming the file
        try:
            acc.dataflow("DSCONV" if key == "dsconv" else "CONV", probe)
        except InputError as exc:
            raise InputError(f"{path}: field dataflow.{key}: {exc}") from None
    return acc
