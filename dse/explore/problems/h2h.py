"""`h2h-mapping`: H2H's four steps on a multi-accelerator system, swept over bandwidth, R_wei and local DRAM.

Each point builds the system, maps the workload with H2H (dse.mapping.h2h) and reports step 4 (the full H2H) and
step 2 (the computation-prioritized baseline with weight locality, H2H's "baseline"), so the reduction H2H buys is a
metric too. H2H's own search takes milliseconds per point, so points run one after another.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from dse.errors import InputError
from dse.explore.problems import Problem
from dse.hw.system import System, load_system
from dse.inputs import FRACTION, LINK_BW_GBPS, Range, known, optional, real_in
from dse.mapping.h2h import run_h2h
from dse.mapping.problem import compile_problem
from dse.workload.graph import Workload
from dse.workload.source import check_input_shape, check_workload, load_workload, shapes_key


@lru_cache(maxsize=16)
def _workload(name: str, input_shape: tuple | None) -> Workload:
    return load_workload(name, input_shapes=input_shape, where="workload")


@lru_cache(maxsize=64)
def _system(name: str, bandwidth_gbps: float, r_wei: float, local_dram_gb: float | None) -> System:
    system = load_system(name, bandwidth_gbps * 1e9)
    if not 0.0 <= r_wei <= 1.0:
        raise InputError(f"h2h-mapping: parameter r_wei must be in [0, 1], got {r_wei}")
    system = replace(system, r_wei=r_wei)
    if local_dram_gb is not None:
        if local_dram_gb <= 0:
            raise InputError(f"h2h-mapping: parameter local_dram_gb must be positive, got {local_dram_gb}")
        system = replace(system, accelerators=tuple(replace(a, local_dram_bytes=local_dram_gb * 1e9)
                                                    for a in system.accelerators))
    return system


class H2HMapping(Problem):
    kind = "h2h-mapping"
    DEFAULTS = {"workload": "cnn_lstm", "system": "h2h", "bandwidth_gbps": 0.125, "r_wei": 0.5,
                "local_dram_gb": None, "input_shape": None}
    CHECKS = {"workload": check_workload, "input_shape": optional(check_input_shape), "system": known(load_system),
              "bandwidth_gbps": real_in(LINK_BW_GBPS),
              "r_wei": real_in(FRACTION), "local_dram_gb": optional(real_in(Range(1e-9, 1e9)))}
    METRICS = frozenset({"latency_s", "energy_j", "step2_latency_s", "step2_energy_j", "latency_vs_step2",
                         "energy_vs_step2", "host_bytes", "pinned_layers", "local_dram_gb_total"})

    @staticmethod
    def _system(point: dict[str, Any]) -> System:
        return _system(str(point["system"]), float(point["bandwidth_gbps"]), float(point["r_wei"]),
                       None if point["local_dram_gb"] is None else float(point["local_dram_gb"]))

    def _run(self, point: dict[str, Any]):
        workload = _workload(str(point["workload"]), shapes_key(point["input_shape"], "input_shape"))
        return run_h2h(compile_problem(workload, self._system(point)))

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        rows = []
        for point in points:
            steps = self._run(point).steps
            full, base = steps[4].summary(), steps[2].summary()
            rows.append({
                "latency_s": full["latency_s"], "energy_j": full["energy_j"],
                "step2_latency_s": base["latency_s"], "step2_energy_j": base["energy_j"],
                "latency_vs_step2": full["latency_s"] / base["latency_s"],
                "energy_vs_step2": full["energy_j"] / base["energy_j"],
                "host_bytes": full["host_bytes"], "pinned_layers": full["pinned_layers"],
                "local_dram_gb_total": sum(a.local_dram_bytes for a in self._system(point).accelerators) / 1e9,
            })
        return pd.DataFrame(rows)

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """The chosen point's step-4 schedule as a table and a Gantt chart."""
        from dse.plot.gantt import plot_gantt

        out.mkdir(parents=True, exist_ok=True)
        result = self._run(point)
        schedule = result.steps[4]
        table = schedule.table()
        table.to_csv(out / "schedule.csv", index=False)
        title = (f"{point['workload']} at {point['bandwidth_gbps']} GB/s: H2H {schedule.makespan_s * 1e3:.1f} ms, "
                 f"{schedule.energy_j:.2f} J")
        png = next(p for p in plot_gantt(table, schedule.problem.system.names, out / "gantt", title)
                   if p.suffix == ".png")
        return {"H2H schedule (Gantt)": png, "H2H schedule (table)": out / "schedule.csv"}


PROBLEMS = {H2HMapping.kind: H2HMapping}
