"""Sub-accelerator kinds: the per-layer models a multi-accelerator schedule is built from.

The plug-in interface mirrors H2H's `getLayerPerf`, split in two so the system owns the links: a kind reports
the *compute* seconds of a layer whose operands sit in the board's local DRAM (`compute_seconds`), and
`layer_seconds` adds the host transfers of weights, IFM and OFM selected by the three flags at the link bandwidth.
A kind is a class built from a `Design` (the YAML constants) and registered in `KINDS` under the design's `kind:`;
another cost model joins as a new kind (a class with `compute_seconds`) registered with `register_kind`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from dse.cost.dataflow.model import evaluate as dataflow_evaluate
from dse.cost.fpga import bn_cycles, pass_cycles
from dse.cost.fpga_network import layer_spec
from dse.cost.fpga_schedule import ef_train_schedule
from dse.errors import Infeasible, InputError
from dse.hw.dataflow import load_accelerator
from dse.hw.fpga import load_board
from dse.hw.system import Accelerator, Design
from dse.workload.layer import Layer


def _param(design: Design, key: str) -> float:
    value = design.params.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputError(f"design {design.name!r}: field {key} must be a positive number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class TiledConv:
    """Zhang FPGA'15's tiled convolution engine (as coded in H2H): Tm x Tn channel tiles over Tr x Tc output tiles.

    Per tile: compute `2 Tr Tc Tm K^2 Tn / Th`, load weights and IFM tile over the on-chip port, store the OFM tile
    once per Tn sweep. A fully-connected layer is a 1x1 convolution on a 1x1 map.
    """

    throughput_ops_per_s: float
    port_bytes_per_s: float
    dtype_bits: float
    tile_m: int
    tile_n: int
    tile_r: int
    tile_c: int
    tile_r_in: int
    tile_c_in: int

    @classmethod
    def from_design(cls, design: Design) -> "TiledConv":
        port = _param(design, "onchip_port_bits_per_cycle") * _param(design, "clock_hz") / 8.0
        tiles = {k: int(_param(design, k)) for k in ("tile_m", "tile_n", "tile_r", "tile_c", "tile_r_in", "tile_c_in")}
        return cls(_param(design, "throughput_ops_per_s"), port, _param(design, "dtype_bits"), **tiles)

    def compute_seconds(self, layer: Layer) -> float:
        groups = layer.groups
        M, N = layer.K // groups, layer.C // groups
        kernel = layer.R * layer.S
        dtype_bytes = self.dtype_bits / 8.0
        t_comp = 2.0 * self.tile_r * self.tile_c * self.tile_m * kernel * self.tile_n / self.throughput_ops_per_s
        t_in = (self.tile_m * self.tile_n * kernel + self.tile_n * self.tile_r_in * self.tile_c_in) * dtype_bytes \
            / self.port_bytes_per_s
        t_out = self.tile_m * self.tile_r * self.tile_c * dtype_bytes / self.port_bytes_per_s
        per_tile_column = math.ceil(N / self.tile_n) * (t_in + t_comp) + t_out
        tiles = math.ceil(layer.Y_out / self.tile_r) * math.ceil(layer.X_out / self.tile_c) * math.ceil(M / self.tile_m)
        return layer.N * groups * tiles * per_tile_column


@dataclass(frozen=True)
class Throughput:
    """A design known by the sustained throughput its paper reports on the operations it executes: flops / Th."""

    throughput_ops_per_s: float

    @classmethod
    def from_design(cls, design: Design) -> "Throughput":
        return cls(_param(design, "throughput_ops_per_s"))

    def compute_seconds(self, layer: Layer) -> float:
        return layer.flops / self.throughput_ops_per_s


@dataclass(frozen=True)
class EFTrainForward:
    """EF-Train's channel-parallel engine (dse.cost.fpga) in forward (inference) mode on its board: each layer is
    tiled by EF-Train's Algorithm 1 with the board's Tm, and its FP cycles (plus BN) are divided by the board clock.
    Activations are ReLU/pool-fused as in the training model."""

    board: str

    @classmethod
    def from_design(cls, design: Design) -> "EFTrainForward":
        board = design.params.get("board")
        if not isinstance(board, str):
            raise InputError(f"design {design.name!r}: field board must name an accelerators/fpga board, got {board!r}")
        load_board(board)
        return cls(board)

    def compute_seconds(self, layer: Layer) -> float:
        """FP seconds, or inf when the layer's smallest tile does not fit the board's BRAM budget (e.g. an FC
        layer with ~100k inputs): the engine cannot run it, and the mapper sends it elsewhere."""
        try:
            return _ef_train_fp_seconds(self.board, layer_spec(layer), layer.N)
        except Infeasible:
            return math.inf


@lru_cache(maxsize=4096)
def _ef_train_fp_seconds(board_name: str, spec, batch: int) -> float:
    board = load_board(board_name)
    tiling = ef_train_schedule([spec], batch, board)
    cycles = pass_cycles([spec], tiling.candidates(), batch, board)["fp"].sum() + bn_cycles([spec], batch, board)["fp"].sum()
    return float(cycles) / board.clock_hz


@dataclass(frozen=True)
class DataflowKind:
    """A MAESTRO-style dataflow accelerator from `accelerators/dataflow/` (dse.cost.dataflow), the way Herald
    builds heterogeneous dataflow accelerators: each layer's seconds come from the data-centric analysis with the
    accelerator's default template mapping."""

    accelerator: str

    @classmethod
    def from_design(cls, design: Design) -> "DataflowKind":
        name = design.params.get("accelerator")
        if not isinstance(name, str):
            raise InputError(f"design {design.name!r}: field accelerator must name an accelerators/dataflow file, "
                             f"got {name!r}")
        load_accelerator(name)
        return cls(name)

    def compute_seconds(self, layer: Layer) -> float:
        return _dataflow_seconds(self.accelerator, layer)


@lru_cache(maxsize=8192)
def _dataflow_seconds(accelerator: str, layer: Layer) -> float:
    return float(dataflow_evaluate(layer, load_accelerator(accelerator)).seconds)


class Model(Protocol):
    """What a kind must provide: compute seconds of one layer with its operands in local DRAM."""

    def compute_seconds(self, layer: Layer) -> float: ...


#: design `kind:` -> factory from a `Design`: published FPGA designs, EF-Train, and MAESTRO-style dataflow machines.
KINDS: dict[str, Callable[[Design], Model]] = {"tiled_conv": TiledConv.from_design, "throughput": Throughput.from_design,
                                               "ef_train": EFTrainForward.from_design, "dataflow": DataflowKind.from_design}


def register_kind(kind: str, factory: Callable[[Design], Model]) -> None:
    """Make designs with `kind: <kind>` usable as sub-accelerators."""
    KINDS[kind] = factory


def model_of(design: Design) -> Model:
    factory = KINDS.get(design.kind)
    if factory is None:
        raise InputError(f"design {design.name!r}: unknown kind {design.kind!r}; known: {', '.join(sorted(KINDS))}")
    return factory(design)


def layer_seconds(acc: Accelerator, layer: Layer, weight_from_host: bool = True, ifm_from_host: bool = True,
                  ofm_to_host: bool = True) -> float:
    """H2H's getLayerPerf: compute plus the flagged host transfers, each over the accelerator's host link alone."""
    moved = (layer.weight_bytes * weight_from_host + layer.input_bytes * ifm_from_host
             + layer.output_bytes * ofm_to_host)
    return model_of(acc.design).compute_seconds(layer) + moved / acc.link_bw_bytes_per_s
