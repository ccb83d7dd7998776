"""Bit widths of weights, activations and the KV cache: the bytes each layer moves and the memory a job holds.

Stored formats (bytes per element plus per-group metadata):
- 32 and 16 bits: plain fp32 / fp16 elements.
- 8-bit weights: int8 with one fp16 scale per output row (per-channel weight quantization, as LLM.int8(), Dettmers
  et al., NeurIPS 2022, and SmoothQuant's W8A8, Xiao et al., ICML 2023, store it): 8 bits + 16 bits per row.
- 4-bit weights: int4 in groups of 128 along the input dimension, each group with one fp16 scale and one fp16 zero
  point (asymmetric group-wise quantization with g = 128, the setting of GPTQ, Frantar et al., ICLR 2023, and AWQ,
  Lin et al., MLSys 2024): 4 + 32/128 = 4.25 bits per weight. (Their packed checkpoints store the zero point in 4
  bits, 4.16 bits per weight; llama.cpp's Q4_0 keeps one fp16 scale per 32 weights, 4.5 bits per weight.)
- The KV cache and activations at their bit width per element; per-token KV scales are not counted.

Which tensors get which width: weight matrices (linear, conv, LSTM, embedding; an LM head tied to the embedding
too) are stored at `weight` bits in inference and, in training, when frozen (QLoRA keeps the frozen base in 4 bits,
Dettmers et al., NeurIPS 2023); trained weights, norm weights and biases stay at `act` bits. In an inference graph
the second operand of an attention matmul is the KV cache, at `kv` bits; in a training graph it is an activation.

Which peak rate applies: a kernel multiplies in the wider of the weight and activation formats (weight-only
quantized weights are widened in registers before the multiply, as W4A16 kernels do), so W4A16 runs at the fp16
peak and W8A8 at the int8 peak; `Bits.compute` names that format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dse.errors import InputError
from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op, Pass

#: bits -> the compute format name platforms list their peaks under.
FORMATS = {32: "fp32", 16: "fp16", 8: "int8"}
WEIGHT_BITS = (32, 16, 8, 4)
ACT_BITS = (32, 16, 8)
KV_BITS = (32, 16, 8, 4)
#: 4-bit weights: elements per group and bits of metadata per group (fp16 scale + fp16 zero point).
INT4_GROUP, INT4_GROUP_BITS = 128, 32
#: 8-bit weights: bits of metadata per output row (one fp16 scale).
INT8_ROW_BITS = 16
#: Ops whose weights are matrices a quantized format stores.
MATRIX_OPS = frozenset({Op.FC, Op.CONV, Op.DWCONV, Op.LSTM, Op.EMBEDDING})


@dataclass(frozen=True)
class Bits:
    """Bit widths of weights, activations and KV cache for one job."""

    weight: int = 16
    act: int = 16
    kv: int = 16

    def __post_init__(self) -> None:
        for field, allowed in (("weight", WEIGHT_BITS), ("act", ACT_BITS), ("kv", KV_BITS)):
            value = getattr(self, field)
            if value not in allowed:
                raise InputError(f"field {field}_bits must be one of {', '.join(map(str, allowed))}, got {value!r}")

    @classmethod
    def of(cls, precision: str) -> "Bits":
        """Every tensor in one format (fp32, fp16, int8)."""
        widths = {name: bits for bits, name in FORMATS.items()}
        if precision not in widths:
            raise InputError(f"field precision must be one of {', '.join(widths)}, got {precision!r}")
        b = widths[precision]
        return cls(b, b, b)

    def override(self, weight: int | None = None, act: int | None = None, kv: int | None = None) -> "Bits":
        """These widths with the given ones replaced (None keeps a width)."""
        return Bits(self.weight if weight is None else weight, self.act if act is None else act,
                    self.kv if kv is None else kv)

    @property
    def compute(self) -> str:
        """The format the multiplies run in: the wider of weights and activations."""
        return FORMATS[max(self.weight, self.act)]

    @property
    def label(self) -> str:
        return f"W{self.weight}A{self.act}KV{self.kv}"


def matrix_bytes(rows: float, length: float, bits: int) -> float:
    """Bytes of a rows x length weight matrix stored at `bits` (see module docstring for the formats)."""
    if bits >= 16:
        return rows * length * bits / 8
    if bits == 8:
        return rows * length + rows * INT8_ROW_BITS / 8
    return rows * length / 2 + rows * math.ceil(length / INT4_GROUP) * INT4_GROUP_BITS / 8


def _matrix(layer: Layer) -> tuple[int, int]:
    """(rows, row length) of a layer's weight matrix; an embedding's rows are vocabulary entries."""
    if layer.op is Op.EMBEDDING:
        return layer.C, layer.K
    if layer.op is Op.LSTM:
        return 4 * layer.K, layer.C + layer.K
    return layer.K, layer.C // layer.groups * layer.R * layer.S


def _quantized(layer: Layer, training: bool) -> bool:
    return layer.op in MATRIX_OPS and (not training or not layer.trainable)


def stored_weight_bytes(layer: Layer, bits: Bits, training: bool) -> float:
    """Bytes the layer's own parameters take in memory (0 for a tied layer)."""
    if not layer.params:
        return 0.0
    if not _quantized(layer, training):
        return layer.params * bits.act / 8
    rows, length = _matrix(layer)
    return matrix_bytes(rows, length, bits.weight) + (layer.params - rows * length) * bits.act / 8


def layer_bytes(layer: Layer, bits: Bits, training: bool) -> tuple[float, float, float]:
    """(weight, activation, KV-cache) bytes one kernel of this layer moves to and from DRAM."""
    act = bits.act / (8 * layer.elem_bytes)
    activations = (layer.input_bytes + layer.output_bytes) * act
    if layer.op is Op.MATMUL:
        if training or layer.pass_ is not Pass.FORWARD:
            return 0.0, activations + layer.weight_bytes * act, 0.0
        return 0.0, activations, layer.weight_elements * bits.kv / 8
    if layer.op is Op.EMBEDDING and layer.pass_ is Pass.FORWARD:  # reads only the rows it gathers
        gathered = layer.output_elements // layer.K
        weight = matrix_bytes(gathered, layer.K, bits.weight) if _quantized(layer, training) else \
            layer.output_elements * bits.act / 8
        return weight, layer.output_bytes * act, 0.0
    reads_matrix = layer.pass_ in (Pass.FORWARD, Pass.BACKWARD_DATA) and layer.weight_count
    if reads_matrix and _quantized(layer, training):
        rows, length = _matrix(layer)
        weight = matrix_bytes(rows, length, bits.weight) + (layer.weight_count - rows * length) * bits.act / 8
        return weight, activations, 0.0
    return layer.weight_bytes * act, activations, 0.0


@dataclass(frozen=True)
class MemoryNeed:
    """Bytes a job holds at once: weights (with gradients and optimizer state in training), the KV cache at its
    context, and the largest live activations (in training: every forward activation, stashed for backward)."""

    weights: float
    kv_cache: float
    activations: float

    @property
    def total(self) -> float:
        return self.weights + self.kv_cache + self.activations


def memory_need(workload: Workload, bits: Bits) -> MemoryNeed:
    """What `workload` (a forward graph, or a training graph from `training()`) needs resident at `bits`."""
    training = "training" in workload.graph
    layers = workload.layers()
    forward = [l for l in layers if l.pass_ is Pass.FORWARD]
    weights = sum(stored_weight_bytes(l, bits, training) for l in forward)
    # gradients and optimizer state of trained parameters, at the activation width
    weights += sum(l.output_bytes * bits.act / (8 * l.elem_bytes) for l in layers if l.pass_ is Pass.WEIGHT_UPDATE)
    if training:
        stash = sum(l.output_bytes * bits.act / (8 * l.elem_bytes) for l in forward)
        return MemoryNeed(weights, 0.0, stash)
    kv = sum(l.weight_elements * bits.kv / 8 for l in forward if l.op is Op.MATMUL)
    live = max((layer_bytes(l, bits, False)[1] for l in forward), default=0.0)
    return MemoryNeed(weights, kv, live)
