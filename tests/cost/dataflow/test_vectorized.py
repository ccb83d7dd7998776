"""The vectorized batch path (dse.cost.dataflow.vectorized) returns exactly the scalar path's numbers.

Every metric is compared for equality (NaN = NaN): integer counts must be identical and floats bit-equal, since the
vector pass runs the same equations in the same order on int64/float64 arrays. min_group=1 forces every group of
layers through the vector pass, even a single layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dse.cost.dataflow.metrics import METRICS, layer_metrics
from dse.cost.dataflow.model import evaluate, evaluate_batch, maestro_layer
from dse.cost.dataflow.problem import Problem, has_mac_form, problem
from dse.cost.dataflow.vectorized import group_metrics, metrics_many, split
from dse.hw.dataflow import known_accelerators, load_accelerator
from dse.hw.directives import Hardware
from dse.hw.maestro_io import read_hardware, read_mapping
from dse.workload import build, training

from ...reference import MAESTRO as REF

MAERI_HW = Hardware(num_pes=256, l1_size=5120, l2_size=1024000, noc_bw=10**9, offchip_bw=70000, noc_hops=0)


def _same(a, b) -> bool:
    return a == b or (a != a and b != b)


def _assert_exact(layers, machines, compat: str = "fixed", energy=None) -> None:
    kwargs = {} if energy is None else {"energy": energy}
    batch = metrics_many(layers, machines, compat=compat, min_group=1, **kwargs)
    for i, (layer, hw) in enumerate(zip(layers, machines)):
        single = layer_metrics(layer, hw, compat=compat, **kwargs)
        wrong = [(k, batch[k][i], single[k]) for k in METRICS if not _same(batch[k][i], single[k])]
        assert not wrong, f"{layer.source} {layer.name}: {wrong[:4]}"
        for k in METRICS:  # counts stay integers
            if isinstance(single[k], int):
                assert float(batch[k][i]).is_integer()


def test_every_vgg16_reference_run() -> None:
    ref = pd.read_csv(REF / "vgg16_results.csv")
    runs = 0
    for dataflow, hw_name in ref[["dataflow", "hw"]].drop_duplicates().itertuples(index=False):
        if hw_name == "cli":
            hw, layers = MAERI_HW, read_mapping(REF / "inputs" / "validation" / "vgg16_maeri.m")[1]
        else:
            hw = read_hardware(REF / "inputs" / "hw" / f"{hw_name}.m")
            layers = read_mapping(REF / "inputs" / "mapping" / f"vgg16_{dataflow}.m")[1]
        for compat in ("maestro", "fixed"):
            _assert_exact(layers, [hw] * len(layers), compat)
        runs += len(layers)
    assert runs == 325


@pytest.mark.parametrize("network", ["vgg16", "resnet50", "mobilenet_v2"])
def test_zoo_networks_on_every_library_accelerator(network: str) -> None:
    layers = [l for l in build(network).layers() if has_mac_form(l)]
    names = known_accelerators()
    assert len(names) == 6
    for name in names:
        acc = load_accelerator(name)
        maestro = [maestro_layer(problem(l), acc, None, l.name) for l in layers]
        _assert_exact(maestro, [acc.machine(l.elem_bytes) for l in layers], energy=acc.energy)


def test_resnet50_training_passes() -> None:
    layers = [l for l in training(build("resnet50"), "sgd").layers() if has_mac_form(l)]
    passes = {l.pass_ for l in layers}
    assert len(passes) == 3  # forward, backward-data, weight-gradient
    for name in ("nvdla", "eyeriss", "shidiannao"):
        acc = load_accelerator(name)
        maestro = [maestro_layer(problem(l), acc, None, l.name) for l in layers]
        _assert_exact(maestro, [acc.machine(l.elem_bytes) for l in layers], energy=acc.energy)


def test_random_shapes_and_tile_sizes_in_one_group() -> None:
    """Many sizes under one structure: rows differ in which iteration cases they have (masked in one pass)."""
    rng = np.random.default_rng(7)
    acc = load_accelerator("nvdla")
    layers = []
    for i in range(300):
        r = int(rng.choice([1, 3, 5, 7]))
        y = int(rng.integers(r, 40))
        sizes = dict(N=1, K=int(rng.integers(1, 200)), C=int(rng.integers(1, 100)), R=r, S=r, Y=y, X=y)
        prob = Problem("CONV", tuple(sizes.items()), int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        layers.append(maestro_layer(prob, acc, {"Tc": int(rng.integers(1, 70))}, f"r{i}"))
    assert len({split(l)[0] for l in layers}) == 1
    hw = acc.machine(2)
    batch = group_metrics(layers, hw, energy=acc.energy)
    for i in range(0, 300, 7):
        single = layer_metrics(layers[i], hw, energy=acc.energy)
        assert all(_same(batch[k][i], single[k]) for k in METRICS), layers[i]


def test_layer_api_batch_equals_evaluate_on_mobilenet() -> None:
    acc = load_accelerator("eyeriss")
    layers = build("mobilenet_v2").layers()
    frame = evaluate_batch(layers, acc)
    for row, layer in zip(frame.to_dict(orient="records"), layers):
        single = evaluate(layer, acc).to_dict()
        assert all(_same(row[k], v) for k, v in single.items()), layer.name


@pytest.mark.parametrize("name", ["eyeriss", "shidiannao", "ckp"])
def test_random_tilings_on_multi_level_templates(name: str) -> None:
    """Random shapes and tile sizes under a two-level template: the innermost level's per-row memo (many rows share
    sub-cluster tiles) gives every row the same numbers as one layer at a time."""
    rng = np.random.default_rng(11)
    acc = load_accelerator(name)
    layers = []
    for i in range(150):
        r = int(rng.choice([1, 3, 5]))
        y = int(rng.integers(r, 30))
        sizes = dict(N=1, K=int(rng.integers(1, 130)), C=int(rng.integers(1, 70)), R=r, S=r, Y=y, X=y)
        prob = Problem("CONV", tuple(sizes.items()), int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        mapping = {p.name: int(rng.integers(1, 2 * p.default + 1)) for p in acc.parameters.values() if p.dim != "PE"}
        layers.append(maestro_layer(prob, acc, mapping, f"r{i}"))
    _assert_exact(layers, [acc.machine(2)] * len(layers), energy=acc.energy)


@pytest.mark.parametrize("name", ["nvdla", "eyeriss", "xp"])
def test_machines_swept_in_one_pass(name: str) -> None:
    """Layers on many machines (PE count, NoC bandwidth and hop latency, off-chip bandwidth, SIMD lanes, both
    off-chip bounds): one vector pass per bound with the machines' numbers as columns, each row equal to its layer
    on its own machine."""
    import dataclasses

    rng = np.random.default_rng(5)
    acc = load_accelerator(name)
    base = acc.machine(2)
    layers = [maestro_layer(problem(l), acc, None, l.name) for l in build("resnet18").layers() if has_mac_form(l)]
    pairs = []
    for _ in range(6):
        hw = dataclasses.replace(base, num_pes=int(base.num_pes * rng.choice([1, 2, 4])),
                                 noc_bw=int(rng.choice([4, 64, 1024])), noc_hops=int(rng.integers(0, 4)),
                                 offchip_bw=int(rng.choice([1, 8, 64])), simd_lanes=int(rng.choice([1, 2])),
                                 step_offchip_bound=bool(rng.integers(0, 2)))
        pairs += [(layer, hw) for layer in layers]
    assert len({hw for _, hw in pairs}) > 2
    _assert_exact([l for l, _ in pairs], [hw for _, hw in pairs], energy=acc.energy)


THREE_LEVELS = ["TemporalMap(1,1) N", "SpatialMap(1,1) K", "TemporalMap({tc},{tc}) C", "TemporalMap(Sz(R),Sz(R)) R",
                "TemporalMap(Sz(S),Sz(S)) S", "TemporalMap(Sz(R),1) Y", "TemporalMap(Sz(S),1) X", "Cluster({c1},P)",
                "SpatialMap({sc},{sc}) C", "TemporalMap(Sz(R),1) Y", "TemporalMap(Sz(S),1) X", "Cluster({c2},P)",
                "SpatialMap(1,1) C", "TemporalMap(Sz(R),1) Y", "TemporalMap(Sz(S),1) X"]


def _three_level_layers(rng: np.random.Generator, count: int) -> list:
    """KC-P layers with two Cluster directives (three levels: the middle one neither top nor innermost), random
    shapes, strides, tile and cluster sizes."""
    from dse.hw.directives import MaestroLayer
    from dse.hw.maestro_io import parse_dataflow

    layers = []
    for i in range(count):
        r = int(rng.choice([1, 3, 5]))
        y = int(rng.integers(r, 24))
        sizes = dict(N=1, K=int(rng.integers(1, 80)), C=int(rng.integers(1, 70)), R=r, S=r, Y=y, X=y)
        c2 = int(rng.choice([2, 4]))
        sc = int(rng.choice([c2, 2 * c2]))
        tc = int(rng.choice([sc, 2 * sc, 4 * sc]))
        flow = parse_dataflow([l.format(tc=tc, c1=4 * c2, sc=sc, c2=c2) for l in THREE_LEVELS], sizes,
                              "three-level")
        stride = int(rng.integers(1, 3))
        layers.append(MaestroLayer(f"l{i}", "CONV", tuple(sizes.items()), flow, stride, stride, "three-level"))
    assert len({split(l)[0] for l in layers}) == 1
    return layers


def test_three_level_dataflow_on_random_machines() -> None:
    """Three levels on random machines and off-chip bounds: the vector pass (called directly, so no group can fall
    back to the scalar path) equals one layer at a time."""
    from dse.cost.dataflow.vectorized import stack_machines

    rng = np.random.default_rng(3)
    layers = _three_level_layers(rng, 120)
    machines = [Hardware(num_pes=int(rng.choice([64, 256])), noc_bw=int(rng.choice([8, 64])),
                         step_offchip_bound=bool(rng.integers(0, 2))) for _ in layers]
    batch = group_metrics(layers, stack_machines(machines))
    for i, (layer, hw) in enumerate(zip(layers, machines)):
        single = layer_metrics(layer, hw)
        wrong = [(k, batch[k][i], single[k]) for k in METRICS if not _same(batch[k][i], single[k])]
        assert not wrong, (layer.name, wrong[:4])


def test_machines_differing_in_delays_share_one_analysis() -> None:
    """Machines that differ only in NoC bandwidth and hops, off-chip bandwidth and bound (a NoC sweep) take the
    machine-axis pass: every layer is analysed once and its delays per machine. Each (layer, machine) row, in a
    shuffled order with some pairs missing, equals one layer at a time on that machine."""
    from dse.cost.dataflow.vectorized import Part, machine_axis, metrics_parts

    rng = np.random.default_rng(5)
    layers = _three_level_layers(rng, 40)
    machines = [Hardware(num_pes=128, noc_bw=bw, noc_hops=hops, offchip_bw=off, step_offchip_bound=bound)
                for bw, hops, off, bound in ((4, 1, 8, True), (16, 1, 64, False), (64, 3, 8, False), (512, 0, 1, True))]
    assert machine_axis(machines) is not None
    assert machine_axis([*machines, Hardware(num_pes=256)]) is None  # a PE count changes what the levels move
    pairs = [(i, m) for i in range(len(layers)) for m in range(len(machines))]
    keep = rng.permutation(len(pairs))[: len(pairs) * 7 // 8]  # 7/8 of the cross product: the axis pass pays
    pairs = [pairs[k] for k in keep]
    numbers = np.array([split(layers[i])[1] for i, _ in pairs])
    which = np.array([m for _, m in pairs])
    batch = metrics_parts([Part(layers[0], machines, numbers, np.arange(len(pairs)), which=which)], len(pairs))
    for row, (i, m) in enumerate(pairs):
        single = layer_metrics(layers[i], machines[m])
        wrong = [(k, batch[k][row], single[k]) for k in METRICS if not _same(batch[k][row], single[k])]
        assert not wrong, (layers[i].name, machines[m], wrong[:4])
