"""Real exported ONNX files that PyPI packages of the `test` extra ship, imported and checked against an independent
MAC counter (onnx-tool).

- The onnx package's "light" models: public model-zoo networks (ResNet-50, Inception v1, VGG-19, SqueezeNet, ...)
  whose weights come from ConstantOfShape nodes instead of initializers; Inception v1 pools with ceil_mode=1.
- rapidocr-onnxruntime's PP-OCRv4 text detector (input [?, 3, ?, ?], DBNet head with ConvTranspose) and text
  recogniser (SVTR neck: multi-head self-attention, batched MatMul of two activations), exported by paddle2onnx.

onnx-tool counts a Conv or Gemm bias add as one more MAC per output element; dse counts multiply-accumulates of
the reduction only, so the bias part is taken off onnx-tool's figure before comparing. onnx-tool counts a
ConvTranspose as output elements x (output channels / groups) x kernel, which is not the multiply-accumulates that
touch real inputs, so transposed convs are checked by hand in test_onnx_shapes.py instead.
"""

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnx_tool
import pytest

from dse.errors import InputError
from dse.workload.layer import Op
from dse.workload.onnx_import import from_onnx

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def rapidocr(name: str) -> Path:
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    assert spec is not None, "rapidocr-onnxruntime (test extra) is not installed: pip install '.[test]'"
    return Path(spec.origin).parent / "models" / name


DET, REC = "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"
CASES = [
    (lambda: LIGHT / "light_resnet50.onnx", None),
    (lambda: LIGHT / "light_inception_v1.onnx", None),
    (lambda: LIGHT / "light_vgg19.onnx", None),
    (lambda: LIGHT / "light_squeezenet.onnx", None),
    (lambda: rapidocr(DET), (1, 3, 320, 320)),
    (lambda: rapidocr(REC), (1, 3, 48, 320)),
]
MAC_OPS = ("Conv", "Gemm", "MatMul")


def imported(path: Path, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the recogniser's ReduceMean/Sqrt are reported, and cost nothing here
        return from_onnx(path, input_shapes={"": shape} if shape else None)


def onnx_tool_macs(path: Path, shape) -> dict[str, tuple[str, int, bool]]:
    """node name -> (op, MACs, has a bias input) as onnx-tool profiles the model at `shape`."""
    graph = onnx_tool.Model(str(path)).graph
    graph.shape_infer({graph.input[0]: np.zeros(shape, np.float32)} if shape else None)
    graph.profile()
    out = {}
    for name, node in graph.nodemap.items():
        if node.op_type in MAC_OPS:
            macs = node.macs[0] if isinstance(node.macs, (list, tuple)) else node.macs
            out[name] = (node.op_type, int(macs), len(node.input) > 2)
    return out


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda i: ["resnet50", "inception_v1", "vgg19",
                                                                    "squeezenet", "ppocr_det", "ppocr_rec"][i])
def test_macs_agree_with_onnx_tool_within_one_percent(case):
    locate, shape = CASES[case]
    path = locate()
    workload = imported(path, shape)
    reference = onnx_tool_macs(path, shape)
    assert reference, "onnx-tool found no conv/gemm/matmul"
    ours = theirs = 0
    for name, (_, macs, bias) in reference.items():
        layer = workload.layer(name)
        theirs += macs - (layer.output_elements if bias else 0)
        ours += layer.macs
    assert ours == pytest.approx(theirs, rel=0.01)
    # and every MAC dse counts sits in one of those nodes (or a ConvTranspose): nothing is counted twice
    counted = sum(workload.layer(n).macs for n in workload.nodes
                  if workload.nodes[n]["onnx_op"] in MAC_OPS + ("ConvTranspose",))
    assert counted == workload.totals()["macs"]


def test_weights_from_constant_of_shape_make_weighted_layers():
    workload = imported(LIGHT / "light_resnet50.onnx", None)
    assert not any(workload.nodes[n]["onnx_op"] == "ConstantOfShape" for n in workload.nodes)
    convs = [l for l in workload.compute_layers() if l.op is Op.CONV]
    assert len(convs) == 53 and all(l.params > 0 for l in convs)
    # ResNet-50: 25.5 M parameters in conv and FC weights (He et al.; torchvision lists 25,557,032)
    assert sum(l.params for l in workload.compute_layers()) == pytest.approx(25.557e6, rel=0.01)


def test_inception_v1_pools_keep_the_output_the_model_declares():
    workload = imported(LIGHT / "light_inception_v1.onnx", None)
    pools = [l for l in workload.layers() if l.op in (Op.MAXPOOL, Op.AVGPOOL)]
    assert (pools[0].Y, pools[0].R, pools[0].stride_y, pools[0].Y_out) == (112, 3, 2, 55)
    # the last pool is 7x7 over a 6x6 map, which ONNX says gives 1x1: the window reads 7 rows, one of them padding
    assert (pools[-1].R, pools[-1].Y_out, pools[-1].X_out) == (7, 1, 1)
    assert workload.compute_layers()[-1].K == 1000


def test_dynamic_dims_need_an_input_shape_and_the_error_says_how():
    with pytest.raises(InputError, match=r"input 'x' dim 2 \(p2o.DynamicDimension.1\) is dynamic; give its value with --input-shape x="):
        from_onnx(rapidocr(DET))


def test_dynamic_dims_take_the_given_shape():
    small, large = imported(rapidocr(DET), (1, 3, 320, 320)), imported(rapidocr(DET), (1, 3, 640, 640))
    # a fully convolutional detector: 4x the pixels, 4x the MACs, but for its squeeze-excite FCs on pooled maps
    assert large.totals()["macs"] == pytest.approx(4 * small.totals()["macs"], rel=1e-3)
    assert large.totals()["macs"] != 4 * small.totals()["macs"]


def test_recogniser_attention_is_a_matmul_of_two_activations():
    workload = imported(rapidocr(REC), (1, 3, 48, 320))
    attention = [l for l in workload.layers() if l.op is Op.MATMUL]
    assert attention and all(l.params == 0 for l in attention)
    # the batch dim of the input is dynamic: --batch fills it, and every MAC scales with it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = from_onnx(rapidocr(REC), batch=4, input_shapes={"": (4, 3, 48, 320)})
    assert batched.totals()["macs"] == 4 * workload.totals()["macs"]
