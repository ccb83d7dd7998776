"""`Builder`: writes layer graphs the way a model file reads, inferring each layer's input shape from its producer.

Every tensor is (channels, rows, cols) per batch element; sequences put tokens on cols with one row. Because each
layer takes its C, Y and X from what feeds it, a model written with the builder cannot have a shape mismatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dse.errors import InputError
from dse.workload.layer import Layer, Op

if TYPE_CHECKING:
    from dse.workload.graph import Workload

Shape = tuple[int, int, int]


class Builder:
    """Append layers to a `Workload`; each method returns the new layer's name for wiring."""

    def __init__(self, name: str, batch: int = 1, input_shape: Shape = (3, 224, 224), elem_bytes: int = 4) -> None:
        from dse.workload.graph import (
            Workload,  # networkx loads when a model is built, not when the zoo is listed
        )

        self.workload = Workload(name=name)
        self.batch = batch
        self.elem_bytes = elem_bytes
        self.inputs: dict[str, Shape] = {"input": tuple(input_shape)}
        self.last = "input"
        self._views: dict[str, Shape] = {}  # reshape outputs, whose view is not derivable from the layer dims

    # ---- plumbing -------------------------------------------------------------------------------------------
    def input(self, name: str, shape: Shape) -> str:
        """Declare another model input (another modality); it becomes the current tensor."""
        self.inputs[name] = tuple(shape)
        self.last = name
        return name

    def shape(self, name: str) -> Shape:
        """(channels, rows, cols) of a tensor: a declared input or a layer's output."""
        if name in self.inputs:
            return self.inputs[name]
        if name in self._views:
            return self._views[name]
        layer = self.workload.layer(name)
        return (layer.K, layer.Y_out, layer.X_out)

    def _add(self, layer: Layer, srcs: Sequence[str]) -> str:
        self.workload.add_layer(layer, [s for s in srcs if s not in self.inputs])
        self.last = layer.name
        return layer.name

    def _layer(self, name: str, op: Op, src: str, **dims) -> Layer:
        C, Y, X = self.shape(src)
        base = dict(N=self.batch, C=C, Y=Y, X=X, K=C, elem_bytes=self.elem_bytes)
        base.update(dims)
        return Layer(name=name, op=op, **base)

    # ---- layers ---------------------------------------------------------------------------------------------
    def conv(self, name: str, K: int, R: int, stride: int = 1, pad: int | None = None, groups: int = 1,
             src: str | None = None, S: int | None = None, bias: bool = True) -> str:
        src = src or self.last
        S = R if S is None else S
        pad_y = R // 2 if pad is None else pad
        pad_x = S // 2 if pad is None else pad
        return self._add(self._layer(name, Op.CONV, src, K=K, R=R, S=S, stride_y=stride, stride_x=stride,
                                     pad_y=pad_y, pad_x=pad_x, groups=groups, bias=bias), [src])

    def dwconv(self, name: str, R: int, stride: int = 1, pad: int | None = None, multiplier: int = 1,
               src: str | None = None, bias: bool = True) -> str:
        src = src or self.last
        C = self.shape(src)[0]
        pad = R // 2 if pad is None else pad
        return self._add(self._layer(name, Op.DWCONV, src, K=C * multiplier, R=R, S=R, stride_y=stride,
                                     stride_x=stride, pad_y=pad, pad_x=pad, groups=C, bias=bias), [src])

    def fc(self, name: str, K: int, src: str | None = None, tokens: bool = False) -> str:
        """Fully-connected layer. Flattens its input, or with `tokens` applies per token (cols) of a sequence."""
        src = src or self.last
        C, Y, X = self.shape(src)
        if tokens:
            if Y != 1:
                raise InputError(f"layer {name!r}: token-wise fc needs a sequence input (rows 1), got {C}x{Y}x{X}")
            layer = Layer(name=name, op=Op.FC, N=self.batch, K=K, C=C, X=X, elem_bytes=self.elem_bytes)
        else:
            layer = Layer(name=name, op=Op.FC, N=self.batch, K=K, C=C * Y * X, elem_bytes=self.elem_bytes)
        return self._add(layer, [src])

    def pool(self, name: str, R: int, stride: int | None = None, pad: int = 0, kind: str = "max",
             src: str | None = None) -> str:
        src = src or self.last
        op = {"max": Op.MAXPOOL, "avg": Op.AVGPOOL}[kind]
        stride = R if stride is None else stride
        return self._add(self._layer(name, op, src, R=R, S=R, stride_y=stride, stride_x=stride,
                                     pad_y=pad, pad_x=pad), [src])

    def global_pool(self, name: str, src: str | None = None) -> str:
        src = src or self.last
        _, Y, X = self.shape(src)
        return self._add(self._layer(name, Op.AVGPOOL, src, R=Y, S=X, function="global"), [src])

    def act(self, name: str, function: str = "relu", src: str | None = None) -> str:
        src = src or self.last
        return self._add(self._layer(name, Op.ACTIVATION, src, function=function), [src])

    def norm(self, name: str, kind: Op = Op.BATCHNORM, src: str | None = None) -> str:
        src = src or self.last
        return self._add(self._layer(name, kind, src), [src])

    def softmax(self, name: str, src: str | None = None) -> str:
        src = src or self.last
        return self._add(self._layer(name, Op.SOFTMAX, src), [src])

    def eltwise(self, name: str, srcs: Sequence[str], op: Op = Op.ADD) -> str:
        shapes = {self.shape(s) for s in srcs}
        if len(shapes) != 1:
            raise InputError(f"layer {name!r}: element-wise {op.value} inputs differ in shape: "
                             + ", ".join(f"{s}={self.shape(s)}" for s in srcs))
        return self._add(self._layer(name, op, srcs[0]), srcs)

    def concat(self, name: str, srcs: Sequence[str]) -> str:
        """Concatenate along channels; all inputs need the same rows and cols."""
        shapes = [self.shape(s) for s in srcs]
        if len({s[1:] for s in shapes}) != 1:
            raise InputError(f"layer {name!r}: concat inputs differ in rows/cols: "
                             + ", ".join(f"{s}={sh}" for s, sh in zip(srcs, shapes)))
        C = sum(s[0] for s in shapes)
        _, Y, X = shapes[0]
        layer = Layer(name=name, op=Op.CONCAT, N=self.batch, K=C, C=C, Y=Y, X=X, elem_bytes=self.elem_bytes)
        return self._add(layer, srcs)

    def reshape(self, name: str, shape: Shape, src: str | None = None) -> str:
        """Reshape / flatten / transpose: no arithmetic; the element count must be kept."""
        src = src or self.last
        C, Y, X = self.shape(src)
        if C * Y * X != shape[0] * shape[1] * shape[2]:
            raise InputError(f"layer {name!r}: cannot reshape {C}x{Y}x{X} to {'x'.join(map(str, shape))}")
        layer = Layer(name=name, op=Op.RESHAPE, N=self.batch, C=C * Y * X, K=shape[0] * shape[1] * shape[2],
                      elem_bytes=self.elem_bytes)
        self._views[name] = tuple(shape)
        return self._add(layer, [src])

    def lstm(self, name: str, hidden: int, src: str | None = None) -> str:
        """One LSTM layer over a sequence (features on channels, time steps on cols)."""
        src = src or self.last
        C, Y, X = self.shape(src)
        if Y != 1:
            raise InputError(f"layer {name!r}: lstm needs a sequence input (rows 1), got {C}x{Y}x{X}")
        return self._add(Layer(name=name, op=Op.LSTM, N=self.batch, K=hidden, C=C, X=X,
                               elem_bytes=self.elem_bytes), [src])

    def matmul(self, name: str, a: str, b: str, heads: int, inner: int, cols: int) -> str:
        """Batched matmul of two activations: per head, (rows x inner) @ (inner x cols).

        `a` holds heads x rows x inner elements, so rows follow from its size: with grouped-query attention the
        caller passes the key/value heads as `heads`, and the query heads that share one key/value head become
        extra rows of its matmul (the keys and values are then read once per key/value head, as GQA kernels do).
        """
        C, Y, X = self.shape(a)
        rows, left = divmod(C * Y * X, heads * inner)
        if left or not rows:
            raise InputError(f"layer {name!r}: input {a} of {C}x{Y}x{X} elements is not {heads} heads x rows x {inner}")
        layer = Layer(name=name, op=Op.MATMUL, N=self.batch, K=heads * cols, C=heads * inner, X=rows,
                      groups=heads, elem_bytes=self.elem_bytes)
        return self._add(layer, [a, b])

    def link(self, src: str, dst: str, kind: str = "order") -> None:
        """A dependency that is not a shape-checked activation (e.g. a new key appended to a KV cache)."""
        self.workload.add_edge(src, dst, bytes=self.workload.layer(src).output_bytes, kind=kind)

    def build(self) -> Workload:
        """The finished graph, validated."""
        from dse.workload.graph import validate

        return validate(self.workload)
