"""Mobile-GPU latency and energy: a roofline per kernel with achieved efficiencies and launch overhead.

Every layer of the graph (forward, backward-data, weight-gradient, weight-update: whatever `dse.workload.training`
produced) runs as one kernel:
    t_compute = FLOPs / (peak(precision, mode) x gemm_efficiency[precision])  for conv/FC/matmul/LSTM,
              = FLOPs / (CUDA-core FP32 peak(mode) x elementwise_efficiency)    for the rest: element-wise, norm and
                pool kernels run on the CUDA cores, never on the Tensor Cores whose rate the fp16/int8 peaks of
                Volta/Ampere modules give
    t_memory  = bytes / (DRAM bandwidth x bandwidth_efficiency),  bytes = weights + activations + KV cache read
                and written, each at its own bit width (`dse.cost.bits`; the peak is that of `Bits.compute`)
    t         = max(t_compute, t_memory) + launch_overhead
so t never falls below the compute bound FLOPs/peak nor the memory bound bytes/bandwidth. Reshapes are views
(no kernel). Power: the module draws its power-mode budget while a kernel is at its roofline bound and idle
power in the launch gaps: E = P_idle t + (P_mode - P_idle) max(t_compute, t_memory).
"""

from __future__ import annotations

import numpy as np

from dse.cost.bits import Bits, layer_bytes
from dse.cost.record import Cost, checked
from dse.cost.totals import sum_layers
from dse.hw.gpu import MobileGPU
from dse.workload.graph import Workload
from dse.workload.layer import COMPUTE_OPS, Op

#: Ops that launch no kernel: views and ops dse cannot cost.
NO_KERNEL = frozenset({Op.RESHAPE, Op.UNKNOWN})


def as_bits(precision: str | Bits) -> Bits:
    """A precision name (every tensor in that format) or explicit bit widths."""
    return precision if isinstance(precision, Bits) else Bits.of(precision)


def layer_arrays(workload: Workload, bits: Bits) -> dict[str, np.ndarray]:
    """Per-layer FLOPs, DRAM bytes (weights, activations, KV cache) and flags (GEMM-like, launches a kernel)."""
    layers = workload.layers()
    training = "training" in workload.graph
    moved = np.array([layer_bytes(l, bits, training) for l in layers], dtype=float).reshape(len(layers), 3)
    return {
        "flops": np.array([l.flops for l in layers], dtype=float),
        "weight_bytes": moved[:, 0], "act_bytes": moved[:, 1], "kv_bytes": moved[:, 2],
        "bytes": moved.sum(axis=1),
        "gemm": np.array([l.op in COMPUTE_OPS for l in layers]),
        "kernel": np.array([l.op not in NO_KERNEL for l in layers]),
        "macs": np.array([l.macs for l in layers], dtype=float),
    }


def layer_costs(workload: Workload, gpu: MobileGPU, precision: str | Bits = "fp16", mode: str | None = None) -> Cost:
    """One Cost entry per layer (numpy arrays over layers)."""
    bits = as_bits(precision)
    precision = bits.compute
    gpu.check_precision(precision)
    power = gpu.mode(mode)
    peak = gpu.peak_flops(precision, mode)
    a = layer_arrays(workload, bits)
    rate = np.where(a["gemm"], peak * gpu.gemm_efficiency[precision],
                    gpu.cuda_core_flops(mode) * gpu.elementwise_efficiency)
    t_compute = a["flops"] / rate
    t_memory = a["bytes"] / (gpu.dram_bw_bytes_per_s * gpu.bandwidth_efficiency)
    busy = np.where(a["kernel"], np.maximum(t_compute, t_memory), 0.0)
    seconds = busy + np.where(a["kernel"], gpu.launch_overhead_s, 0.0)
    static = gpu.idle_w * seconds
    energy = static + (power.power_w - gpu.idle_w) * busy
    utilization = np.divide(a["flops"], peak * seconds, out=np.zeros_like(seconds), where=seconds > 0)
    cost = Cost(cycles=seconds * power.gpu_clock_hz, seconds=seconds, energy_j=energy, energy_static_j=static,
                macs=a["macs"], flops=a["flops"], dram_bytes=np.where(a["kernel"], a["bytes"], 0.0),
                utilization=utilization,
                extra={"compute_s": t_compute, "compute_bound_s": a["flops"] / peak,
                       "memory_bound_s": a["bytes"] / gpu.dram_bw_bytes_per_s,
                       "memory_bound": t_memory > t_compute, "weight_bytes": a["weight_bytes"],
                       "act_bytes": a["act_bytes"], "kv_bytes": a["kv_bytes"], "kernel": a["kernel"],
                       "memory_s": t_memory})
    return checked(cost, f"gpu {gpu.name}", [l.name for l in workload.layers()])


def evaluate(workload: Workload, gpu: MobileGPU, precision: str | Bits = "fp16", mode: str | None = None) -> Cost:
    """The whole graph (one inference, or one training step of the graph's batch) as one Cost of scalars."""
    bits = as_bits(precision)
    per_layer = layer_costs(workload, gpu, bits, mode)
    seconds = float(per_layer.seconds.sum())
    peak = gpu.peak_flops(bits.compute, mode)
    utilization = float(per_layer.flops.sum()) / (peak * seconds) if seconds > 0 else 0.0
    return sum_layers(f"gpu {gpu.name}", per_layer, utilization,
                      {"kernels": int(np.count_nonzero(per_layer.seconds)),
                       "memory_bound_kernels": int(per_layer.extra["memory_bound"].sum()),
                       "precision": bits.compute, "bits": bits.label, "power_mode": mode or gpu.default_mode})
