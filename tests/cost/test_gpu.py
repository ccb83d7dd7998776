"""Mobile-GPU roofline: a GEMM worked by hand on the Jetson Nano, the roofline invariants, bad input."""

import numpy as np
import pytest

from dse.cost.gpu import evaluate, layer_costs
from dse.errors import InputError
from dse.hw.gpu import known_gpus, load_gpu
from dse.resources import accelerators
from dse.workload import build, training
from dse.workload.graph import Workload
from dse.workload.layer import COMPUTE_OPS, Layer, Op


def gemm(tokens: int, k: int = 1024, c: int = 1024) -> Workload:
    w = Workload(name="gemm")
    w.add_layer(Layer("fc", Op.FC, N=tokens, K=k, C=c))
    return w


def test_memory_bound_gemm_by_hand():
    # Jetson Nano, 10 W mode, fp16 (accelerators/gpu/jetson-nano.yaml): 512 FLOP/cycle x 921.6 MHz, GEMM efficiency
    # 0.55, 25.6 GB/s at 70%, 20 us launch, idle 1.25 W, mode 10 W.
    flops = 2 * 1024 * 1024
    bytes_ = (1024 + 1024 * 1024 + 1024 + 1024) * 2  # input, weights + bias, output, at 2 B
    t_compute = flops / (512 * 921.6e6 * 0.55)
    t_memory = bytes_ / (25.6e9 * 0.70)
    assert t_memory > t_compute
    seconds = t_memory + 2e-5
    energy = 1.25 * seconds + (10 - 1.25) * t_memory
    cost = evaluate(gemm(1), load_gpu("jetson-nano"), "fp16")
    assert cost.seconds == pytest.approx(seconds, rel=1e-12)
    assert cost.energy_j == pytest.approx(energy, rel=1e-12)
    assert cost.dram_bytes == bytes_


def test_compute_bound_gemm_by_hand_and_power_modes():
    flops = 2 * 512 * 1024 * 1024
    t10 = flops / (512 * 921.6e6 * 0.55)
    t5 = flops / (512 * 640e6 * 0.55)  # the 5 W mode clocks the GPU at 640 MHz
    nano = load_gpu("jetson-nano")
    assert evaluate(gemm(512), nano, "fp16").seconds == pytest.approx(t10 + 2e-5, rel=1e-12)
    five = evaluate(gemm(512), nano, "fp16", "5W")
    assert five.seconds == pytest.approx(t5 + 2e-5, rel=1e-12)
    assert five.energy_j == pytest.approx(1.25 * (t5 + 2e-5) + (5 - 1.25) * t5, rel=1e-12)


@pytest.mark.parametrize("name", known_gpus())
def test_every_kernel_is_above_both_roofline_bounds(name):
    gpu = load_gpu(name)
    for workload, precision in ((build("resnet18"), "fp16"), (training(build("lenet10", batch=8)), "fp32")):
        per_layer = layer_costs(workload, gpu, precision)
        assert np.all(per_layer.seconds >= per_layer.extra["compute_bound_s"])
        assert np.all(per_layer.seconds >= per_layer.extra["memory_bound_s"])
        total = evaluate(workload, gpu, precision)
        assert 0 < total.utilization <= 1
        assert total.flops == workload.totals()["flops"]
        # power stays between idle and the power-mode budget
        assert gpu.idle_w <= total.power_w <= gpu.mode().power_w


def test_faster_module_is_faster_on_the_same_network():
    w = build("vgg16")
    nano, orin = (evaluate(w, load_gpu(n), "fp16").seconds for n in ("jetson-nano", "orin-nano"))
    assert orin < nano


def test_missing_precision_and_unknown_names_are_input_errors():
    with pytest.raises(InputError, match="precision 'int8' is not supported"):
        evaluate(gemm(1), load_gpu("jetson-nano"), "int8")
    with pytest.raises(InputError, match="unknown gpu"):
        load_gpu("jetson-xyz")
    with pytest.raises(InputError, match="unknown power mode"):
        evaluate(gemm(1), load_gpu("jetson-nano"), "fp16", "99W")


def test_bad_yaml_value_names_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(accelerators("gpu", "jetson-nano.yaml").read_text().replace("value: 0.70", "value: 1.7"))
    with pytest.raises(InputError, match=r"bad.yaml: field bandwidth_efficiency.value must be <= 1"):
        load_gpu(str(bad))


def test_elementwise_kernels_run_on_cuda_cores_not_tensor_cores():
    # Orin Nano fp16: conv at the Tensor-Core peak 16384 FLOP/cycle x 625 MHz x gemm_efficiency 0.30; an element-wise
    # layer at the CUDA-core FP32 peak 2048 FLOP/cycle x 625 MHz x elementwise_efficiency 0.25, not 16384 x ...
    gpu = load_gpu("orin-nano")
    w = build("lenet10")
    per_layer = layer_costs(w, gpu, "fp16")
    layers = w.layers()
    for layer, compute_s in zip(layers, per_layer.extra["compute_s"]):
        if layer.op in COMPUTE_OPS:
            assert compute_s == pytest.approx(layer.flops / (16384 * 625e6 * 0.30), rel=1e-12)
        elif layer.flops:
            assert compute_s == pytest.approx(layer.flops / (2048 * 625e6 * 0.25), rel=1e-12)
    assert any(l.flops and l.op not in COMPUTE_OPS for l in layers)


def test_gpu_sources_keep_each_nested_group():
    # fp16 appears in both the peak and the efficiency tables; each keeps its own source
    sources = load_gpu("orin-nano").sources
    assert sources["flops_per_cycle.fp16"].startswith("DS:")
    assert sources["gemm_efficiency.fp16"].startswith("[estimate:")
    assert sources["power_modes.15W.power_w"].startswith("DS:")
