"""`platform-compare`: one workload on the edge platforms (mobile GPUs, PIM, FPGA), with lifetime carbon.

Each point is (workload, platform[, precision]) at a stated activity ratio and lifetime; the metrics are the job's
latency and energy and the device's lifetime carbon (embodied + operational, ACT-style; dse.cost.carbon), so carbon
can be traded against speed like any other objective.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from dse.cost.carbon import embodied_carbon_g, lifetime_carbon_g, load_act
from dse.cost.platform import Platform, load_platform
from dse.explore.problems import Problem
from dse.workload.graph import Workload
from dse.workload.zoo import build


@lru_cache(maxsize=32)
def _workload(name: str, batch: int | None) -> Workload:
    return build(name, batch=batch)


@lru_cache(maxsize=64)
def _platform(name: str, training: bool, precision: str | None) -> Platform:
    return load_platform(name, training, precision)


class PlatformCompare(Problem):
    kind = "platform-compare"
    DEFAULTS = {"workload": "resnet18", "training": False, "batch": None, "platform": "orin-nano",
                "precision": None, "activity": 0.5, "lifetime_years": 5.0, "grid": "world"}
    METRICS = frozenset({"seconds", "energy_j", "power_w", "lifetime_carbon_kg", "embodied_carbon_kg"})

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        act = load_act()
        rows = []
        for p in points:
            training = bool(p["training"])
            platform = _platform(str(p["platform"]), training, p["precision"])
            cost = platform.evaluate(_workload(str(p["workload"]), p["batch"]), training)
            carbon = lifetime_carbon_g(cost, platform, float(p["activity"]), float(p["lifetime_years"]),
                                       str(p["grid"]), act)
            rows.append({"seconds": float(cost.seconds), "energy_j": float(cost.energy_j),
                         "power_w": float(cost.power_w), "lifetime_carbon_kg": float(carbon) / 1e3,
                         "embodied_carbon_kg": embodied_carbon_g(platform.embodied, act)["total"] / 1e3})
        return pd.DataFrame(rows)


PROBLEMS = {PlatformCompare.kind: PlatformCompare}
