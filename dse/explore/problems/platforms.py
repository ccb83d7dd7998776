"""`platform-compare`: one workload on the edge platforms (mobile GPUs, PIM, FPGA), with lifetime carbon.

Each point is (workload, platform[, precision]) at a stated activity and lifetime. The demand is the busy fraction
`activity` of ONE reference platform (`reference`, the same for every point), and each platform is charged the fleet
that serves that demand (`dse.cost.carbon.fleet_lifetime`, the definition `dse compare` uses with its fastest listed
platform as reference). So `lifetime_carbon_kg` compares platforms on the same work instead of charging a slow
device only its own busy fraction. The chosen point's files list which of its inputs rest on estimates.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from dse.cost.carbon import embodied_carbon_g, lifetime_carbon_g, load_act, profile, units
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
                "precision": None, "activity": 0.5, "lifetime_years": 5.0, "grid": "world",
                "reference": "orin-nano"}
    METRICS = frozenset({"seconds", "energy_j", "power_w", "lifetime_carbon_kg", "embodied_carbon_kg", "units"})

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        act = load_act()
        rows = []
        for p in points:
            training = bool(p["training"])
            workload = _workload(str(p["workload"]), p["batch"])
            platform = _platform(str(p["platform"]), training, p["precision"])
            cost = platform.evaluate(workload, training)
            reference = _job_seconds(str(p["reference"]), str(p["workload"]), p["batch"], training)
            activity, years = float(p["activity"]), float(p["lifetime_years"])
            carbon = lifetime_carbon_g(cost, platform, activity, years, str(p["grid"]), act, reference)
            rows.append({"seconds": float(cost.seconds), "energy_j": float(cost.energy_j),
                         "power_w": float(cost.power_w), "lifetime_carbon_kg": float(carbon) / 1e3,
                         "embodied_carbon_kg": embodied_carbon_g(platform.embodied, act)["total"] / 1e3,
                         "units": int(units(profile(cost, platform, act), activity, reference))})
        return pd.DataFrame(rows)

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """`estimates.txt`: which inputs of the chosen platform and of the reference rest on estimates."""
        training = bool(point["training"])
        names = dict.fromkeys([str(point["platform"]), str(point["reference"])])
        lines = ["inputs resting on [estimate] sources (accelerators/*.yaml; docs/sustainability.md gives reasons):"]
        for name in names:
            keys = _platform(name, training, point["precision"] if name == point["platform"] else None).estimates
            lines.append(f"{name}: {', '.join(keys) or 'none'}")
        out.mkdir(parents=True, exist_ok=True)
        path = out / "estimates.txt"
        path.write_text("\n".join(lines) + "\n")
        return {"estimated inputs": path}


@lru_cache(maxsize=64)
def _job_seconds(name: str, workload: str, batch: int | None, training: bool) -> float:
    """Job time of the reference platform at its default precision: the demand's yardstick."""
    return float(_platform(name, training, None).evaluate(_workload(workload, batch), training).seconds)


PROBLEMS = {PlatformCompare.kind: PlatformCompare}
