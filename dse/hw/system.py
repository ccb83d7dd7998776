"""Multi-accelerator systems: sub-accelerators on their own boards, links to the host, optional P2P links.

A system file (`accelerators/systems/NAME.yaml`) names each accelerator's published design, found in
`accelerators/fpga_designs/DESIGN.yaml`; the design file carries the model constants and the board's local DRAM,
the system file may override the DRAM and sets the host link bandwidth BW_acc and the weight-reserve ratio R_wei.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from dse import resources
from dse.errors import InputError
from dse.hw.values import LARGEST, SMALLEST, check_keys, hardware_path, load_yaml
from dse.inputs import FRACTION, Range, is_file, real
from dse.workload.layer import Op

DESIGN_DIR = ("fpga_designs",)
SYSTEM_DIR = ("systems",)


@dataclass(frozen=True)
class Design:
    """One published accelerator design: its model kind, the ops it runs and the constants of its model."""

    name: str
    kind: str
    ops: frozenset[Op]
    power_w: float
    idle_power_w: float
    local_dram_bytes: float
    params: dict  # model constants, named with units, read by the sub-accelerator kind
    source: str


@dataclass(frozen=True)
class Accelerator:
    """One sub-accelerator placed in a system, with the board's local DRAM and its host link."""

    name: str
    design: Design
    local_dram_bytes: float
    link_bw_bytes_per_s: float


@dataclass(frozen=True)
class P2PLink:
    """A direct link between two accelerators (CHEF-style); data between them skips host memory."""

    a: str
    b: str
    bw_bytes_per_s: float
    energy_j_per_byte: float = 0.0


@dataclass(frozen=True)
class System:
    """Accelerators, their star links to the host, an optional shared host port and P2P links."""

    name: str
    accelerators: tuple[Accelerator, ...]
    r_wei: float
    host_port_bw_bytes_per_s: float  # math.inf: the links share no host port (no contention)
    link_energy_j_per_byte: float
    p2p: tuple[P2PLink, ...] = ()
    bandwidth_sweep_bytes_per_s: tuple[float, ...] = field(default=())
    source: str = ""
    #: The file it was read from, named in errors about what its accelerators cannot do.
    path: str = field(default="", compare=False)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.accelerators]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def with_bandwidth(self, bw_bytes_per_s: float) -> "System":
        """The same system with every host link at `bw_bytes_per_s` (the BW_acc sweep)."""
        _check_positive(self.name, "bandwidth", bw_bytes_per_s)
        return replace(self, accelerators=tuple(replace(a, link_bw_bytes_per_s=bw_bytes_per_s)
                                                for a in self.accelerators))

    def subset(self, names: list[str]) -> "System":
        """Only the named accelerators (P2P links between dropped ones vanish)."""
        keep = set(names)
        return replace(self, accelerators=tuple(a for a in self.accelerators if a.name in keep),
                       p2p=tuple(l for l in self.p2p if l.a in keep and l.b in keep))


def _check_positive(where: str, field_name: str, value: object) -> float:
    return real(value, f"{where}: field {field_name}", Range(SMALLEST, LARGEST))


def _check_non_negative(where: str, field_name: str, value: object) -> float:
    return real(value, f"{where}: field {field_name}", Range(0.0, LARGEST))


def _require(data: dict, key: str, where: object) -> object:
    if key not in data:
        raise InputError(f"{where}: missing field {key}")
    return data[key]


def load_design(name: str) -> Design:
    """A published design from `accelerators/fpga_designs/NAME.yaml`."""
    path = resources.accelerators(*DESIGN_DIR, f"{name}.yaml")
    if not is_file(path):
        known = sorted(p.stem for p in resources.accelerators(*DESIGN_DIR).glob("*.yaml"))
        raise InputError(f"unknown accelerator design {name!r}; known: {', '.join(known)}")
    return parse_design(load_yaml(path), str(path), name)


def parse_design(data: dict, where: str, name: str = "") -> Design:
    """Validate a design mapping (from its own file, or written inline in a system file)."""
    ops = []
    listed = _require(data, "ops", where)
    if not isinstance(listed, list):
        raise InputError(f"{where}: field ops must be a list of op names, got {listed!r}")
    for op in listed:
        try:
            ops.append(Op(op))
        except (TypeError, ValueError):
            raise InputError(f"{where}: field ops has unknown op {op!r}") from None
    params = {k: v for k, v in data.items() if k not in ("name", "kind", "ops", "source")}
    return Design(
        name=str(data.get("name", name)),
        kind=str(_require(data, "kind", where)),
        ops=frozenset(ops),
        power_w=_check_positive(where, "power_w", _require(data, "power_w", where)),
        idle_power_w=_check_non_negative(where, "idle_power_w", data.get("idle_power_w", 0.0)),
        local_dram_bytes=_check_positive(where, "local_dram_bytes", _require(data, "local_dram_bytes", where)),
        params=params,
        source=str(data.get("source", "")),
    )


#: Every top-level field of a system file.
FIELDS = frozenset({"name", "source", "accelerators", "link_bw_bytes_per_s", "r_wei", "host_port_bw_bytes_per_s",
                    "link_energy_j_per_byte", "p2p", "bandwidth_sweep_bytes_per_s"})


def system_path(name_or_file: str) -> Path:
    """A shipped system by name, or a YAML file by path."""
    return hardware_path(name_or_file, *SYSTEM_DIR, what="system")


def load_system(name_or_file: str, bandwidth_bytes_per_s: float | None = None) -> System:
    """Read and validate a system; `bandwidth_bytes_per_s` overrides every host link (BW_acc)."""
    path = system_path(name_or_file)
    data = load_yaml(path)
    check_keys(path, data, FIELDS)
    where = str(path)
    link_bw = bandwidth_bytes_per_s if bandwidth_bytes_per_s is not None else _require(data, "link_bw_bytes_per_s", path)
    link_bw = _check_positive(where, "bandwidth" if bandwidth_bytes_per_s is not None else "link_bw_bytes_per_s",
                              link_bw)
    r_wei = real(data.get("r_wei", 0.5), f"{where}: field r_wei", FRACTION)
    host = data.get("host_port_bw_bytes_per_s")
    host = math.inf if host is None else _check_positive(where, "host_port_bw_bytes_per_s", host)
    entries = _require(data, "accelerators", path)
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{where}: field accelerators must be a non-empty list")
    accs: list[Accelerator] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "design" not in entry:
            raise InputError(f"{where}: accelerators[{i}] needs a field design")
        if isinstance(entry["design"], dict):
            design = parse_design(entry["design"], f"{where}: accelerators[{i}].design", f"{where}#{i}")
        else:
            try:
                design = load_design(str(entry["design"]))
            except InputError as exc:
                raise InputError(f"{where}: accelerators[{i}]: {exc}") from None
        name = str(entry.get("name", design.name))
        if name in {a.name for a in accs}:
            raise InputError(f"{where}: accelerators[{i}]: duplicate accelerator name {name!r}")
        dram = entry.get("local_dram_bytes", design.local_dram_bytes)
        accs.append(Accelerator(name, design, _check_positive(where, f"accelerators[{i}].local_dram_bytes", dram),
                                link_bw))
    names = {a.name for a in accs}
    links = []
    listed = data.get("p2p") or []
    if not isinstance(listed, list):
        raise InputError(f"{where}: field p2p must be a list of links, got {listed!r}")
    for i, entry in enumerate(listed):
        pair = entry.get("between") if isinstance(entry, dict) else None
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputError(f"{where}: p2p[{i}] needs a field between: [acc_a, acc_b]")
        for end in pair:
            if not isinstance(end, str) or end not in names:
                raise InputError(f"{where}: p2p[{i}]: unknown accelerator name {end!r}; known: {', '.join(sorted(names))}")
        links.append(P2PLink(pair[0], pair[1], _check_positive(where, f"p2p[{i}].bw_bytes_per_s",
                                                               entry.get("bw_bytes_per_s")),
                             _check_non_negative(where, f"p2p[{i}].energy_j_per_byte",
                                                 entry.get("energy_j_per_byte", 0.0))))
    listed = data.get("bandwidth_sweep_bytes_per_s") or []
    if not isinstance(listed, list):
        raise InputError(f"{where}: field bandwidth_sweep_bytes_per_s must be a list of numbers, got {listed!r}")
    sweep = tuple(_check_positive(where, f"bandwidth_sweep_bytes_per_s[{i}]", b) for i, b in enumerate(listed))
    return System(name=str(data.get("name", path.stem)), accelerators=tuple(accs), r_wei=float(r_wei),
                  host_port_bw_bytes_per_s=host,
                  link_energy_j_per_byte=_check_non_negative(where, "link_energy_j_per_byte",
                                                             data.get("link_energy_j_per_byte", 0.0)),
                  p2p=tuple(links), bandwidth_sweep_bytes_per_s=sweep, source=str(data.get("source", "")),
                  path=where)
