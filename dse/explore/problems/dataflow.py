"""`dataflow-accelerator`: a spatial accelerator co-designed for one workload (PEs, buffers, NoC, off-chip
bandwidth, clock, dataflow), each design with its per-layer mappings chosen for the whole network.

A point is a design of a dataflow template (`dataflow`: a shipped accelerator name or a YAML path; numbers left
unset take the template's). It is priced by `dse.search.codesign` (the MAESTRO-style model with the network-level
mapping choice, shared vector passes, cached tables) and by the area and leakage model at `tech`. A design whose
buffers hold no mapping of some layer is infeasible (`violation_buffer_bytes`). The chosen design is exported as an
accelerator YAML that `dse map` reads, with its per-layer latency plotted.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from dse.explore.problems import Problem
from dse.hw.dataflow import DESIGN_RANGES, DataflowAccelerator, check_design, load_accelerator, write_accelerator
from dse.hw.tech import DEFAULT_PRECISION, PRECISIONS, load_tech
from dse.search.codesign import DESIGN, Codesign, build_tables
from dse.workload.graph import Workload
from dse.inputs import MAX_BATCH, Range, flag, known, one_of, optional, real_in, whole, whole_in
from dse.search.objectives import OBJECTIVES
from dse.workload.source import check_input_shape, check_workload, shapes_key

METRICS = ("latency_s", "energy_j", "edp", "area_mm2", "power_w", "leakage_power_w", "energy_static_j",
           "area_mac_mm2", "area_pe_overhead_mm2", "area_l1_mm2", "area_l2_mm2", "area_noc_mm2",
           "area_dram_interface_mm2")


@lru_cache(maxsize=16)
def load_workload(name: str, batch: int | None, training: bool, input_shape: tuple | None = None) -> Workload:
    """A zoo model, an ONNX file or a workload file (`dse.workload.source`), forward or training passes."""
    from dse.workload import training as training_graph
    from dse.workload.source import load_workload as named_workload

    workload = named_workload(name, batch=batch, input_shapes=input_shape, where="workload")
    return training_graph(workload) if training else workload


class DataflowAcceleratorProblem(Problem):
    kind = "dataflow-accelerator"
    DEFAULTS = {"workload": "resnet50", "batch": None, "training": False, "dataflow": "eyeriss", "num_pes": None,
                "l1_bytes": None, "l2_bytes": None, "noc_bw_bytes_per_cycle": None, "offchip_bw_bytes_per_s": None,
                "clock_hz": None, "tech": "65nm", "precision": None, "mapping_objective": "edp", "input_shape": None}
    METRICS = frozenset(METRICS)
    CHECKS = {"workload": check_workload, "batch": optional(whole_in(Range(1, MAX_BATCH))), "training": flag,
              "dataflow": known(load_accelerator), "tech": known(load_tech), "precision": optional(one_of(PRECISIONS)),
              "mapping_objective": one_of(OBJECTIVES), "input_shape": optional(check_input_shape),
              "num_pes": optional(whole_in(DESIGN_RANGES["num_pes"])),
              **{name: optional(real_in(DESIGN_RANGES[name])) for name in DESIGN if name != "num_pes"}}

    def __init__(self, fixed: dict[str, Any]) -> None:
        super().__init__(fixed)
        self._codesigns: dict[tuple, Codesign] = {}

    def codesign(self, point: dict[str, Any]) -> Codesign:
        key = (str(point["workload"]), point["batch"], bool(point["training"]), str(point["dataflow"]),
               str(point["tech"]), point["precision"], str(point["mapping_objective"]),
               shapes_key(point["input_shape"], "input_shape"))
        if key not in self._codesigns:
            workload = load_workload(key[0], key[1], key[2], key[7])
            layers = list(workload.layers())
            precision = key[5] or DEFAULT_PRECISION[max(layer.elem_bytes for layer in layers)]
            self._codesigns[key] = Codesign(layers, load_accelerator(key[3]), load_tech(key[4]), precision, key[6])
        return self._codesigns[key]

    def design_numbers(self, point: dict[str, Any], template: DataflowAccelerator) -> dict[str, float]:
        """The point's design numbers, the template's where the point leaves one unset, inside the ranges that keep
        the model's cycle counts in int64 (dse.hw.dataflow.DESIGN_RANGES)."""
        numbers = {}
        for name in DESIGN:
            value = point[name] if point[name] is not None else getattr(template, name)
            numbers[name] = value.item() if hasattr(value, "item") else value
        where = lambda name: f"{self.kind}: parameter {name}"  # noqa: E731
        numbers["num_pes"] = whole(numbers["num_pes"], where("num_pes"), DESIGN_RANGES["num_pes"])
        check_design(numbers, where)
        return numbers

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        groups = [(codesign, where, [self.design_numbers(points[i], codesign.template) for i in where])
                  for codesign, where in self._by_workload(points)]
        build_tables([(codesign, designs) for codesign, _, designs in groups])  # every template's passes at once
        frames = [codesign.evaluate(designs).set_index(pd.Index(where)) for codesign, where, designs in groups]
        return pd.concat(frames).sort_index()

    def _by_workload(self, points: list[dict[str, Any]]) -> Iterator[tuple[Codesign, list[int]]]:
        """Points grouped by their workload and template, so each group is one batched evaluation."""
        groups: dict[int, tuple[Codesign, list[int]]] = {}
        for i, point in enumerate(points):
            codesign = self.codesign(point)
            groups.setdefault(id(codesign), (codesign, []))[1].append(i)
        yield from groups.values()

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """The chosen design as an accelerator YAML (`dse map --accelerator FILE`) and its per-layer latency."""
        from dse.cost.dataflow.model import evaluate_batch
        from dse.plot.layers import plot_layer_latency

        codesign = self.codesign(point)
        numbers = self.design_numbers(point, codesign.template)
        acc = codesign.design(numbers)
        out.mkdir(parents=True, exist_ok=True)
        path = write_accelerator(codesign.template, numbers, out / "accelerator.yaml",
                                 f"dse explore {self.kind}: the chosen design for {point['workload']}")
        frame = evaluate_batch(codesign.layers, acc, codesign.mappings(numbers))
        frame.to_csv(out / "layers.csv", index=False)
        figures = plot_layer_latency(frame, out / "layer_latency",
                                     title=f"{point['workload']} on the chosen {acc.dataflow_name} design "
                                           f"({acc.num_pes} PEs)")
        return {"accelerator YAML (dse map --accelerator)": path, "per-layer costs": out / "layers.csv",
                "per-layer latency plot": figures[0]}


PROBLEMS = {DataflowAcceleratorProblem.kind: DataflowAcceleratorProblem}
