"""Import an ONNX model into a `Workload`, with shapes from ONNX's own shape inference.

Tensors map onto canonical dims by rank: [N, C, H, W] -> (N, C, Y=H, X=W); [N, T, F] -> (N, C=F, X=T);
[N, F] -> (N, C=F); leading dims beyond four fold into N. An op dse does not know becomes a named zero-cost
`Op.UNKNOWN` node (never dropped), and all of them are reported in one warning.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from dse.errors import InputError
from dse.workload.graph import Workload, validate
from dse.workload.layer import Layer, Op

ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Gelu": "gelu", "Clip": "relu6",
               "Identity": "identity"}
NORMS = {"BatchNormalization": Op.BATCHNORM, "LayerNormalization": Op.LAYERNORM}
SHAPE_OPS = {"Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze"}
ELTWISE = {"Add": Op.ADD, "Sum": Op.ADD, "Sub": Op.ADD, "Mul": Op.MUL, "Div": Op.MUL}


def _canonical(shape: list[int]) -> tuple[int, int, int, int]:
    """(N, C, Y, X) of a tensor shape, following the module docstring."""
    if len(shape) == 0:
        return 1, 1, 1, 1
    if len(shape) == 1:
        return 1, shape[0], 1, 1
    if len(shape) == 2:
        return shape[0], shape[1], 1, 1
    if len(shape) == 3:
        return shape[0], shape[2], 1, shape[1]
    return math.prod(shape[:-3]), shape[-3], shape[-2], shape[-1]


class _Importer:
    def __init__(self, path: Path, batch: int) -> None:
        import onnx  # an optional extra: imported only when a user imports a model

        self.path = path
        if not path.is_file():
            raise InputError(f"ONNX file {str(path)!r} does not exist")
        try:
            model = onnx.load(str(path))
            model = onnx.shape_inference.infer_shapes(model, strict_mode=False)
        except Exception as exc:  # onnx raises DecodeError, ValidationError, InferenceError...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"ONNX file {str(path)!r} cannot be read: {first}") from None
        self.graph = model.graph
        self.batch = batch
        self.initializers = {t.name: list(t.dims) for t in self.graph.initializer}
        self.shapes: dict[str, list[int]] = {}
        for info in list(self.graph.input) + list(self.graph.value_info) + list(self.graph.output):
            dims = info.type.tensor_type.shape.dim
            self.shapes[info.name] = [d.dim_value if d.dim_value > 0 else batch for d in dims]
        self.shapes.update(self.initializers)
        self.producer: dict[str, str] = {}
        self.unknown: list[str] = []
        self.workload = Workload(name=path.stem)

    def shape(self, tensor: str, node_name: str) -> list[int]:
        if tensor not in self.shapes:
            raise InputError(f"ONNX file {str(self.path)!r}: node {node_name!r}: shape of tensor {tensor!r} unknown "
                             "after shape inference (give the graph inputs static shapes)")
        return self.shapes[tensor]

    def run(self) -> Workload:
        used: set[str] = set()
        named = []
        for index, node in enumerate(self.graph.node):
            name = node.name or f"{node.op_type}_{index}"
            while name in used:
                name = f"{name}_{index}"
            used.add(name)
            named.append((name, node))
            self.workload.add_node(name, layer=self.node_layer(node, name), onnx_op=node.op_type)
            for tensor in node.output:
                self.producer[tensor] = name
        # Edges after all nodes: a file whose nodes are out of order (or cyclic) is caught by validate().
        for name, node in named:
            layer = self.workload.layer(name)
            for tensor in node.input:
                src = self.producer.get(tensor)
                if not tensor or tensor in self.initializers or src is None:
                    continue
                produced = self.workload.layer(src).output_elements
                matches = produced in (layer.input_elements, layer.weight_elements) or layer.op is Op.CONCAT
                kind = "data" if matches else "broadcast"  # e.g. a bias vector added to a feature map
                self.workload.add_edge(src, name, bytes=self.workload.layer(src).output_bytes, kind=kind)
        if self.unknown:
            warnings.warn(f"{self.path.name}: {len(self.unknown)} op(s) dse cannot cost were kept as zero-cost nodes: "
                          + ", ".join(self.unknown), stacklevel=3)
        try:
            return validate(self.workload)
        except InputError as exc:
            raise InputError(f"ONNX file {str(self.path)!r}: {exc}") from None

    def node_layer(self, node, name: str) -> Layer:
        """`layer`, with every error about the node named by file and node. A file is untrusted: an attribute or
        input missing, of the wrong length or type, is the file's fault (one line), not a crash."""
        try:
            return self.layer(node, name)
        except InputError as exc:
            message = str(exc)
            if message.startswith(f"ONNX file {str(self.path)!r}"):
                raise
            raise InputError(f"ONNX file {str(self.path)!r}: node {name!r}: {message}") from None
        except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise InputError(f"ONNX file {str(self.path)!r}: node {name!r} ({node.op_type}) is malformed: "
                             f"{type(exc).__name__} {exc}") from None

    def attrs(self, node) -> dict:
        import onnx

        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def layer(self, node, name: str) -> Layer:
        op = node.op_type
        out_shape = self.shape(node.output[0], name)
        inputs = [t for t in node.input if t]
        in_shape = self.shape(inputs[0], name) if inputs else out_shape
        N, C, Y, X = _canonical(in_shape)
        if op == "Conv":
            return self.conv(node, name, in_shape, out_shape)
        if op == "Gemm":
            a = self.attrs(node)
            w = self.shape(inputs[1], name)
            K = w[0] if a.get("transB", 0) else w[1]
            rows = in_shape[1] if a.get("transA", 0) else in_shape[0]
            return Layer(name, Op.FC, N=rows, C=math.prod(in_shape) // rows, K=K, bias=len(inputs) > 2)
        if op == "MatMul":
            return self.matmul(name, inputs, in_shape)
        if op in ("MaxPool", "AveragePool"):
            a = self.attrs(node)
            R, S = a["kernel_shape"]
            sy, sx = a.get("strides", [1, 1])
            pads = a.get("pads", [0, 0, 0, 0])
            kind = Op.MAXPOOL if op == "MaxPool" else Op.AVGPOOL
            return self.checked(Layer(name, kind, N=N, C=C, K=C, Y=Y, X=X, R=R, S=S, stride_y=sy, stride_x=sx,
                                      pad_y=-(-(pads[0] + pads[2]) // 2), pad_x=-(-(pads[1] + pads[3]) // 2)),
                                out_shape)
        if op == "GlobalAveragePool":
            return Layer(name, Op.AVGPOOL, N=N, C=C, K=C, Y=Y, X=X, R=Y, S=X, function="global")
        if op in ACTIVATIONS:
            return Layer(name, Op.ACTIVATION, N=N, C=C, K=C, Y=Y, X=X, function=ACTIVATIONS[op])
        if op == "Softmax":
            return Layer(name, Op.SOFTMAX, N=N, C=C, K=C, Y=Y, X=X)
        if op in NORMS:
            # LayerNormalization normalises the last axis: its parameters are as wide as that axis.
            return Layer(name, NORMS[op], N=N, C=C, K=C, Y=Y, X=X)
        N, C, Y, X = _canonical(out_shape)
        if op in ELTWISE:
            return Layer(name, ELTWISE[op], N=N, C=C, K=C, Y=Y, X=X)
        if op == "Concat":
            return Layer(name, Op.CONCAT, N=N, C=C, K=C, Y=Y, X=X)
        elements = math.prod(out_shape)
        if op in SHAPE_OPS:
            return Layer(name, Op.RESHAPE, N=1, C=elements, K=elements)
        self.unknown.append(f"{name} ({op})")
        return Layer(name, Op.UNKNOWN, N=1, C=elements, K=elements)

    def conv(self, node, name: str, in_shape: list[int], out_shape: list[int]) -> Layer:
        a = self.attrs(node)
        if len(in_shape) != 4:
            raise InputError(f"ONNX file {str(self.path)!r}: node {name!r}: only 2-D Conv is supported, "
                             f"input shape {in_shape}")
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            self.unknown.append(f"{name} (Conv with dilations {a['dilations']})")
            elements = math.prod(out_shape)
            return Layer(name, Op.UNKNOWN, N=1, C=elements, K=elements)
        w = self.shape(node.input[1], name)
        groups = a.get("group", 1)
        N, C, Y, X = _canonical(in_shape)
        pads = a.get("pads", [0, 0, 0, 0])
        sy, sx = a.get("strides", [1, 1])
        kind = Op.DWCONV if groups == C and groups > 1 else Op.CONV
        layer = Layer(name, kind, N=N, K=w[0], C=C, Y=Y, X=X, R=w[2], S=w[3], stride_y=sy, stride_x=sx,
                      pad_y=-(-(pads[0] + pads[2]) // 2), pad_x=-(-(pads[1] + pads[3]) // 2), groups=groups,
                      bias=len(node.input) > 2 and bool(node.input[2]))
        return self.checked(layer, out_shape)

    def matmul(self, name: str, inputs: list[str], a_shape: list[int]) -> Layer:
        b_shape = self.shape(inputs[1], name)
        rows, inner, cols = a_shape[-2], a_shape[-1], b_shape[-1]
        lead = math.prod(a_shape[:-2])
        if inputs[1] in self.initializers:  # activation times a weight matrix: a token-wise linear layer
            return Layer(name, Op.FC, N=lead, C=inner, K=cols, X=rows, bias=False)
        return Layer(name, Op.MATMUL, N=lead, C=inner, K=cols, X=rows)

    def checked(self, layer: Layer, out_shape: list[int]) -> Layer:
        """Asymmetric padding is folded into a symmetric one; make sure the output size still agrees."""
        _, K, Y_out, X_out = _canonical(out_shape)
        if (layer.Y_out, layer.X_out) != (Y_out, X_out):
            raise InputError(f"ONNX file {str(self.path)!r}: node {layer.name!r}: dse computes output "
                             f"{layer.Y_out}x{layer.X_out}, the model declares {Y_out}x{X_out} (asymmetric padding?)")
        return layer


def from_onnx(path: str | Path, batch: int = 1) -> Workload:
    """Import the ONNX model at `path`; symbolic dimensions (e.g. a dynamic batch) take the value `batch`."""
    return _Importer(Path(path), batch).run()
