"""MAESTRO's data-centric directives and the layer description they map.

A dataflow is an ordered list of directives, outermost first. `Directive` is one map (`T` temporal, `S` spatial)
or a cluster boundary (`C`, whose `size` is the number of units grouped). Sizes are resolved numbers (`Sz(R)` is
already the layer's R). `MaestroLayer` carries MAESTRO's own dimension names: CONV/DSCONV use N K C R S Y X (Y, X the
input extent, no padding), GEMM uses M N K.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEMPORAL, SPATIAL, CLUSTER = "T", "S", "C"
LAYER_TYPES = ("CONV", "DSCONV", "GEMM")


@dataclass(frozen=True)
class Directive:
    """One directive: kind T/S (size, offset over `dim`) or C (group `size` units)."""

    kind: str
    size: int
    offset: int = 1
    dim: str = ""

    def __str__(self) -> str:
        if self.kind == CLUSTER:
            return f"Cluster({self.size},P)"
        name = "TemporalMap" if self.kind == TEMPORAL else "SpatialMap"
        return f"{name}({self.size},{self.offset}) {self.dim}"


@dataclass(frozen=True)
class MaestroLayer:
    """A layer as MAESTRO reads it: type, named dimensions, Y/X strides and its dataflow."""

    name: str
    type: str
    dims: tuple[tuple[str, int], ...]
    dataflow: tuple[Directive, ...]
    stride_y: int = 1
    stride_x: int = 1
    source: str = ""  # "file:line" of the Layer keyword, for messages

    @property
    def dim(self) -> dict[str, int]:
        return dict(self.dims)


@dataclass(frozen=True)
class Hardware:
    """MAESTRO's hardware file: sizes in elements, bandwidths in elements/cycle."""

    num_pes: int = 256
    l1_size: int = 100
    l2_size: int = 3000
    noc_bw: int = 1000
    offchip_bw: int = 50
    noc_hops: int = 1  # hop latency x hops, cycles
    simd_lanes: int = 1
    #: MAESTRO bounds every top-level step by reading its whole L2 working set off chip (True, as MAESTRO does);
    #: False leaves the off-chip bound to the caller (dse's layer model charges each tensor's traffic once).
    step_offchip_bound: bool = True
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class EnergyTable:
    """MAESTRO's default table (cost-model constants): an L2 access costs 18.61 MACs, an L1 access 1.68, a MAC 1,
    and a MAC is 0.23 pJ. DRAM energy per byte of off-chip traffic is kept apart (MAESTRO has none: 0 by default)."""

    l2_macunits: float = 18.61
    l1_macunits: float = 1.68
    mac_macunits: float = 1.0
    mac_j: float = 0.23e-12
    dram_j_per_byte: float = 0.0
