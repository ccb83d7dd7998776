"""Fuzz the model and design files a user hands to a command: ONNX models (mutated protobuf bytes and mutated shapes
and attributes of a small valid model), tiling records (`dse hls generate --tiling`) and MAESTRO `.m` mapping and
hardware files (`dse maestro`). Each must end in exit 0 or exit 2 with one line naming the file."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import onnx
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from onnx import AttributeProto, TensorProto, helper, numpy_helper

from .harness import check_run, run_cli, workspace, write_input
from .mutate import damaged_text, dump, mutated_tokens, yaml_files


TILING = yaml.safe_load((Path(__file__).parents[1] / "hls" / "fixtures" / "pynq_small.yaml").read_text())

MAPPING = """Network small {
Layer conv1 {
Type: CONV
Stride { X: 1, Y: 1 }
Dimensions { K: 16, C: 3, R: 3, S: 3, Y: 34, X: 34 }
Dataflow {
SpatialMap(1,1) K;
TemporalMap(64,64) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(8,P);
SpatialMap(1,1) C;
}
}
Layer fc2 {
Type: CONV
Dimensions { K: 10, C: 64, R: 1, S: 1, Y: 1, X: 1 }
Dataflow {
SpatialMap(1,1) K;
TemporalMap(1,1) C;
}
}
}
"""
HARDWARE = "num_pes: 64\nl1_size_cstr: 512\nl2_size_cstr: 108000\nnoc_bw_cstr: 64\noffchip_bw_cstr: 16\n"


def _model() -> onnx.ModelProto:
    """A small CNN (conv, relu, max-pool, flatten, gemm) with a symbolic batch."""
    def weight(name: str, *shape: int):
        return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], strides=[1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p1"], ["flat"], name="flat"),
             helper.make_node("Gemm", ["flat", "wf", "bf"], ["y"], name="fc", transB=1)]
    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("wf", 10, 512), weight("bf", 10)]
    graph = helper.make_graph(nodes, "small", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


MODEL = _model()
DIMS = [0, -1, 1, 2, 3, 7, 2**31, 2**40, 2**62]


@st.composite
def mutated_model(draw: st.DrawFn) -> bytes:
    """The model with one shape or attribute made wrong, or its bytes damaged."""
    model = copy.deepcopy(MODEL)
    graph = model.graph
    kind = draw(st.sampled_from(["input_dim", "weight_dims", "attribute", "op_type", "drop_initializer",
                                 "rename_input", "bytes"]))
    if kind == "input_dim":
        dim = graph.input[0].type.tensor_type.shape.dim[draw(st.integers(0, 3))]
        if draw(st.booleans()):
            dim.dim_value = draw(st.sampled_from(DIMS) | st.integers(-10, 2**63 - 1))
        else:
            dim.dim_param = draw(st.text(max_size=4))
    elif kind == "weight_dims":
        init = graph.initializer[draw(st.integers(0, len(graph.initializer) - 1))]
        dims = draw(st.lists(st.sampled_from(DIMS), min_size=0, max_size=5))
        del init.dims[:]
        init.dims.extend(dims)
        init.raw_data = b""
    elif kind == "attribute":
        node = graph.node[draw(st.sampled_from([0, 2, 4]))]
        name = draw(st.sampled_from(["pads", "strides", "kernel_shape", "group", "transB", "dilations", "axis"]))
        value = draw(st.lists(st.sampled_from(DIMS), min_size=0, max_size=5) | st.sampled_from(DIMS)
                     | st.text(max_size=3) | st.floats(allow_nan=True))
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        typed = {"attr_type": AttributeProto.INTS} if value == [] else {}  # an empty list has no type of its own
        node.attribute.extend([*kept, helper.make_attribute(name, value, **typed)])
    elif kind == "op_type":
        graph.node[draw(st.integers(0, len(graph.node) - 1))].op_type = draw(
            st.sampled_from(["Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "Concat", "Add", "Softmax",
                             "LayerNormalization", "Reshape", "GlobalAveragePool", "Nope", ""]))
    elif kind == "drop_initializer":
        del graph.initializer[draw(st.integers(0, len(graph.initializer) - 1))]
    elif kind == "rename_input":
        node = graph.node[draw(st.integers(0, len(graph.node) - 1))]
        node.input[draw(st.integers(0, len(node.input) - 1))] = draw(st.sampled_from(["", "missing", "y", "c1"]))
    data = model.SerializeToString()
    if kind == "bytes":
        cut = draw(st.integers(0, len(data)))
        junk = draw(st.binary(max_size=16))
        data = data[:cut] + junk + data[cut + draw(st.integers(0, 16)):]
    return data


def _dim_named(name: str) -> bytes:
    model = copy.deepcopy(MODEL)
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = name
    return model.SerializeToString()


@given(data=mutated_model())
@example(data=_dim_named("h\nw"))  # a dynamic dim's name with a newline: the message was two lines
@example(data=_dim_named("\x1b["))  # an escape character in a name reaching stderr
def test_onnx_file(data: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "m.onnx", data)
        run = run_cli(["workload", "show", "in/m.onnx", "--json"], folder)
        check_run(run, ["in/m.onnx"])


def _tiling(value: object, key: str, layer: int | None = None) -> bytes:
    """TILING with one field (of one layer) replaced, as the file's bytes."""
    doc = copy.deepcopy(TILING)
    (doc if layer is None else doc["layers"][layer])[key] = value
    return dump(doc).encode()


@given(data=yaml_files(TILING))
@example(data=_tiling(23236454, "P", 0))  # a padding larger than the input: numpy's "negative dimensions" ValueError
@example(data=_tiling(6816618720794312.0, "K", 0))  # a kernel of 7e15: still running after 60 s
@example(data=_tiling(8000000.0, "batch"))  # 8e6 images of synthetic training data: MemoryError
@example(data=_tiling(194693632.0, "R", 2))  # fc3 with 2e8 output rows: a row-by-row scan ran past 60 s
@example(data=_tiling("", "board"))  # an unknown board: the message did not name the tiling file
@example(data=_tiling(1000000, "batch"))  # the largest batch: its input region outgrows the kernel's int indices
def test_tiling_record(data: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "tiling.yaml", data)
        run = run_cli(["hls", "generate", "--tiling", "in/tiling.yaml", "--out", "out"], folder)
        check_run(run, ["in/tiling.yaml"])


@given(mapping=mutated_tokens(MAPPING), hardware=st.just(HARDWARE.encode()) | mutated_tokens(HARDWARE))
# a cluster level without a SpatialMap: the model's message did not name the file
@example(mapping=MAPPING.replace("SpatialMap(1,1) C;", "TemporalMap(1,1) C;").encode(), hardware=HARDWARE.encode())
@example(mapping=MAPPING.replace("K: 16", "K: \u00b2").encode(), hardware=HARDWARE.encode())  # '²'.isdigit(): int() ValueError
# a map size beyond int64: OverflowError where the model stacks the layers' numbers into int64 arrays
@example(mapping=MAPPING.replace("TemporalMap(64,64) C", "TemporalMap(99999999999999999999,64) C").encode(),
         hardware=HARDWARE.encode())
def test_maestro_files(mapping: bytes, hardware: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "net.m", mapping)
        write_input(folder, "hw.m", hardware)
        run = run_cli(["maestro", "in/net.m", "--hw", "in/hw.m", "--out", "out"], folder)
        check_run(run, ["in/net.m", "in/hw.m"])


@given(text=damaged_text("K: 4\n"))
def test_maestro_dataflow_file_of_workload_export(text: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "flow.txt", text)
        run = run_cli(["workload", "export", "lenet10", "--maestro", "out", "--dataflow", "in/flow.txt"], folder)
        check_run(run, ["in/flow.txt"])
