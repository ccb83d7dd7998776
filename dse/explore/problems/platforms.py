"""`platform-compare`: one workload on the edge platforms (mobile GPUs, PIM, FPGA), with lifetime carbon.

Each point is (workload, platform[, precision, bit widths]) at a stated activity and lifetime. The demand is the busy
fraction `activity` of ONE reference platform (`reference`, the same for every point, at its default precision), and
each platform is charged the fleet that serves that demand (`dse.cost.carbon.fleet_lifetime`, the definition `dse
compare` uses with its fastest listed platform as reference). So `lifetime_carbon_kg` compares platforms on the same
work instead of charging a slow device only its own busy fraction. The chosen point's files list which of its inputs
rest on estimates. A job whose weights, KV cache and live activations do not fit the device's memory is infeasible
(`violation_memory` = bytes over), so it never reaches a front; `why` says by how much. The workload is a zoo name,
an ONNX file (with `input_shape`), a workload file or a Hugging Face config.json (with `stage`, `seq_len`,
`context`): `dse.workload.source`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from dse.cost.carbon import embodied_carbon_g, lifetime_carbon_g, load_act, profile, units
from dse.cost.platform import Platform, load_platform
from dse.explore.problems import Problem
from dse.inputs import (
    FRACTION,
    LIFETIME_YEARS,
    MAX_BATCH,
    MAX_SEQ_LEN,
    Range,
    flag,
    known,
    optional,
    real_in,
    text,
    whole_in,
)
from dse.workload.graph import Workload
from dse.workload.source import check_input_shape, check_workload, load_workload, shapes_key

#: The parameters that name the job's graph, in `_workload`'s order.
JOB = ("workload", "batch", "stage", "seq_len", "context", "input_shape")


@lru_cache(maxsize=32)
def _workload(name: str, batch: int | None, stage: str | None = None, seq_len: int | None = None,
              context: int | None = None, input_shape: tuple | None = None) -> Workload:
    return load_workload(name, batch=batch, seq_len=seq_len, input_shapes=input_shape, where="workload",
                         stage=stage, context=context)


@lru_cache(maxsize=64)
def _platform(name: str, training: bool, precision: str | None, weight_bits: int | None = None,
              act_bits: int | None = None, kv_bits: int | None = None) -> Platform:
    return load_platform(name, training, precision, weight_bits, act_bits, kv_bits)


def _widths(p: dict[str, Any]) -> tuple[int | None, ...]:
    return tuple(None if p[k] is None else int(p[k]) for k in ("weight_bits", "act_bits", "kv_bits"))


class PlatformCompare(Problem):
    kind = "platform-compare"
    DEFAULTS = {"workload": "resnet18", "training": False, "batch": None, "seq_len": None, "stage": None,
                "context": None, "platform": "orin-nano", "precision": None, "weight_bits": None, "act_bits": None,
                "kv_bits": None, "activity": 0.5, "lifetime_years": 5.0, "grid": "world", "reference": "orin-nano",
                "input_shape": None}
    METRICS = frozenset({"seconds", "energy_j", "power_w", "lifetime_carbon_kg", "embodied_carbon_kg", "units",
                         "memory_needed_bytes"})
    CHECKS = {"workload": check_workload, "input_shape": optional(check_input_shape), "training": flag,
              "batch": optional(whole_in(Range(1, MAX_BATCH))),
              "seq_len": optional(whole_in(Range(1, MAX_SEQ_LEN))), "stage": optional(text),
              "context": optional(whole_in(Range(0, MAX_SEQ_LEN))), "platform": known(load_platform),
              "precision": optional(text), "weight_bits": optional(whole_in(Range(1, 64))),
              "act_bits": optional(whole_in(Range(1, 64))), "kv_bits": optional(whole_in(Range(1, 64))),
              "activity": real_in(FRACTION), "lifetime_years": real_in(LIFETIME_YEARS),
              "grid": known(lambda name: load_act().grid(name)), "reference": known(load_platform)}

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        act = load_act()
        rows = []
        for p in points:
            training = bool(p["training"])
            job = tuple(p[k] for k in JOB[:-1]) + (shapes_key(p["input_shape"], "input_shape"),)
            workload = _workload(str(job[0]), *job[1:])
            platform = _platform(str(p["platform"]), training, p["precision"], *_widths(p))
            cost = platform.evaluate(workload, training)
            reference = _job_seconds(str(p["reference"]), job, training)
            activity, years = float(p["activity"]), float(p["lifetime_years"])
            carbon = lifetime_carbon_g(cost, platform, activity, years, str(p["grid"]), act, reference)
            need = platform.memory(workload, training)
            available = platform.memory_bytes
            over = need.total - available if available is not None else 0.0
            rows.append({"seconds": float(cost.seconds), "energy_j": float(cost.energy_j),
                         "power_w": float(cost.power_w), "lifetime_carbon_kg": float(carbon) / 1e3,
                         "embodied_carbon_kg": embodied_carbon_g(platform.embodied, act)["total"] / 1e3,
                         "units": int(units(profile(cost, platform, act), activity, reference)),
                         "memory_needed_bytes": need.total, "violation_memory": over,
                         "why": (f"needs {need.total / 1e9:.3g} GB of memory (weights {need.weights / 1e9:.3g}, "
                                 f"KV cache {need.kv_cache / 1e9:.3g}), has {available / 1e9:.3g} GB"
                                 if over > 0 else "")})
        return pd.DataFrame(rows)

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """`estimates.txt`: which inputs of the chosen platform and of the reference rest on estimates."""
        training = bool(point["training"])
        names = dict.fromkeys([str(point["platform"]), str(point["reference"])])
        lines = ["inputs resting on [estimate] sources (accelerators/*.yaml; docs/sustainability.md gives reasons):"]
        for name in names:
            chosen = name == point["platform"]
            widths = _widths(point) if chosen else (None, None, None)
            keys = _platform(name, training, point["precision"] if chosen else None, *widths).estimates
            lines.append(f"{name}: {', '.join(keys) or 'none'}")
        out.mkdir(parents=True, exist_ok=True)
        path = out / "estimates.txt"
        path.write_text("\n".join(lines) + "\n")
        return {"estimated inputs": path}


@lru_cache(maxsize=64)
def _job_seconds(name: str, job: tuple, training: bool) -> float:
    """Job time of the reference platform at its default precision: the demand's yardstick."""
    return float(_platform(name, training, None).evaluate(_workload(str(job[0]), *job[1:]), training).seconds)


PROBLEMS = {PlatformCompare.kind: PlatformCompare}
