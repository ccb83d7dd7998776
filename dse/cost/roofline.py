"""Per-layer roofline of a workload on a mobile GPU: what each kernel computes and moves, and what bounds it.

The numbers are the GPU model's own (`dse.cost.gpu.layer_costs`), so the stage totals here are the latency `dse
compare` reports. Per layer: operations (FLOPs, or integer ops at int8), bytes of weights, activations and KV cache
at their bit widths, arithmetic intensity (ops per byte), the bound (compute when FLOPs / achievable peak exceeds
bytes / achievable bandwidth, memory otherwise), time (bound plus launch overhead) and share of the total.

Stage totals of an LLM graph (`graph["stage"]`, `graph["new_tokens"]` from `dse.workload.decoder`): prefill's time
is the time to first token (TTFT) and its tokens/s the prompt tokens it processes per second; decode's time is the
time per output token (TPOT) and its tokens/s the batch's sequences over TPOT.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dse.cost.bits import Bits
from dse.cost.gpu import layer_costs
from dse.hw.gpu import MobileGPU
from dse.workload.graph import Workload


def layer_table(workload: Workload, gpu: MobileGPU, bits: Bits, mode: str | None = None) -> pd.DataFrame:
    """One row per kernel (views launch none and are left out), in graph order."""
    layers = workload.layers()
    cost = layer_costs(workload, gpu, bits, mode)
    x = cost.extra
    moved = x["weight_bytes"] + x["act_bytes"] + x["kv_bytes"]
    t_compute, t_memory = x["compute_s"], x["memory_s"]
    frame = pd.DataFrame({
        "layer": [l.name for l in layers], "op": [l.op.value for l in layers], "ops": cost.flops,
        "weight_bytes": x["weight_bytes"], "act_bytes": x["act_bytes"], "kv_bytes": x["kv_bytes"],
        "intensity": np.divide(cost.flops, moved, out=np.full_like(moved, np.nan), where=moved > 0),
        "bound": np.where(t_compute > t_memory, "compute", "memory"),
        "compute_s": t_compute, "memory_s": t_memory, "time_s": cost.seconds,
        "attained_ops_per_s": np.divide(cost.flops, cost.seconds, out=np.zeros_like(moved), where=cost.seconds > 0),
    })[x["kernel"]].reset_index(drop=True)
    frame["share"] = frame["time_s"] / frame["time_s"].sum()
    return frame


def stage_totals(workload: Workload, table: pd.DataFrame) -> dict[str, float | str]:
    """Time of the whole graph and, for an LLM stage, TTFT or TPOT and tokens per second."""
    seconds = float(table["time_s"].sum())
    stage = workload.graph.get("stage")
    totals: dict[str, float | str] = {"seconds": seconds, "stage": stage or "",
                                      "memory_bound_share": float(table.loc[table["bound"] == "memory", "share"].sum())}
    batch = workload.layers()[0].N
    if stage == "prefill":
        totals["ttft_s"] = seconds
        totals["tokens_per_s"] = batch * workload.graph["new_tokens"] / seconds
    elif stage == "decode":
        totals["tpot_s"] = seconds
        totals["tokens_per_s"] = batch / seconds
    return totals
