"""Import an ONNX model into a `Workload`: shapes from ONNX's own shape inference, weights never read.

- The file is read without its weight bytes (`onnx_slim`), so a 550 MB model imports in about a second.
- Dynamic input dims take their values from `input_shapes` (NAME -> dims; the name "" stands for the only input)
  or, for a dynamic first dim, from `batch` (default 1). Any other dynamic dim without a value is an error naming the
  input and the dim. With a fixed first dim, `batch` scales every layer's N (as for a workload file).
- Constants: initializers, `Constant` outputs, `Shape` outputs (shapes are static once the inputs are) and every
  output of a node whose inputs are all constants (`ConstantOfShape`, `Identity`, `Cast`, `Reshape`, ... of
  constants) cost nothing and make no layer; a conv or matmul reading one as its weight is a weighted layer.
- Tensors map onto canonical dims by rank: [N, C, H, W] -> (N, C, Y=H, X=W); [N, T, F] -> (N, C=F, X=T);
  [N, F] -> (N, C=F); leading dims beyond four fold into N.
- Sliding windows (conv, pooling) take the output size the model declares: ceil_mode, auto_pad, asymmetric pads
  and dilations become the symmetric pad that gives it (or, where none does, the input rows the window reads).
- A transposed conv counts the multiply-adds that touch real inputs (each input pixel meets each kernel tap once):
  when the kernel is a multiple of the stride s, as its sub-pixel form (s*s stride-1 phases with a kernel/s kernel on
  the input grid), else as GEMM + col2im (a 1x1 conv to every tap of every output channel, summed into place).
- A `Gather` of rows of a constant 2-D table by non-constant indices is an embedding lookup (C = vocabulary,
  K = width, X = tokens); every other `Gather` moves data only.
- Shape-only ops cost nothing; an op dse does not know becomes a named zero-cost `Op.UNKNOWN` node (never
  dropped), and all of them are reported in one warning.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from dse.errors import InputError
from dse.workload.graph import Workload, rebatch, validate
from dse.workload.layer import Layer, Op

ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Gelu": "gelu", "Clip": "clip",
               "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish", "LeakyRelu": "leaky_relu", "PRelu": "prelu",
               "Elu": "elu", "LRN": "lrn", "Erf": "erf"}
NORMS = {"BatchNormalization": Op.BATCHNORM, "LayerNormalization": Op.LAYERNORM}
#: Ops that move or view data without arithmetic (Dropout is the identity at inference).
SHAPE_OPS = {"Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Split", "Slice", "Gather", "Identity",
             "Dropout", "Cast", "Expand", "Tile", "Pad", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth"}
ELTWISE = {"Add": Op.ADD, "Sum": Op.ADD, "Sub": Op.ADD, "Max": Op.ADD, "Min": Op.ADD, "Mul": Op.MUL, "Div": Op.MUL,
           "Pow": Op.MUL}
POOLS = {"MaxPool": Op.MAXPOOL, "AveragePool": Op.AVGPOOL}
GLOBAL_POOLS = {"GlobalAveragePool": Op.AVGPOOL, "GlobalMaxPool": Op.MAXPOOL}
#: Ops whose outputs are known once the input shapes are: with static shapes they are constants.
SHAPE_SOURCES = {"Constant", "Shape", "Size"}
#: Constant folding: tensors up to this many elements are evaluated (shape arithmetic), in up to this many rounds
#: of shape inference and folding.
FOLD_ELEMENTS = 4096
FOLD_ROUNDS = 4


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


def _window(size: int, kernel: int, stride: int, out: int) -> tuple[int, int]:
    """(input size, symmetric pad) of a sliding window that gives `out` outputs: the smallest pad that does, else no
    pad and the input rows the window actually reads (dilated or VALID windows that drop rows)."""
    for pad in range(kernel):
        if (size + 2 * pad - kernel) // stride + 1 == out:
            return size, pad
    return (out - 1) * stride + kernel, 0


class _Importer:
    def __init__(self, path: Path, batch: int | None, input_shapes: dict[str, tuple[int, ...]],
                 shape_option: str) -> None:
        import onnx  # an optional extra: imported only when a user imports a model

        from dse.workload.onnx_slim import load_shapes_only

        self.path = path
        self.where = f"ONNX file {str(path)!r}"
        if not path.is_file():
            raise InputError(f"{self.where} does not exist")
        try:
            model = load_shapes_only(path)
        except Exception as exc:  # WireError, DecodeError, ...
            raise InputError(f"{self.where} cannot be read: {_first_line(exc)}") from None
        self.fixed_batch = self._set_inputs(model.graph, batch, dict(input_shapes), shape_option)
        # Exporters leave -1 for dynamic dims in declared shapes; inference writes those shapes anew.
        stale = [v for v in model.graph.value_info if _negative_dims(v)]
        for info in stale:
            model.graph.value_info.remove(info)
        for output in model.graph.output:
            if _negative_dims(output):
                output.type.tensor_type.ClearField("shape")
        for _ in range(FOLD_ROUNDS):
            try:
                model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
            except Exception as exc:  # InferenceError, ValidationError
                raise InputError(f"{self.where}: shape inference failed: {_first_line(exc)}") from None
            self.graph = model.graph
            self.shapes = self._static_shapes()
            if not _fold(model, self.shapes):
                break
        self.constants = self._constants()
        self.producer: dict[str, str] = {}
        self.unknown: list[str] = []
        self.workload = Workload(name=path.stem)

    def _static_shapes(self) -> dict[str, list[int]]:
        shapes = {t.name: list(t.dims) for t in self.graph.initializer}
        for info in list(self.graph.value_info) + list(self.graph.output) + list(self.graph.input):
            dims = info.type.tensor_type.shape.dim
            if info.type.tensor_type.HasField("shape") and all(d.dim_value > 0 for d in dims):
                shapes[info.name] = [d.dim_value for d in dims]
        return shapes

    def _set_inputs(self, graph, batch: int | None, given: dict[str, tuple[int, ...]], option: str) -> int | None:
        """Write every graph input's dims; returns the fixed first dim when `batch` is to scale the graph."""
        initializers = {t.name for t in graph.initializer}
        inputs = [i for i in graph.input if i.name not in initializers]
        names = [i.name for i in inputs]
        if "" in given:
            if len(inputs) != 1:
                raise InputError(f"{self.where}: the model has {len(inputs)} inputs ({', '.join(names)}); name the "
                                 f"one each {option} is for (NAME=D1,D2,...)")
            given[names[0]] = given.pop("")
        for name in given:
            if name not in names:
                raise InputError(f"{self.where}: {option} names input {name!r}, which the model does not have; its "
                                 f"inputs: {', '.join(names)}")
        fixed_batch = None
        for info in inputs:
            dims = info.type.tensor_type.shape.dim
            declared = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]
            labels = [str(v) if v else (d.dim_param or "?") for v, d in zip(declared, dims)]
            if info.name in given:
                shape = list(given[info.name])
                if len(shape) != len(dims):
                    raise InputError(f"{self.where}: {option} {info.name}: the input has {len(dims)} dims "
                                     f"({','.join(labels)}), got {len(shape)}")
                for i, (want, got) in enumerate(zip(declared, shape)):
                    if want is not None and want != got:
                        raise InputError(f"{self.where}: {option} {info.name}: dim {i} is fixed at {want} in the "
                                         f"model, got {got}")
            else:
                shape = list(declared)
                if shape and shape[0] is None:
                    shape[0] = batch or 1
                elif shape and batch is not None and shape[0] != batch:
                    fixed_batch = shape[0]
                for i, value in enumerate(shape):
                    if value is None:
                        raise InputError(f"{self.where}: input {info.name!r} dim {i} ({labels[i]}) is dynamic; give "
                                         f"its value with {option} {info.name}={','.join(labels)}")
            for d, value in zip(dims, shape):
                d.Clear()
                d.dim_value = value
        return fixed_batch

    def _constants(self) -> set[str]:
        """Tensors computable without the graph inputs (see the module docstring)."""
        constants = set(self.shapes) & {t.name for t in self.graph.initializer}
        for node in self.graph.node:
            inputs = [t for t in node.input if t]
            if node.op_type in SHAPE_SOURCES or (inputs and all(t in constants for t in inputs)):
                constants.update(t for t in node.output if t)
        return constants

    def shape(self, tensor: str, node_name: str) -> list[int]:
        if tensor not in self.shapes:
            raise InputError(f"{self.where}: node {node_name!r}: shape of tensor {tensor!r} unknown after shape "
                             "inference (an op before it that ONNX cannot infer?)")
        return self.shapes[tensor]

    def run(self) -> Workload:
        used: set[str] = set()
        named = []
        for index, node in enumerate(self.graph.node):
            outputs = [t for t in node.output if t]
            if not outputs or all(t in self.constants for t in outputs):
                continue  # weights, shapes and what is computed from them alone
            name = node.name or f"{node.op_type}_{index}"
            while name in used:
                name = f"{name}_{index}"
            used.add(name)
            named.append((name, node))
            self.workload.add_node(name, layer=self.node_layer(node, name), onnx_op=node.op_type)
            for tensor in outputs:
                self.producer[tensor] = name
        # Edges after all nodes: a file whose nodes are out of order (or cyclic) is caught by validate().
        for name, node in named:
            layer = self.workload.layer(name)
            for tensor in node.input:
                src = self.producer.get(tensor)
                if src is None or tensor in self.constants or self.workload.has_edge(src, name):
                    continue
                produced = self.workload.layer(src).output_elements
                matches = produced in (layer.input_elements, layer.weight_elements) or layer.op is Op.CONCAT
                kind = "data" if matches else "broadcast"  # e.g. a bias vector added to a feature map
                self.workload.add_edge(src, name, bytes=self.workload.layer(src).output_bytes, kind=kind)
        if not self.workload.number_of_nodes():
            raise InputError(f"{self.where}: the graph computes nothing from its inputs")
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
        data = [t for t in inputs if t not in self.constants]
        in_shape = self.shape(data[0], name) if data else out_shape
        try:
            if op in ("Conv", "ConvTranspose"):
                return self.conv(node, name, in_shape, out_shape)
            if op == "Gemm":
                return self.gemm(node, name, inputs)
            if op == "MatMul":
                return self.matmul(name, inputs)
            if op in POOLS:
                return self.pool(node, name, in_shape, out_shape)
            if (op == "Gather" and len(inputs) == 2 and inputs[0] in self.constants and inputs[1] not in self.constants
                    and len(self.shape(inputs[0], name)) == 2 and not self.attrs(node).get("axis", 0)):
                return self.embedding(name, inputs)
            N, C, Y, X = _canonical(in_shape)
            if op in GLOBAL_POOLS:
                return Layer(name, GLOBAL_POOLS[op], N=N, C=C, K=C, Y=Y, X=X, R=Y, S=X, function="global")
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
            if op in SHAPE_OPS:
                return Layer(name, Op.RESHAPE, N=N, C=C, K=C, Y=Y, X=X)
            self.unknown.append(f"{name} ({op})")
            return Layer(name, Op.UNKNOWN, N=N, C=C, K=C, Y=Y, X=X)
        except InputError as exc:
            raise InputError(f"{self.where}: node {name!r} ({op}): {exc}") from None

    def conv(self, node, name: str, in_shape: list[int], out_shape: list[int]) -> Layer:
        a = self.attrs(node)
        if len(in_shape) not in (3, 4):
            raise InputError(f"only 1-D and 2-D convolutions are supported, input shape {in_shape}")
        w = self.shape(node.input[1], name)
        if len(in_shape) == 3:  # 1-D: one row
            in_shape, out_shape, w = [*in_shape[:2], 1, in_shape[2]], [*out_shape[:2], 1, out_shape[2]], [*w[:2], 1, w[2]]
        groups = a.get("group", 1)
        strides = list(a.get("strides", [1] * (len(in_shape) - 2)))
        if len(strides) == 1:
            strides = [1, strides[0]]
        N, C, Y, X = in_shape
        K, Y_out, X_out = out_shape[1:]
        R, S = w[2], w[3]
        bias = len(node.input) > 2 and bool(node.input[2])
        if node.op_type == "ConvTranspose" and not (R % strides[0] or S % strides[1]):
            # sub-pixel form: sy*sx stride-1 phases with an (R/sy)x(S/sx) kernel on the input grid
            R, S = R // strides[0], S // strides[1]
            K, Y_out, X_out = K * strides[0] * strides[1], Y, X
            strides = [1, 1]
        elif node.op_type == "ConvTranspose":
            # GEMM + col2im form: a 1x1 conv giving every kernel tap of every output channel, summed into place after
            K, R, S, Y_out, X_out = K * R * S, 1, 1, Y, X
            strides = [1, 1]
        Y, pad_y = _window(Y, R, strides[0], Y_out)
        X, pad_x = _window(X, S, strides[1], X_out)
        kind = Op.DWCONV if groups == C and groups > 1 and K % C == 0 else Op.CONV
        return Layer(name, kind, N=N, K=K, C=C, Y=Y, X=X, R=R, S=S, stride_y=strides[0], stride_x=strides[1],
                     pad_y=pad_y, pad_x=pad_x, groups=groups, bias=bias)

    def pool(self, node, name: str, in_shape: list[int], out_shape: list[int]) -> Layer:
        a = self.attrs(node)
        kernel = list(a["kernel_shape"])
        strides = list(a.get("strides", [1] * len(kernel)))
        N, C, Y, X = _canonical(in_shape)
        _, _, Y_out, X_out = _canonical(out_shape)
        if len(kernel) == 1:
            kernel, strides = [1, kernel[0]], [1, strides[0]]
        Y, pad_y = _window(Y, kernel[0], strides[0], Y_out)
        X, pad_x = _window(X, kernel[1], strides[1], X_out)
        return Layer(name, POOLS[node.op_type], N=N, C=C, K=C, Y=Y, X=X, R=kernel[0], S=kernel[1],
                     stride_y=strides[0], stride_x=strides[1], pad_y=pad_y, pad_x=pad_x)

    def embedding(self, name: str, inputs: list[str]) -> Layer:
        """Rows of a constant table gathered by token ids: an embedding lookup (C = vocabulary, K = width)."""
        table, ids = self.shape(inputs[0], name), self.shape(inputs[1], name)
        tokens = ids[-1] if ids else 1
        return Layer(name, Op.EMBEDDING, N=math.prod(ids[:-1]), C=table[0], K=table[1], X=tokens, bias=False)

    def gemm(self, node, name: str, inputs: list[str]) -> Layer:
        a = self.attrs(node)
        a_shape, b_shape = self.shape(inputs[0], name), self.shape(inputs[1], name)
        rows, inner = (a_shape[1], a_shape[0]) if a.get("transA", 0) else (a_shape[0], a_shape[1])
        cols = b_shape[0] if a.get("transB", 0) else b_shape[1]
        return Layer(name, Op.FC, N=rows, C=inner, K=cols, bias=len(inputs) > 2)

    def matmul(self, name: str, inputs: list[str]) -> Layer:
        a_shape, b_shape = self.shape(inputs[0], name), self.shape(inputs[1], name)
        a2 = [1, *a_shape] if len(a_shape) == 1 else a_shape
        b2 = [*b_shape, 1] if len(b_shape) == 1 else b_shape
        rows, inner, cols = a2[-2], a2[-1], b2[-1]
        if inputs[1] in self.constants:  # activation times a weight matrix: a token-wise linear layer
            return Layer(name, Op.FC, N=math.prod(a2[:-2]) or 1, C=inner, K=cols, X=rows, bias=False)
        if inputs[0] in self.constants:  # a weight matrix times an activation: the same on the transposed tensor
            return Layer(name, Op.FC, N=math.prod(b2[:-2]) or 1, C=inner, K=rows, X=cols, bias=False)
        lead = math.prod(max(x, y) for x, y in zip(([1] * 8 + a2[:-2])[-8:], ([1] * 8 + b2[:-2])[-8:]))
        return Layer(name, Op.MATMUL, N=lead, C=inner, K=cols, X=rows)


def _fold(model, shapes: dict[str, list[int]]) -> bool:
    """Turn small constant tensors that shape inference did not propagate (shape arithmetic through Cast, Slice,
    Concat, ...) into `Constant` nodes, evaluated with onnx's reference evaluator; True when any was folded."""
    import numpy as np
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    opsets = {o.domain or "": o.version for o in model.opset_import}
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
              if math.prod(t.dims) <= FOLD_ELEMENTS and _has_data(t)}
    folded = False
    for index, node in enumerate(model.graph.node):
        outputs = [t for t in node.output if t]
        if node.op_type == "Constant" or node.domain not in ("", "ai.onnx") or len(outputs) != 1:
            tensor = node.attribute[0].t if node.op_type == "Constant" and node.attribute else None
            if tensor is not None and math.prod(tensor.dims) <= FOLD_ELEMENTS and _has_data(tensor):
                values[outputs[0]] = numpy_helper.to_array(tensor)
            continue
        inputs = [t for t in node.input if t]
        if node.op_type == "Shape" and inputs[0] in shapes:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            result = np.array(shapes[inputs[0]], dtype=np.int64)[attrs.get("start", 0):attrs.get("end", None)]
        elif node.op_type == "Size" and inputs[0] in shapes:
            result = np.array(math.prod(shapes[inputs[0]]), dtype=np.int64)
        elif inputs and all(t in values for t in inputs) and math.prod(shapes.get(outputs[0], [0])) <= FOLD_ELEMENTS:
            try:
                result = ReferenceEvaluator(node, opsets=opsets).run(None, {t: values[t] for t in inputs})[0]
            except Exception:  # an op the reference evaluator lacks: its output stays unknown
                continue
        else:
            continue
        result = np.asarray(result)
        if result.size > FOLD_ELEMENTS:
            continue
        values[outputs[0]] = result
        if outputs[0] not in shapes or list(result.shape) != shapes[outputs[0]] or node.op_type != "Constant":
            model.graph.node[index].CopyFrom(helper.make_node("Constant", [], outputs, name=node.name,
                                                              value=numpy_helper.from_array(result)))
            folded = True
    return folded


def _negative_dims(info) -> bool:
    return any(d.HasField("dim_value") and d.dim_value <= 0 for d in info.type.tensor_type.shape.dim)


def _has_data(tensor) -> bool:
    return any(len(getattr(tensor, f)) for f in ("raw_data", "float_data", "int32_data", "int64_data",
                                                   "double_data", "uint64_data"))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def from_onnx(path: str | Path, batch: int | None = None, input_shapes: dict[str, tuple[int, ...]] | None = None,
              shape_option: str = "--input-shape") -> Workload:
    """Import the ONNX model at `path` (see the module docstring for `batch` and `input_shapes`); `shape_option`
    names the option or config key that gives input shapes, for error messages."""
    importer = _Importer(Path(path), batch, input_shapes or {}, shape_option)
    workload = importer.run()
    if importer.fixed_batch is not None and batch is not None:
        workload = rebatch(workload, batch, importer.fixed_batch, importer.where)
    return workload
