"""evaluate_designs: a hardware sweep over variants of one accelerator in shared vector passes gives every row the
numbers of `evaluate(layer, design)` one at a time."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from dse.cost.dataflow.model import evaluate, evaluate_designs
from dse.errors import InputError
from dse.hw.dataflow import load_accelerator
from dse.workload import build


def _same(a, b) -> bool:
    return a == b or (a != a and b != b)


def _variants(name: str) -> list:
    acc = load_accelerator(name)
    # 3/4 of the PEs, not half: Eyeriss's 14-column PE set on ResNet's 7x7 conv1 groups 98 of its 168 PEs
    grid = itertools.product((acc.num_pes * 3 // 4, acc.num_pes, acc.num_pes * 2), (16.0, 256.0), (1.6e9, 25.6e9),
                             (2e8, 1e9), ("layer", "step"))
    return [dataclasses.replace(acc, num_pes=p, noc_bw_bytes_per_cycle=noc, offchip_bw_bytes_per_s=dram,
                                clock_hz=clock, noc_hop_cycles=1 + i % 3, offchip_bound=bound)
            for i, (p, noc, dram, clock, bound) in enumerate(grid)]


@pytest.mark.parametrize("name", ["nvdla", "eyeriss", "shidiannao"])
def test_every_row_equals_one_design_at_a_time(name: str) -> None:
    designs = _variants(name)
    layers = build("resnet18").layers()  # convs, FC, pooling, element-wise adds
    frame = evaluate_designs(layers, designs)
    assert len(frame) == len(layers) * len(designs)
    assert list(frame["design"][:: len(layers)]) == list(range(len(designs)))
    for i in range(0, len(frame), 5):
        d, layer = int(frame["design"][i]), layers[i % len(layers)]
        row, single = frame.iloc[i], evaluate(layer, designs[d]).to_dict()
        wrong = [(k, row[k], v) for k, v in single.items() if not _same(row[k], v)]
        assert not wrong, (layer.name, d, wrong[:3])


@pytest.mark.parametrize("name", ["eyeriss", "shidiannao"])
def test_a_noc_and_offchip_sweep_shares_one_analysis_per_layer(name: str) -> None:
    """Designs of one PE count (NoC, hops, off-chip bandwidth, clock and bound swept) take the machine-axis pass:
    every row still equals `evaluate` one at a time, and all_metrics=False gives the same Cost columns without the
    MAESTRO metrics beyond COST_METRICS."""
    from dse.cost.dataflow.metrics import METRICS
    from dse.cost.dataflow.model import COST_METRICS

    designs = [d for d in _variants(name) if d.num_pes == load_accelerator(name).num_pes]
    layers = build("resnet18").layers()
    frame = evaluate_designs(layers, designs)
    lean = evaluate_designs(layers, designs, all_metrics=False)
    assert set(frame.columns) - set(lean.columns) == set(METRICS) - set(COST_METRICS)
    assert all(lean[k].equals(frame[k]) for k in lean.columns)
    for i in range(0, len(frame), 3):
        d, layer = int(frame["design"][i]), layers[i % len(layers)]
        row, single = frame.iloc[i], evaluate(layer, designs[d]).to_dict()
        wrong = [(k, row[k], v) for k, v in single.items() if not _same(row[k], v)]
        assert not wrong, (layer.name, d, wrong[:3])


def test_runtime_at_least_the_compute_and_traffic_bounds() -> None:
    """Invariants on every design of the sweep: a MAC layer's runtime is at least MACs / PEs and at least its
    off-chip traffic over the design's off-chip bandwidth."""
    designs = _variants("nvdla")
    frame = evaluate_designs(build("vgg16").layers(), designs)
    mac = frame[frame["macs"] > 0]
    pes = mac["design"].map(lambda d: designs[d].num_pes)
    dram_cycles = mac["dram_bytes"] * mac["design"].map(lambda d: designs[d].clock_hz / designs[d].offchip_bw_bytes_per_s)
    assert (mac["cycles"] >= mac["macs"] / pes - 1e-9).all()
    assert (mac["cycles"] >= dram_cycles - 1).all()


def test_designs_of_different_dataflows_are_rejected() -> None:
    with pytest.raises(InputError, match="dataflow_name differs from"):
        evaluate_designs(build("lenet10").layers(), [load_accelerator("nvdla"), load_accelerator("eyeriss")])
    nvdla = load_accelerator("nvdla")
    other_energy = dataclasses.replace(nvdla, energy=dataclasses.replace(nvdla.energy, l2_macunits=2.0))
    with pytest.raises(InputError, match="energy differs"):
        evaluate_designs(build("lenet10").layers(), [nvdla, other_energy])
