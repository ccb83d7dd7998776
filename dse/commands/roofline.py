"""`dse roofline`: per-layer roofline of a workload (an LLM stage, typically) on a mobile GPU, with stage totals."""

from __future__ import annotations

import argparse
import json
import re

from dse.commands.compare import add_bits_arguments, out_dir, platform_for
from dse.commands.workload import add_model_arguments, load_args
from dse.errors import InputError

#: Per-layer columns printed (the JSON and CSV carry every column).
SHOWN = ["ops", "weight_bytes", "act_bytes", "kv_bytes", "intensity", "bound", "time_s", "share"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("roofline", help="per-layer ops, bytes, intensity, bound and time on a GPU; TTFT/TPOT")
    parser.add_argument("--workload", required=True, help="zoo model, .onnx file or Hugging Face config.json")
    parser.add_argument("--platform", required=True, help="a GPU platform (see accelerators/gpu/)")
    add_model_arguments(parser)
    add_bits_arguments(parser)
    parser.add_argument("--all", action="store_true", help="print every layer instead of one row per layer kind")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", help="folder for roofline.csv, roofline.json and the plot (PNG, SVG)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    parser.set_defaults(func=_roofline, training=False)


def _kind(name: str) -> str:
    """A layer's name without its decoder-layer index: layer12_q_proj -> q_proj."""
    return re.sub(r"^layer\d+_", "", name)


def _roofline(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.cost.roofline import layer_table, stage_totals
    from dse.hw.gpu import known_gpus, load_gpu
    from dse.plot.roofline import plot_roofline

    if args.platform not in known_gpus():
        raise InputError(f"field --platform {args.platform!r}: the roofline needs a GPU; known: {', '.join(known_gpus())}")
    out = out_dir(args.out, args.force) if args.out else None
    platform = platform_for(args, args.platform)
    gpu = load_gpu(args.platform)
    workload = load_args(args)
    table = layer_table(workload, gpu, platform.bits)
    totals = stage_totals(workload, table)
    need = platform.memory(workload)
    info = {"workload": workload.model_name, "platform": gpu.name, "precision": platform.precision,
            "bits": platform.bits.label, "totals": totals, "fits": platform.fits(need),
            "memory_needed_bytes": need.total, "memory_available_bytes": platform.memory_bytes,
            "layers": json.loads(table.to_json(orient="records", double_precision=15))}
    if out:
        peak = gpu.peak_flops(platform.precision)
        table.to_csv(out / "roofline.csv", index=False)
        (out / "roofline.json").write_text(json.dumps(info, indent=2))
        gemm = peak * gpu.gemm_efficiency[platform.precision]
        files = plot_roofline(table, peak, gpu.dram_bw_bytes_per_s, gemm,
                              gpu.dram_bw_bytes_per_s * gpu.bandwidth_efficiency, out / "roofline",
                              f"{workload.model_name} on {gpu.name}, {platform.bits.label}")
        info["files"] = [str(p) for p in files]
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    shown = table if args.all else _by_kind(table)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print()
    line = f"{workload.model_name} on {gpu.name} ({platform.bits.label}, {platform.precision} peak): " \
           f"{totals['seconds'] * 1e3:.4g} ms, {totals['memory_bound_share']:.0%} of it memory-bound"
    if "ttft_s" in totals:
        line += f"; TTFT {totals['ttft_s'] * 1e3:.4g} ms, {totals['tokens_per_s']:.4g} prompt tokens/s"
    if "tpot_s" in totals:
        line += f"; TPOT {totals['tpot_s'] * 1e3:.4g} ms, {totals['tokens_per_s']:.4g} tokens/s"
    print(line)
    if not info["fits"]:
        print(f"does not fit: needs {need.total / 1e9:.3g} GB, {gpu.name} has {platform.memory_bytes / 1e9:.3g} GB")
    if out:
        print(f"wrote {out}")
    return 0


def _by_kind(table):
    """One row per layer kind (q_proj of every decoder layer together), in order of first appearance."""
    kinds = table.assign(kind=table["layer"].map(_kind))
    sums = kinds.groupby("kind", sort=False).agg(
        layers=("layer", "size"), op=("op", "first"), ops=("ops", "sum"), weight_bytes=("weight_bytes", "sum"),
        act_bytes=("act_bytes", "sum"), kv_bytes=("kv_bytes", "sum"), bound=("bound", "first"),
        time_s=("time_s", "sum"), share=("share", "sum")).reset_index()
    moved = sums["weight_bytes"] + sums["act_bytes"] + sums["kv_bytes"]
    sums["intensity"] = sums["ops"] / moved.where(moved > 0)
    return sums[["kind", "layers", "op"] + SHOWN]
