"""ONNX import on small models built here with onnx.helper (nothing downloaded)."""

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from dse.errors import InputError
from dse.workload.layer import Op
from dse.workload.onnx_import import from_onnx


def weight(name, *shape):
    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def save(tmp_path, nodes, inputs, outputs, inits, name="m"):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def small_cnn(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["n1"], name="bn1"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "p1"], ["a2"], name="skip"),
        helper.make_node("Mul", ["a2", "a2"], ["m2"], name="square"),
        helper.make_node("Concat", ["m2", "a2"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax"),
    ]
    inits = [weight("w1", 16, 3, 3, 3), weight("b1", 16), weight("g", 16), weight("be", 16), weight("mu", 16),
             weight("var", 16), weight("w2", 16, 16, 3, 3), weight("wf", 10, 32), weight("bf", 10)]
    return save(tmp_path, nodes, [x], [y], inits, "cnn")


def test_small_cnn_macs_and_edges_by_hand(tmp_path):
    w = from_onnx(small_cnn(tmp_path), batch=2)
    conv1, conv2, fc = w.layer("conv1"), w.layer("conv2"), w.layer("fc")
    assert conv1.macs == 2 * 16 * 3 * 32 * 32 * 9
    assert conv2.macs == 2 * 16 * 16 * 16 * 16 * 9
    assert (fc.N, fc.C, fc.K, fc.macs) == (2, 32, 10, 2 * 32 * 10)
    assert conv1.params == 16 * 27 + 16 and conv2.params == 16 * 144
    assert w.layer("pool1").Y_out == 16
    assert w.layer("cat").K == 32
    assert w.has_edge("pool1", "skip") and w.has_edge("conv2", "skip")
    assert w.edges["relu1", "pool1"]["bytes"] == 2 * 16 * 32 * 32 * 4
    assert {l.op for l in w.layers()} >= {Op.CONV, Op.BATCHNORM, Op.ACTIVATION, Op.MAXPOOL, Op.ADD, Op.MUL,
                                          Op.CONCAT, Op.AVGPOOL, Op.RESHAPE, Op.FC, Op.SOFTMAX}


def test_attention_matmuls_layernorm_and_transpose(tmp_path):
    # x: [1, 8 tokens, 16 features]; q = x Wq; scores = q k^T with k = x Wk transposed
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8])
    nodes = [
        helper.make_node("LayerNormalization", ["x", "g", "b"], ["n"], name="ln", axis=-1),
        helper.make_node("MatMul", ["n", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["n", "wk"], ["k"], name="k_proj"),
        helper.make_node("Transpose", ["k"], ["kt"], name="k_t", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
        helper.make_node("Softmax", ["s"], ["y"], name="softmax", axis=-1),
    ]
    path = save(tmp_path, nodes, [x], [y], [weight("g", 16), weight("b", 16), weight("wq", 16, 16),
                                             weight("wk", 16, 16)], "attn")
    w = from_onnx(path)
    assert w.layer("q_proj").op is Op.FC and w.layer("q_proj").macs == 8 * 16 * 16
    qk = w.layer("qk")
    assert qk.op is Op.MATMUL and qk.macs == 8 * 8 * 16 and qk.params == 0
    assert w.layer("ln").params == 2 * 16
    assert len(w.compute_layers()) == 3


def test_unknown_ops_are_kept_and_reported_in_one_warning(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    nodes = [helper.make_node("Round", ["x"], ["e"], name="erf"), helper.make_node("Neg", ["e"], ["n"], name="neg"),
             helper.make_node("Relu", ["n"], ["y"], name="relu")]
    path = save(tmp_path, nodes, [x], [y], [], "odd")
    with pytest.warns(UserWarning) as record:
        w = from_onnx(path)
    assert len(record) == 1
    assert "erf (Round)" in str(record[0].message) and "neg (Neg)" in str(record[0].message)
    assert w.layer("erf").op is Op.UNKNOWN and w.layer("erf").flops == 0
    assert w.has_edge("erf", "neg") and w.has_edge("neg", "relu")


def test_missing_and_corrupt_files_give_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        from_onnx(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07this is not protobuf\xff\xff")
    with pytest.raises(InputError, match="bad.onnx"):
        from_onnx(bad)


def test_cli_shows_an_onnx_file_and_rejects_a_corrupt_one(tmp_path):
    path = small_cnn(tmp_path)
    ok = subprocess.run([sys.executable, "-m", "dse", "workload", "show", str(path), "--json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert '"layers": 3' in ok.stdout
    bad = tmp_path / "corrupt.onnx"
    bad.write_text("garbage")
    proc = subprocess.run([sys.executable, "-m", "dse", "workload", "show", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "corrupt.onnx" in proc.stderr and "Traceback" not in proc.stderr


def test_cyclic_onnx_graph_exits_2_naming_the_cycle(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Relu", ["b"], ["y"], name="out")]
    graph = helper.make_graph(nodes, "loop", [x], [y], value_info=[a, b])
    path = tmp_path / "loop.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    proc = subprocess.run([sys.executable, "-m", "dse", "workload", "show", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "cycle" in proc.stderr and "first" in proc.stderr and "second" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
