"""The host program's DRAM buffers: one plan, read by the generated C++ hosts (C simulation and XRT), the PYNQ
driver and `dse hls run`, so all of them allocate, chain and read back the same buffers.

A training step of a chained network needs, per layer l, its input features x (= the previous layer's pooled
output y, an FC after a map reading it flat), its pool/ReLU index, its weights and the SGD output, and the loss
gradients of its output (dy) and input (dx = the previous layer's dy; the first layer has no BP in EF-Train).
A layer with batch norm also has its conv output A with the all-0 index of a conv run without ReLU/pool, A-hat,
dL/dA and its BN parameter block (gamma, beta, statistics, gradients, updated gamma/beta).
"""

from __future__ import annotations

from dataclasses import dataclass

from dse.errors import InputError
from dse.hls.golden import KernelLayer, words
from dse.identifiers import check_identifier

NONE = -1  # buffer id of an argument the kernel does not read


@dataclass(frozen=True)
class Buffer:
    name: str  # C identifier suffix of BUF_<NAME>
    words: int
    index: bool  # int8 pool index instead of float32


@dataclass(frozen=True)
class LayerBuffers:
    """Buffer ids one layer's FP, BP and WU read and write."""

    x: int
    y: int
    idx: int
    w: int
    w_new: int
    dy: int
    dx: int
    a: int = NONE  # batch norm only: conv output A, its all-0 index, A-hat, dL/dA, parameter block
    a_idx: int = NONE
    ahat: int = NONE
    da: int = NONE
    bnp: int = NONE


@dataclass(frozen=True)
class HostPlan:
    batch: int
    classes: int  # real outputs of the last layer, the softmax's classes
    buffers: tuple[Buffer, ...]
    layers: tuple[LayerBuffers, ...]

    def weight_words(self) -> list[int]:
        """Words of each layer's weight buffer, then of each BN layer's parameter block: what the host writes after
        every step, in this order."""
        return [self.buffers[l.w].words for l in self.layers] + [self.buffers[l.bnp].words for l in self.layers
                                                                  if l.bnp != NONE]


def plan(layers: list[KernelLayer], T: int, batch: int, where: str) -> HostPlan:
    """Buffers of one training step of `layers` at `batch`; InputError when the layers do not form a chain that
    ends in a 1 x 1 output (the softmax cross-entropy loss needs class scores)."""
    sizes = [words(l, T, batch) for l in layers]
    for prev, layer, size, prev_size in zip(layers, layers[1:], sizes[1:], sizes):
        if size["x"] != prev_size["y"]:
            raise InputError(f"{where}: layers ({layer.name}): input of {size['x']} words does not chain with "
                             f"{prev.name}'s output of {prev_size['y']} words; the host program trains a chain")
    last = layers[-1]
    if last.R // max(last.pool, 1) != 1 or last.C // max(last.pool, 1) != 1 or last.relu:
        raise InputError(f"{where}: layers ({last.name}): the last layer must output class scores (1 x 1, no ReLU)")
    buffers: list[Buffer] = []

    def add(name: str, count: int, index: bool = False) -> int:
        check_identifier(where, "layers.name", f"BUF_{name.upper()}")
        buffers.append(Buffer(name, count, index))
        return len(buffers) - 1

    feat = [add(f"x_{l.name}", s["x"]) for l, s in zip(layers, sizes)] + [add("scores", sizes[-1]["y"])]
    grad = [NONE] + [add(f"dx_{l.name}", s["x"]) for l, s in zip(layers[1:], sizes[1:])] \
        + [add("dscores", sizes[-1]["y"])]
    table = []
    for i, (l, s) in enumerate(zip(layers, sizes)):
        bn = {}
        if l.bn:
            bn = {"a": add(f"a_{l.name}", s["a"]), "a_idx": add(f"a_idx_{l.name}", s["a"], True),
                  "ahat": add(f"ahat_{l.name}", s["hat"]), "da": add(f"da_{l.name}", s["da"]),
                  "bnp": add(f"bnp_{l.name}", s["bnp"])}
        table.append(LayerBuffers(feat[i], feat[i + 1], add(f"idx_{l.name}", s["idx"], True),
                                  add(f"w_{l.name}", s["w"]), add(f"w_new_{l.name}", s["w"]), grad[i + 1], grad[i],
                                  **bn))
    return HostPlan(batch, last.M, tuple(buffers), tuple(table))


#: C++ expression of each top-function argument inside the hosts' `call(mode, l, tr, relu, pool, lr, ifm, wei,
#: ofm, out, idx, ahat, bnp)` (d = LAYERS[l]; pointers are buffer ids), so both hosts pass the arguments in
#: signature order.
ARG_EXPR = {"mode": "mode", "batch": "BATCH", "M": "d.M", "N": "d.N", "H": "d.H", "W": "d.W", "R": "d.R", "C": "d.C",
            "K": "d.K", "S": "d.S", "P": "d.P", "Tr": "tr", "M_on": "d.M_on", "relu": "relu", "pool": "pool",
            "lr": "lr", "ifm": "ifm", "wei": "wei", "ofm": "ofm", "out": "out", "idx": "idx", "ahat": "ahat", "bnp": "bnp"}
