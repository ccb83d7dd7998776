"""ONNX import of the shape rules real exporters use, on small models built here (MACs counted by hand)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from dse.errors import InputError
from dse.workload.layer import Op
from dse.workload.onnx_import import from_onnx
from dse.workload.source import load_workload


def model(tmp_path, nodes, x_shape, y_shape, inits=(), name="m", inputs=None):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)
    graph = helper.make_graph(nodes, name, inputs or [x], [y], list(inits))
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def weight(name, shape):
    return numpy_helper.from_array(np.ones(shape, dtype=np.float32), name)


def test_ceil_mode_pool_takes_the_larger_output(tmp_path):
    node = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    layer = from_onnx(model(tmp_path, [node], [1, 4, 6, 6], None)).layer("pool")
    assert (layer.Y_out, layer.X_out) == (3, 3)  # floor mode would give 2x2
    assert layer.flops == 4 * 3 * 3 * 9  # outputs x window


def test_same_upper_even_kernel_and_dilations_count_the_macs_of_the_declared_output(tmp_path):
    same = helper.make_node("Conv", ["x", "w"], ["a"], name="same", auto_pad="SAME_UPPER", kernel_shape=[2, 2])
    dil = helper.make_node("Conv", ["a", "v"], ["y"], name="dil", dilations=[2, 2], kernel_shape=[3, 3])
    w = from_onnx(model(tmp_path, [same, dil], [1, 3, 9, 9], None, [weight("w", (8, 3, 2, 2)),
                                                                    weight("v", (4, 8, 3, 3))]))
    assert (w.layer("same").Y_out, w.layer("same").macs) == (9, 8 * 3 * 4 * 81)  # pads (0, 1): asymmetric
    assert (w.layer("dil").Y_out, w.layer("dil").macs) == (5, 4 * 8 * 9 * 25)  # 9 - 2*(3-1) = 5 rows
    assert w.has_edge("same", "dil")


def test_grouped_conv_and_gemm_transposes(tmp_path):
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="grouped", group=2, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    flat = helper.make_node("Flatten", ["c"], ["f"], name="flat")
    tr = helper.make_node("Transpose", ["f"], ["t"], name="tr", perm=[1, 0])
    gemm = helper.make_node("Gemm", ["t", "b"], ["y"], name="fc", transA=1, transB=1)
    w = from_onnx(model(tmp_path, [conv, flat, tr, gemm], [2, 4, 4, 4], None,
                        [weight("w", (6, 2, 3, 3)), weight("b", (10, 96))]))
    assert w.layer("grouped").macs == 2 * 6 * 2 * 9 * 16 and w.layer("grouped").op is Op.CONV
    fc = w.layer("fc")
    assert (fc.N, fc.C, fc.K, fc.macs) == (2, 96, 10, 2 * 96 * 10)
    assert w.layer("flat").flops == 0 and w.layer("tr").flops == 0


def test_conv_transpose_counts_the_macs_that_touch_inputs(tmp_path):
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", kernel_shape=[2, 2], strides=[2, 2])
    layer = from_onnx(model(tmp_path, [node], [1, 4, 5, 5], None, [weight("w", (4, 3, 2, 2))])).layer("up")
    assert layer.macs == 4 * 3 * 2 * 2 * 5 * 5  # each input pixel meets each kernel tap once
    assert layer.output_elements == 3 * 10 * 10


def test_attention_matmul_of_two_activations(tmp_path):
    q = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 8, 16])
    k = helper.make_tensor_value_info("k", TensorProto.FLOAT, [2, 4, 16, 8])
    node = helper.make_node("MatMul", ["x", "k"], ["y"], name="qk")
    layer = from_onnx(model(tmp_path, [node], None, None, inputs=[q, k])).layer("qk")
    assert (layer.op, layer.N, layer.macs, layer.params) == (Op.MATMUL, 8, 8 * 8 * 16 * 8, 0)


def test_weights_and_shapes_computed_from_constants_make_no_layer(tmp_path):
    nodes = [
        helper.make_node("Constant", [], ["wshape"], value=numpy_helper.from_array(np.array([8, 3, 3, 3], np.int64))),
        helper.make_node("ConstantOfShape", ["wshape"], ["w0"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.5])),
        helper.make_node("Identity", ["w0"], ["w"]),
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("Shape", ["c"], ["s"]),
        helper.make_node("Cast", ["s"], ["sf"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["sf"], ["si"], to=TensorProto.INT64),
        helper.make_node("Slice", ["si", "zero", "one"], ["n"]),
        helper.make_node("Concat", ["n", "minus"], ["target"], axis=0),
        helper.make_node("Reshape", ["c", "target"], ["r"], name="reshape"),
        helper.make_node("Dropout", ["r"], ["d"], name="drop"),
        helper.make_node("HardSwish", ["d"], ["y"], name="hswish"),
    ]
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
             (("zero", [0]), ("one", [1]), ("minus", [-1]))]
    w = from_onnx(model(tmp_path, nodes, [2, 3, 6, 6], None, inits))
    assert sorted(w.nodes) == ["conv", "drop", "hswish", "reshape"]
    conv = w.layer("conv")
    assert conv.params == 8 * 3 * 9 and conv.macs == 2 * 8 * 3 * 9 * 16
    assert list(w.edges) == [("conv", "reshape"), ("reshape", "drop"), ("drop", "hswish")]
    assert w.layer("drop").flops == 0 and w.layer("hswish").flops == 5 * 2 * 8 * 16


def test_resize_is_shape_only_and_keeps_the_edge(tmp_path):
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["u"], name="up", mode="nearest"),
             helper.make_node("Relu", ["u"], ["y"], name="relu")]
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    w = from_onnx(model(tmp_path, nodes, [1, 4, 5, 5], None, [scales]))
    assert w.layer("up").flops == 0 and w.layer("relu").input_elements == 4 * 10 * 10
    assert w.edges["up", "relu"]["kind"] == "data"


def test_input_shape_rules(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    path = model(tmp_path, [node], ["batch", 3, "h", "w"], None)
    with pytest.raises(InputError, match=r"input 'x' dim 2 \(h\) is dynamic; give its value with --input-shape "
                                         r"x=batch,3,h,w"):
        from_onnx(path)
    assert from_onnx(path, input_shapes={"": (1, 3, 8, 8)}).layer("relu").input_elements == 3 * 64
    with pytest.raises(InputError, match="dim 1 is fixed at 3 in the model, got 4"):
        from_onnx(path, input_shapes={"x": (1, 4, 8, 8)})
    with pytest.raises(InputError, match="names input 'img', which the model does not have; its inputs: x"):
        load_workload(str(path), input_shapes=["img=1,3,8,8"])
    # --batch fills the dynamic batch dim; NAME= may be left out with one input
    assert load_workload(str(path), batch=4, input_shapes="1,3,8,8").layer("relu").N == 1
    assert load_workload(str(path), batch=4, input_shapes="x=4,3,8,8").layer("relu").N == 4
    with pytest.raises(InputError, match="--seq-len does not apply to an ONNX file"):
        load_workload(str(path), seq_len=16, input_shapes="1,3,8,8")
    with pytest.raises(InputError, match=r"input x: dim: must be an integer in \[1, 2147483648\], got -8"):
        load_workload(str(path), input_shapes="x=1,3,-8,8")


def test_a_fixed_batch_scales_with_batch(tmp_path):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[1, 1])
    path = model(tmp_path, [node], [1, 3, 4, 4], None, [weight("w", (2, 3, 1, 1))])
    assert from_onnx(path, batch=8).layer("conv").macs == 8 * from_onnx(path).layer("conv").macs


def test_a_large_file_is_read_without_its_weight_bytes(tmp_path):
    """The wire-level reader drops tensor data above KEEP_BYTES yet keeps every dim the import needs."""
    from dse.workload.onnx_slim import KEEP_BYTES, load_shapes_only

    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3])
    big = weight("w", (64, 64, 3, 3))  # 147 kB of float32
    assert big.ByteSize() > KEEP_BYTES
    path = model(tmp_path, [node], [1, 64, 8, 8], None, [big])
    slim = load_shapes_only(path)
    assert list(slim.graph.initializer[0].dims) == [64, 64, 3, 3] and not slim.graph.initializer[0].raw_data
    assert slim.ByteSize() < 2000
    assert from_onnx(path).layer("conv").params == 64 * 64 * 9


def test_truncated_file_is_one_input_error(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    path = model(tmp_path, [node], [1, 3, 8, 8], None)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(InputError, match="cannot be read"):
        from_onnx(path)


def test_a_gather_from_a_constant_table_is_an_embedding(tmp_path):
    ids = helper.make_tensor_value_info("x", TensorProto.INT64, [2, 5])
    nodes = [helper.make_node("Gather", ["table", "x"], ["e"], name="embed"),
             helper.make_node("MatMul", ["e", "w"], ["y"], name="proj")]
    w = from_onnx(model(tmp_path, nodes, None, None, [weight("table", (100, 16)), weight("w", (16, 8))],
                        inputs=[ids]))
    embed = w.layer("embed")
    assert (embed.op, embed.N, embed.X, embed.params, embed.output_elements) == (Op.EMBEDDING, 2, 5, 1600, 160)
    assert w.layer("proj").macs == 2 * 5 * 16 * 8 and w.has_edge("embed", "proj")


def test_conv_transpose_with_a_kernel_not_a_multiple_of_its_stride(tmp_path):
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", kernel_shape=[3, 3], strides=[2, 2],
                            pads=[1, 1, 1, 1], output_padding=[1, 1])
    w = from_onnx(model(tmp_path, [node], [1, 4, 5, 5], None, [weight("w", (4, 3, 3, 3))]))
    assert w.layer("up").macs == 4 * 3 * 3 * 3 * 5 * 5  # (5-1)*2 - 2 + 3 + 1 = 10 rows out; MACs from the input grid
