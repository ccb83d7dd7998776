"""The `Layer` record: one operator in canonical dimension names, with its derived sizes and costs.

Canonical dimensions follow MAESTRO / Timeloop naming:

    N  batch                 K  output channels         C  input channels
    Y  input rows            X  input columns           R  filter rows      S  filter columns

A fully-connected layer is a 1x1 convolution on a 1x1 map; a token-wise linear layer puts tokens on X.
A matmul of two activations (attention QK^T or AV) is a grouped 1x1 convolution whose "weights" are the second
activation: `groups` is the number of heads, C = heads x inner dim, K = heads x output columns, X = rows.
An LSTM layer takes X time steps of C features to X steps of K hidden units.
Pooling, element-wise, norm, softmax and activation ops keep K = C.

Which pass a layer belongs to (forward, backward-data, weight-gradient, weight-update) changes what it reads,
writes and computes; the derived properties below account for that.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from dse.errors import InputError
from dse.inputs import Range, whole


class Op(str, Enum):
    """Operator kinds. The value is the short name used in tables, JSON and MAESTRO export."""

    CONV = "conv"  # dense or grouped convolution (groups > 1)
    DWCONV = "dwconv"  # depthwise convolution: groups == C, K a multiple of C
    FC = "fc"  # fully-connected / linear with a weight matrix
    MATMUL = "matmul"  # batched matmul of two activations (attention QK^T, AV)
    LSTM = "lstm"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    ADD = "add"
    MUL = "mul"
    CONCAT = "concat"
    BATCHNORM = "batchnorm"
    LAYERNORM = "layernorm"
    RMSNORM = "rmsnorm"
    SOFTMAX = "softmax"
    ACTIVATION = "activation"  # relu, gelu, silu, sigmoid, tanh (see Layer.function)
    EMBEDDING = "embedding"
    RESHAPE = "reshape"  # flatten / reshape / transpose: moves no arithmetic
    UNKNOWN = "unknown"  # an imported op dse cannot cost: kept as a named zero-cost node


class Pass(str, Enum):
    """Training passes. A forward graph holds only FORWARD layers."""

    FORWARD = "forward"
    BACKWARD_DATA = "backward_data"
    WEIGHT_GRADIENT = "weight_gradient"
    WEIGHT_UPDATE = "weight_update"


#: Ops whose MACs count as compute layers (the way H2H counts layers, and the ops that carry MACs).
COMPUTE_OPS = frozenset({Op.CONV, Op.DWCONV, Op.FC, Op.MATMUL, Op.LSTM})
#: Ops with trainable parameters.
PARAMETRIC_OPS = frozenset({Op.CONV, Op.DWCONV, Op.FC, Op.LSTM, Op.BATCHNORM, Op.LAYERNORM, Op.RMSNORM, Op.EMBEDDING})
ELEMENTWISE_OPS = frozenset({Op.ADD, Op.MUL, Op.ACTIVATION, Op.BATCHNORM, Op.LAYERNORM, Op.RMSNORM, Op.SOFTMAX})

#: FLOPs per output element of the forward pass of element-wise style ops. Counted as the arithmetic a
#: straightforward kernel does: norm = mean, variance, normalise, scale and shift; softmax = max, exp, sum, divide.
FORWARD_FLOPS_PER_ELEMENT = {
    Op.ADD: 1,
    Op.MUL: 1,
    Op.BATCHNORM: 2,  # inference-style scale and shift with running statistics
    Op.LAYERNORM: 8,
    Op.RMSNORM: 6,
    Op.SOFTMAX: 5,
}
ACTIVATION_FLOPS = {"relu": 1, "relu6": 2, "sigmoid": 4, "tanh": 5, "gelu": 8, "silu": 5, "swish": 5, "identity": 0,
                    # clip = min and max; hard sigmoid = scale, shift, min, max; hard swish = that times x
                    "clip": 2, "hardsigmoid": 4, "hardswish": 5, "leaky_relu": 2, "prelu": 2, "elu": 5, "erf": 5,
                    # LRN across 5 channels (AlexNet, GoogLeNet): 5 squares and 4 adds, scale, shift, pow, divide
                    "lrn": 13}

#: Optimizer arithmetic per parameter in the update pass, and the state tensors (each the size of the weights)
#: it reads and writes besides the weight and its gradient. SGD: w -= lr*g. Adam: two moments, bias correction.
OPTIMIZERS = {"sgd": (2, 0), "momentum": (4, 1), "adam": (12, 2)}


#: Largest dimension of a layer, and largest count (MACs, elements) of one layer: counts stay exact in float64
#: (2**53) and the models' products of them inside int64. Beyond, a layer is "out of range", not silently wrong.
MAX_DIM = 2**31
MAX_COUNT = 2**53


def _positive(owner: str, name: str, value: int) -> None:
    whole(value, f"layer {owner!r}: field {name}", Range(1, MAX_DIM))


@dataclass(frozen=True)
class Layer:
    """One operator. Dimensions are canonical (see module docstring); sizes in elements unless named `_bytes`."""

    name: str
    op: Op
    N: int = 1
    K: int = 1
    C: int = 1
    Y: int = 1
    X: int = 1
    R: int = 1
    S: int = 1
    stride_y: int = 1
    stride_x: int = 1
    pad_y: int = 0
    pad_x: int = 0
    groups: int = 1
    elem_bytes: int = 4
    bias: bool = True  # conv/fc carry a bias vector of K (torchvision drops it before batch norm)
    pass_: Pass = Pass.FORWARD
    function: str = ""  # activation name for ACTIVATION; pooling is "global" when it covers the whole map
    optimizer: str = "sgd"  # only read by the weight-update pass
    trainable: bool = True  # frozen layers (e.g. the base model under LoRA) get no weight gradient or update
    tied: bool = False  # its weights are another layer's (an LM head tied to the embedding): read, not counted
    source: str = ""  # forward layer a training op derives from

    def __post_init__(self) -> None:
        if not self.name:
            raise InputError("layer with an empty name")
        for dim in ("N", "K", "C", "Y", "X", "R", "S", "stride_y", "stride_x", "groups", "elem_bytes"):
            _positive(self.name, dim, getattr(self, dim))
        for pad in ("pad_y", "pad_x"):
            value = getattr(self, pad)
            if not isinstance(value, int) or value < 0:
                raise InputError(f"layer {self.name!r}: field {pad} must be a non-negative integer, got {value!r}")
        if self.C % self.groups or self.K % self.groups:
            raise InputError(
                f"layer {self.name!r}: field groups={self.groups} must divide C={self.C} and K={self.K}"
            )
        if self.op is Op.DWCONV and self.groups != self.C:
            raise InputError(f"layer {self.name!r}: depthwise conv needs groups == C, got groups={self.groups}, C={self.C}")
        if self.Y_out <= 0 or self.X_out <= 0:
            raise InputError(
                f"layer {self.name!r}: filter {self.R}x{self.S} with padding ({self.pad_y},{self.pad_x}) does not fit "
                f"input {self.Y}x{self.X} (output would be {self.Y_out}x{self.X_out})"
            )
        if self.op is Op.ACTIVATION and self.function not in ACTIVATION_FLOPS:
            raise InputError(f"layer {self.name!r}: unknown activation function {self.function!r}; known: {sorted(ACTIVATION_FLOPS)}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"layer {self.name!r}: unknown optimizer {self.optimizer!r}; known: {sorted(OPTIMIZERS)}")
        for what in ("macs", "flops", "input_elements", "weight_elements", "output_elements"):
            if getattr(self, what) > MAX_COUNT:
                raise InputError(f"layer {self.name!r}: {what} = {getattr(self, what)} is out of range (at most 2**53; "
                                 "a smaller batch or shape)")

    # ---- shapes ---------------------------------------------------------------------------------------------
    @property
    def Y_out(self) -> int:
        """Output rows. Pooling and convolution share the sliding-window formula; LSTM and matmul keep rows."""
        if self.op in (Op.CONV, Op.DWCONV, Op.MAXPOOL, Op.AVGPOOL):
            return (self.Y + 2 * self.pad_y - self.R) // self.stride_y + 1
        return self.Y

    @property
    def X_out(self) -> int:
        if self.op in (Op.CONV, Op.DWCONV, Op.MAXPOOL, Op.AVGPOOL):
            return (self.X + 2 * self.pad_x - self.S) // self.stride_x + 1
        return self.X

    @property
    def input_elements(self) -> int:
        """Elements of the forward input activation (the first operand)."""
        return self.N * self.C * self.Y * self.X

    @property
    def output_elements(self) -> int:
        """Elements of the forward output activation."""
        return self.N * self.K * self.Y_out * self.X_out

    @property
    def params(self) -> int:
        """Parameters (weights and biases) the operator owns; a tied layer owns none (its weights are counted once,
        at the layer they belong to)."""
        return 0 if self.tied else self.weight_count

    @property
    def weight_count(self) -> int:
        """Weights and biases the operator reads, owned or tied."""
        if self.op in (Op.CONV, Op.DWCONV, Op.FC):
            return self.K * (self.C // self.groups) * self.R * self.S + (self.K if self.bias else 0)
        if self.op is Op.LSTM:
            return 4 * self.K * (self.C + self.K) + 8 * self.K  # PyTorch keeps two bias vectors per gate
        if self.op is Op.BATCHNORM:
            return 2 * self.C
        if self.op is Op.LAYERNORM:
            return 2 * self.C
        if self.op is Op.RMSNORM:
            return self.C
        if self.op is Op.EMBEDDING:
            return self.C * self.K  # C = vocabulary, K = embedding width
        return 0

    @property
    def weight_elements(self) -> int:
        """Elements of the second operand: the weights, or for MATMUL the second activation (per whole batch)."""
        if self.op is Op.MATMUL:
            return self.N * (self.C // self.groups) * self.K
        return self.weight_count

    # ---- arithmetic -----------------------------------------------------------------------------------------
    @property
    def forward_macs(self) -> int:
        """Multiply-accumulates of the forward operator (0 for ops without a reduction)."""
        if self.op in (Op.CONV, Op.DWCONV, Op.FC, Op.MATMUL):
            return self.N * self.K * (self.C // self.groups) * self.Y_out * self.X_out * self.R * self.S
        if self.op is Op.LSTM:
            return self.N * self.X * self.Y * 4 * self.K * (self.C + self.K)
        return 0

    @property
    def forward_flops(self) -> int:
        if self.op in COMPUTE_OPS:
            flops = 2 * self.forward_macs
            if self.op is Op.LSTM:  # gate non-linearities and the cell update, per hidden unit and step
                flops += self.N * self.X * self.Y * self.K * 4 * 5
            return flops
        if self.op in (Op.MAXPOOL, Op.AVGPOOL):
            return self.output_elements * self.R * self.S
        if self.op is Op.ACTIVATION:
            return self.output_elements * ACTIVATION_FLOPS[self.function]
        return self.output_elements * FORWARD_FLOPS_PER_ELEMENT.get(self.op, 0)

    @property
    def macs(self) -> int:
        """MACs of this layer in its pass. Backward-data and weight-gradient of a MAC op redo the forward MACs."""
        if self.pass_ is Pass.WEIGHT_UPDATE:
            return 0
        return self.forward_macs

    @property
    def flops(self) -> int:
        """Floating-point operations of this layer in its pass (a MAC counts 2)."""
        if self.pass_ is Pass.FORWARD:
            return self.forward_flops
        if self.pass_ is Pass.WEIGHT_UPDATE:
            return self.params * OPTIMIZERS[self.optimizer][0]
        if self.op in COMPUTE_OPS:
            return 2 * self.forward_macs
        # Non-MAC ops: the gradient costs about what the forward did (ReLU mask, pool routing, norm chain rule).
        return self.forward_flops

    # ---- traffic --------------------------------------------------------------------------------------------
    @property
    def input_bytes(self) -> int:
        """Bytes of activation-like operands read in this pass (not the weights)."""
        fwd_in, fwd_out = self.input_elements, self.output_elements
        if self.pass_ is Pass.FORWARD:
            return fwd_in * self.elem_bytes
        if self.pass_ is Pass.BACKWARD_DATA:
            return fwd_out * self.elem_bytes  # the output gradient
        if self.pass_ is Pass.WEIGHT_GRADIENT:
            return (fwd_in + fwd_out) * self.elem_bytes  # stashed input activation and output gradient
        return self.params * self.elem_bytes  # weight update reads the weight gradient

    @property
    def weight_bytes(self) -> int:
        """Bytes of weights (or the second activation of a MATMUL, or optimizer state) read in this pass."""
        if self.pass_ is Pass.WEIGHT_GRADIENT and self.op is not Op.MATMUL:
            return 0
        if self.pass_ is Pass.WEIGHT_UPDATE:
            return self.params * (1 + OPTIMIZERS[self.optimizer][1]) * self.elem_bytes
        return self.weight_elements * self.elem_bytes

    @property
    def output_bytes(self) -> int:
        """Bytes written in this pass."""
        if self.pass_ is Pass.FORWARD:
            return self.output_elements * self.elem_bytes
        if self.pass_ is Pass.BACKWARD_DATA:
            return self.input_elements * self.elem_bytes  # the input gradient
        if self.pass_ is Pass.WEIGHT_GRADIENT:
            if self.op is Op.MATMUL:
                return self.weight_elements * self.elem_bytes  # gradient of the second activation
            return self.params * self.elem_bytes
        return self.params * (1 + OPTIMIZERS[self.optimizer][1]) * self.elem_bytes

    @property
    def is_compute(self) -> bool:
        """A compute layer in H2H's sense: conv, fully-connected/matmul or LSTM."""
        return self.op in COMPUTE_OPS

    @property
    def has_weights(self) -> bool:
        return self.op in PARAMETRIC_OPS and self.params > 0

    def with_pass(self, pass_: Pass, name: str, **changes: object) -> "Layer":
        """The same operator in another pass, named `name`, remembering which forward layer it came from."""
        return replace(self, pass_=pass_, name=name, source=self.source or self.name, **changes)

    def as_row(self) -> dict:
        """A flat dict for tables and JSON."""
        return {
            "name": self.name,
            "op": self.op.value,
            "pass": self.pass_.value,
            "N": self.N, "K": self.K, "C": self.C, "Y": self.Y, "X": self.X, "R": self.R, "S": self.S,
            "stride": self.stride_y, "groups": self.groups,
            "Y_out": self.Y_out, "X_out": self.X_out,
            "macs": self.macs, "flops": self.flops, "params": self.params,
            "input_bytes": self.input_bytes, "weight_bytes": self.weight_bytes, "output_bytes": self.output_bytes,
        }

