"""Writes tiny_cnn.onnx beside this script: a small detector-style CNN with dynamic height and width, the way
OCR and detection exporters leave them, for the README's and docs' example command lines.

    python docs/examples/make_tiny_cnn.py
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    rng = np.random.default_rng(0)
    inits, nodes, x, channels = [], [], "image", 3
    for i, (width, stride) in enumerate([(16, 2), (32, 2), (32, 1), (64, 2)]):
        w = f"conv{i}.weight"
        inits.append(numpy_helper.from_array(rng.standard_normal((width, channels, 3, 3)).astype(np.float32), w))
        nodes += [helper.make_node("Conv", [x, w], [f"c{i}"], name=f"conv{i}", kernel_shape=[3, 3],
                                   strides=[stride, stride], pads=[1, 1, 1, 1]),
                  helper.make_node("HardSwish", [f"c{i}"], [f"a{i}"], name=f"act{i}")]
        x, channels = f"a{i}", width
    inits.append(numpy_helper.from_array(rng.standard_normal((4, channels, 1, 1)).astype(np.float32), "head.weight"))
    nodes += [helper.make_node("Conv", [x, "head.weight"], ["logits"], name="head", kernel_shape=[1, 1]),
              helper.make_node("Resize", ["logits", "", "scales"], ["map"], name="upsample", mode="nearest"),
              helper.make_node("Sigmoid", ["map"], ["score"], name="score")]
    inits.append(numpy_helper.from_array(np.array([1, 1, 8, 8], np.float32), "scales"))
    graph = helper.make_graph(
        nodes, "tiny_cnn", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 4, "height", "width"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dse docs")
    onnx.checker.check_model(model)
    onnx.save(model, str(Path(__file__).with_name("tiny_cnn.onnx")))


if __name__ == "__main__":
    main()
