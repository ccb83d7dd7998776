"""dse's LLM costs side by side with GenZ (genz-llm, Bambhaniya et al., "Demystifying AI Platform Design for
Distributed Inference of Next-Generation LLM models", arXiv:2406.01698) on the same model configs and device numbers.

Both tools get one Hugging Face config (from dse/workload/zoo/configs/) and one device: GenZ's system is the dse
GPU's achievable rates, i.e. the fp16 peak x the fp16 GEMM efficiency as its bf16 TFLOPS and the DRAM bandwidth x
the bandwidth efficiency (GenZ reads GB/s and GB as 2^30 bytes; converted here). GenZ then applies its own
multipliers for int8/int4 (2x and 4x the bf16 compute rate, 1 and 0.5 bytes per element for everything).

    pip install -e '.[bench]'
    python benchmarks/llm_genz.py

Prints, per (model, device, precision) point and stage, each tool's time (prefill: time to first token; decode:
time per output token at the given context), the ratio dse / GenZ, dse's kernel-launch share (GenZ has none), and
the ops and DRAM bytes behind each time.
docs/llm.md explains every ratio outside [0.8, 1.25].
"""

from __future__ import annotations

import sys
import warnings

from dse.cost.bits import Bits
from dse.cost.gpu import evaluate, layer_costs
from dse.hw.gpu import load_gpu
from dse.workload.decoder import decoder_graph
from dse.workload.hf_config import DecoderConfig, read_config
from dse.workload.zoo.llm import CONFIGS

GIB = 2 ** 30
#: (config file, GPU, dse bit widths, GenZ bits, prompt tokens = decode context)
POINTS = [
    ("openllama_3b", "orin-nano", Bits(16, 16, 16), "bf16", 512),
    ("tinyllama-1.1b", "orin-nano", Bits(8, 8, 8), "int8", 512),
    ("llama-3.2-1b", "orin-nano", Bits(4, 16, 4), "int4", 512),
    ("qwen2.5-0.5b", "jetson-nano", Bits(16, 16, 16), "bf16", 256),
]


def genz_model(cfg: DecoderConfig):
    from GenZ.Models.default_models import ModelConfig

    return ModelConfig(model=cfg.name, vocab_size=cfg.vocab, hidden_size=cfg.hidden,
                       intermediate_size=cfg.intermediate, num_ffi=2, num_decoder_layers=cfg.layers,
                       num_attention_heads=cfg.heads, num_key_value_heads=cfg.kv_heads, head_dim=cfg.head_dim,
                       hidden_act=cfg.activation)


def genz_system(gpu_name: str) -> dict:
    gpu = load_gpu(gpu_name)
    return {"real_values": True, "Flops": gpu.peak_flops("fp16") * gpu.gemm_efficiency["fp16"] / 1e12,
            "Memory_BW": gpu.dram_bw_bytes_per_s * gpu.bandwidth_efficiency / GIB,
            "Memory_size": gpu.memory_bytes / GIB, "ICN": 1, "ICN_LL": 1}


def genz_stage(cfg: DecoderConfig, gpu_name: str, bits: str, stage: str, tokens: int) -> dict:
    from GenZ.LLM_inference.llm_decode import decode_moddeling
    from GenZ.LLM_inference.llm_prefill import prefill_moddeling

    kwargs = {"model": genz_model(cfg), "batch_size": 1, "input_tokens": tokens, "system_name": genz_system(gpu_name),
              "bits": bits}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prefill_moddeling(**kwargs) if stage == "prefill" else decode_moddeling(output_tokens=1, Bb=1, **kwargs)
    summary = out["summary_table"].iloc[0]  # whole-model totals (the per-op table lists one decoder layer)
    return {"seconds": out["Latency"] / 1e3, "ops": float(summary["MACs (MFLOP)"]) * 1e6,  # FLOPs, despite the name
            "bytes": float(summary["Total Data (MB)"]) * 2 ** 20}


def dse_stage(cfg: DecoderConfig, gpu_name: str, bits: Bits, stage: str, tokens: int) -> dict:
    workload = decoder_graph(cfg, stage, tokens)
    gpu = load_gpu(gpu_name)
    per_layer = layer_costs(workload, gpu, bits)
    total = evaluate(workload, gpu, bits)
    return {"seconds": float(total.seconds), "ops": float(per_layer.flops.sum()),
            "bytes": float(per_layer.dram_bytes.sum()), "launch_s": total.extra["kernels"] * gpu.launch_overhead_s}


def main() -> int:
    try:
        import GenZ  # noqa: F401
    except ImportError:
        print("GenZ is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    print(f"{'model':15s} {'device':12s} {'bits':11s} {'genz':5s} {'stage':7s} {'tokens':>6s} "
          f"{'dse ms':>9s} {'GenZ ms':>9s} {'ratio':>6s} {'launch ms':>9s} {'dse GOP':>8s} {'GenZ GOP':>8s} {'dse GB':>7s} "
          f"{'GenZ GB':>7s}")
    for name, gpu_name, bits, genz_bits, tokens in POINTS:
        cfg = read_config(CONFIGS / f"{name}.json", name=name)
        for stage in ("prefill", "decode"):
            ours = dse_stage(cfg, gpu_name, bits, stage, tokens)
            theirs = genz_stage(cfg, gpu_name, genz_bits, stage, tokens)
            print(f"{name:15s} {gpu_name:12s} {bits.label:11s} {genz_bits:5s} {stage:7s} {tokens:6d} "
                  f"{ours['seconds'] * 1e3:9.2f} {theirs['seconds'] * 1e3:9.2f} "
                  f"{ours['seconds'] / theirs['seconds']:6.2f} {ours['launch_s'] * 1e3:9.2f} "
                  f"{ours['ops'] / 1e9:8.1f} {theirs['ops'] / 1e9:8.1f} "
                  f"{ours['bytes'] / 1e9:7.3f} {theirs['bytes'] / 1e9:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
