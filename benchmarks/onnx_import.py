"""Seconds and peak memory of importing a large ONNX file, which dse needs only the shapes of.

    python benchmarks/onnx_import.py [--scale 1.0] [--stage import|load] [--runs 3]

Builds a VGG-19-shaped model (16 convs, 3 FC layers, 143.7 M float32 parameters = 575 MB of initializers at
scale 1.0) in a temporary folder, then imports it `--runs` times, each in a fresh process, and prints the wall time
and CPU time (Python start-up and module imports excluded: on a shared machine the wall time also holds the
time spent waiting for a core) and that process's peak resident memory (getrusage ru_maxrss).
`--stage load` times `onnx.load` alone, for comparison.
Target: under 2 s and under 1 GB for the full-size file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
TARGET_S, TARGET_MB = 2.0, 1024

CHILD = """
import time
begin = time.perf_counter()
import resource, sys, warnings
import onnx, onnx.reference, onnx.shape_inference
from dse.workload.onnx_import import from_onnx
stage, path = sys.argv[1], sys.argv[2]
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start, start_cpu = time.perf_counter(), cpu()
if stage == "load":
    onnx.load(path)
    macs = 0
else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs = from_onnx(path).totals()["macs"]
print(time.perf_counter() - start, cpu() - start_cpu, start - begin, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, macs)
"""


def build(path: Path, scale: float) -> int:
    """Write the model; returns its parameter count. Weights are zeros: their values do not matter, their bytes do."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    channels, size, x, params = 3, 224, "input", 0

    def weight(name: str, shape: tuple[int, ...]) -> str:
        nonlocal params
        inits.append(numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name))
        params += int(np.prod(shape))
        return name

    for i, item in enumerate(VGG19):
        if item == "M":
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x, size = f"p{i}", size // 2
            continue
        width = max(1, int(item * scale))
        w, b = weight(f"w{i}", (width, channels, 3, 3)), weight(f"b{i}", (width,))
        nodes += [helper.make_node("Conv", [x, w, b], [f"c{i}"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"])]
        x, channels = f"r{i}", width
    nodes.append(helper.make_node("Flatten", [x], ["flat"]))
    x, features = "flat", channels * size * size
    for j, out in enumerate([int(4096 * scale), int(4096 * scale), 1000]):
        w, b = weight(f"fc{j}_w", (out, features)), weight(f"fc{j}_b", (out,))
        nodes.append(helper.make_node("Gemm", [x, w, b], [f"fc{j}"], transB=1))
        x, features = f"fc{j}", out
    graph = helper.make_graph(nodes, "vgg19", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                             [1, 3, 224, 224])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 1000])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return params


def measure(stage: str, path: Path) -> tuple[float, float, float, float, int]:
    """(wall seconds, CPU seconds, module import seconds, peak MB, MACs) of one import in a fresh process. The process is started from a small parent: Linux
    keeps ru_maxrss across fork and exec, so a parent holding the model would inflate the child's figure."""
    out = subprocess.run([sys.executable, "-c", CHILD, stage, str(path)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), float(out[3]), int(out[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="channel width scale (1.0 = VGG-19)")
    parser.add_argument("--stage", choices=("import", "load"), default="import")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--build", help=argparse.SUPPRESS)  # internal: write the model to this path and exit
    args = parser.parse_args()
    if args.build:
        print(build(Path(args.build), args.scale))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vgg19.onnx"
        params = int(subprocess.run([sys.executable, __file__, "--scale", str(args.scale), "--build", str(path)],
                                    check=True, capture_output=True, text=True).stdout)
        os.sync()  # time the import, not the writeback of the file just written
        size_mb = path.stat().st_size / 2**20
        print(f"file {size_mb:.0f} MB, {params / 1e6:.1f} M parameters; stage {args.stage}")
        for run in range(args.runs):
            seconds, cpu, modules, peak_mb, macs = measure(args.stage, path)
            print(f"run {run + 1}: seconds {seconds:.2f} wall, {cpu:.2f} CPU (target < {TARGET_S}; importing onnx "
                  f"and dse first took {modules:.2f} s wall), peak memory {peak_mb:.0f} MB "
                  f"(target < {TARGET_MB})" + (f", {macs / 1e9:.2f} GMAC" if macs else ""))


if __name__ == "__main__":
    main()
