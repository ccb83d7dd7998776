"""`fpga-tiling`: EF-Train's channel-parallel training engine on an edge FPGA, swept over board and buffers.

A point fixes the hardware as shares of the board's budgets, so every board gets a sensible range from one sweep:
`dsp_share` of the DSP budget sets Tm (= Tn) = floor(sqrt(share * DSP budget / DSPs per MAC)), `wei_share` of half
the BRAM budget goes to weight banks, and `ifm_share` of the rest to IFM banks (the remainder to OFM). Each buffer is
grown to at least what every layer's smallest tile needs, and every layer is then scheduled exactly inside the
buffers (`BufferScheduler`). A design whose buffers outgrow the BRAM budget is still priced, and its overflow is the
constraint violation, so the sampler learns how far out of bounds it was. Over-budget DSP or BRAM and layers that fit no tile are constraint violations, so the Pareto
set only holds designs the board can build. The chosen point becomes a tiling record and, with it, an HLS project.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dse.cost.fpga import Candidates, evaluate
from dse.cost.fpga_network import ConvSpec, network_id, network_specs
from dse.cost.fpga_schedule import Budget, Tiling
from dse.cost.tiling_record import make_record
from dse.errors import InputError
from dse.explore.problems import Problem
from dse.hw.fpga import LAYOUTS, FPGABoard, load_board
from dse.inputs import MAX_BATCH, SHARE, Range, known, real_in, whole_in
from dse.search.fpga_tiling import BufferScheduler
from dse.workload.source import check_workload, shapes_key

METRICS = ("seconds", "energy_j", "cycles", "dsp", "bram_18k", "gflops", "gflops_per_w", "power_w", "Tm")


@lru_cache(maxsize=32)
def _board(name: str) -> FPGABoard:
    """Boards are immutable records; parsing the YAML once per trial cost ~20 ms (benchmarks/explore_speed.py)."""
    return load_board(name)


@lru_cache(maxsize=32)
def _specs(network: str, batch: int, input_shape: tuple | None) -> tuple[ConvSpec, ...]:
    return tuple(network_specs(network, batch, input_shapes=dict(input_shape or ()), where="network"))


class FPGATiling(Problem):
    kind = "fpga-tiling"
    DEFAULTS = {"network": "vgg16", "batch": 16, "board": "zcu102", "layout": "reshaped_reuse", "dsp_share": 1.0,
                "wei_share": 0.3, "ifm_share": 0.5, "dsp_budget": 0.8, "bram_budget": 0.75, "input_shape": None}
    METRICS = frozenset(METRICS)
    CHECKS = {"network": check_workload, "board": known(load_board), "layout": lambda v, where: _layout(v, where),
              "batch": whole_in(Range(1, MAX_BATCH)), "dsp_share": real_in(SHARE), "wei_share": real_in(SHARE),
              "ifm_share": real_in(SHARE), "dsp_budget": real_in(SHARE), "bram_budget": real_in(SHARE)}

    def __init__(self, fixed: dict[str, Any]) -> None:
        super().__init__(fixed)
        self._schedulers: dict[tuple, BufferScheduler] = {}
        self._tilings: dict[tuple, Tiling] = {}

    def _hardware(self, point: dict[str, Any]) -> tuple[tuple, FPGABoard, list[ConvSpec], Budget, int,
                                                        tuple[int, int, int]]:
        """(scheduler key, board, layers, budget, Tm, (IFM, OFM, weight) banks) of a point."""
        board = _board(str(point["board"]))
        batch = int(point["batch"])
        specs = list(_specs(str(point["network"]), batch, shapes_key(point["input_shape"], "input_shape")))
        budget = Budget(float(point["dsp_budget"]), float(point["bram_budget"]))
        dsp_limit, bram_limit = budget.limits(board)
        share = _share("dsp_share", point["dsp_share"])
        Tm = max(1, int(np.sqrt(share * dsp_limit / board.dsp_per_fp32_mac)))
        wei_banks = max(1, int(_share("wei_share", point["wei_share"]) * (bram_limit // 2) / (Tm * Tm)))
        key = (point["network"], batch, board.name, point["layout"])
        if key not in self._schedulers:
            self._schedulers[key] = BufferScheduler(specs, batch, board, str(point["layout"]))
        scheduler = self._schedulers[key]
        sampled = scheduler.banks(Tm, wei_banks, _share("ifm_share", point["ifm_share"]), bram_limit)
        banks = tuple(max(x, need) for x, need in zip(sampled, scheduler.minimum_banks(Tm)))
        return key, board, specs, budget, Tm, banks  # type: ignore[return-value]

    def _schedule(self, designs: list[tuple]) -> None:
        """Schedule the designs' missing (Tm, banks): continuous shares land on few integer designs, and the new
        ones of one scheduler and Tm are scheduled in one vectorised call."""
        missing: dict[tuple, set] = {}
        for key, _, _, _, Tm, banks in designs:
            if (key, Tm, banks) not in self._tilings:
                missing.setdefault((key, Tm), set()).add(banks)
        for (key, Tm), cells in missing.items():
            cells = sorted(cells)
            for banks, tiling in zip(cells, self._schedulers[key].tilings(Tm, np.array(cells))):
                self._tilings[key, Tm, banks] = tiling

    def _design(self, point: dict[str, Any]) -> tuple[FPGABoard, list[ConvSpec], Budget, Tiling, int]:
        key, board, specs, budget, Tm, banks = design = self._hardware(point)
        self._schedule([design])
        return board, specs, budget, self._tilings[key, Tm, banks], Tm

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        """Points of one (network, batch, board, layout, budget) are priced in one vectorized call: their tilings
        are stacked as the candidates of `evaluate`."""
        designs = [self._hardware(point) for point in points]
        self._schedule(designs)
        groups: dict[tuple, list[tuple[int, Tiling]]] = {}
        context = {}
        for i, (key, board, specs, budget, Tm, banks) in enumerate(designs):
            group = (*key, budget)
            context[group] = (board, specs, budget)
            groups.setdefault(group, []).append((i, self._tilings[key, Tm, banks]))
        rows: list[dict[str, Any]] = [{} for _ in points]
        for key, items in groups.items():
            board, specs, budget = context[key]
            dsp_limit, bram_limit = budget.limits(board)
            candidates = Candidates.concat([tiling.candidates() for _, tiling in items])
            cost = evaluate(specs, candidates, key[1], board, key[3])
            for j, (i, tiling) in enumerate(items):
                rows[i] = {
                    "seconds": cost.seconds[j], "energy_j": cost.energy_j[j], "cycles": cost.cycles[j],
                    "dsp": cost.dsp[j], "bram_18k": cost.bram_18k[j], "gflops": cost.extra["gflops"][j],
                    "gflops_per_w": cost.extra["gflops_per_w"][j], "power_w": cost.extra["power_w_model"][j],
                    "Tm": tiling.Tm,
                    "violation_dsp": cost.extra["dsp_conv"][j] - dsp_limit,
                    "violation_bram_18k": cost.extra["bram_18k_conv"][j] - bram_limit,
                }
        return pd.DataFrame(rows)

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """The chosen design as a tiling record and the Vitis HLS project generated from it, C-simulated here."""
        from dse.hls import csim
        from dse.hls.generate import generate

        board, specs, _, tiling, _ = self._design(point)
        out.mkdir(parents=True, exist_ok=True)
        cost = evaluate(specs, tiling.candidates(), int(point["batch"]), board, str(point["layout"]))
        record = make_record(board, network_id(str(point["network"])), int(point["batch"]), str(point["layout"]), specs,
                             tiling.Tm, tiling.Tr, tiling.M_on, board.clock_hz, cost)
        path = out / "tiling.yaml"
        record.save(path)
        project = generate(record, str(path), out / "hls", force=True)
        result = csim.run(project)
        log = project / "csim.log"
        log.write_text(f"csim {'PASSED' if result.passed else 'FAILED'} (exit {result.returncode})\n{result.output}")
        return {"tiling record": path, "HLS project README": project / "README.md",
                f"C simulation ({'passed' if result.passed else 'FAILED'})": log}


def _layout(value: Any, where: str) -> str:
    if value not in LAYOUTS:
        raise InputError(f"{where}: must be one of {', '.join(LAYOUTS)}, got {value!r}")
    return value


def _share(name: str, value: Any) -> float:
    share = float(value)
    if not 0.0 < share <= 1.0:
        raise InputError(f"fpga-tiling: parameter {name} must be in (0, 1], got {value!r}")
    return share


PROBLEMS = {FPGATiling.kind: FPGATiling}
