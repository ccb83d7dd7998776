"""Layer evaluations per CPU-second of dse's MAESTRO-style dataflow model, one at a time and in batch.

Part 1: MAESTRO's own VGG16, ResNet-50 and MobileNetV2 mapping files (reference/maestro/inputs) on the
shipped 256-PE machine (MobileNetV2 ships three dataflows). Part 2: the zoo's forward MAC layers through
`evaluate` / `evaluate_batch` on five accelerators of accelerators/dataflow. Part 3: what a mapping search
generates, 10,000 random conv shapes with random tile sizes under one dataflow template (MAESTRO layers built
beforehand, not timed), through the vectorized batch (dse.cost.dataflow.vectorized), with one-at-a-time on a
sample of 300. Part 4: an architect's sweep, every MAC layer of VGG16 / ResNet-50 / MobileNetV2 x every candidate
mapping of dse.search.dataflow_mapping.space() (up to ~1,000 per layer on Eyeriss), timed from the Layers and mappings to
the DataFrame: `evaluate_batch` on one mapping dict per row, and `evaluate_sweep` on one table per layer (built from
the same dicts inside the timing); the network alone (its MAC layers once, default mappings) is the small-batch
line. Part 5: a hardware sweep, every MAC layer of each network on 128 variants of each accelerator (PE count x
3/4..4, NoC bandwidth x 1/2..4, off-chip bandwidth x 1/2..4, clock x 1/2 or 1; default mappings) through
`evaluate_designs`, timed from the Layers and designs to the DataFrame. Single process; CPU time from
time.process_time(); parts 4 and 5 print the median of three runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import sys
import time
from pathlib import Path
from statistics import median

from dse.cost.dataflow.batch import evaluate_batch as maestro_batch
from dse.cost.dataflow.metrics import layer_metrics
from dse.cost.dataflow.model import (
    evaluate,
    evaluate_batch,
    evaluate_designs,
    evaluate_sweep,
    maestro_layer,
)
from dse.cost.dataflow.problem import Problem, has_mac_form
from dse.cost.dataflow.vectorized import metrics_many
from dse.hw.dataflow import load_accelerator, resolve_symbolic, resolve_template
from dse.hw.maestro_io import read_hardware, read_mapping
from dse.search.dataflow_mapping import space
from dse.workload import build

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's tests/: where reference/ is
from tests.reference import MAESTRO  # noqa: E402

REF = MAESTRO / "inputs"
FILES = {"VGG16": ("vgg16", ["kcp_ws", "rs_frontend", "xp_ws", "yxp_os", "nlr"]),
         "ResNet-50": ("Resnet50", ["kcp_ws", "rs_frontend", "xp_ws", "yxp_os", "nlr"]),
         "MobileNetV2": ("MobileNetV2", ["kcp_ws", "xp_ws", "yxp_os"])}


def rates(layers: list, one, many) -> tuple[float, float]:
    """Layer evaluations per CPU-second, one at a time and as one batch, each starting with no template cached."""
    return cold_rate(len(layers), lambda: [one(layer) for layer in layers]), cold_rate(len(layers), lambda: many(layers))


def cold_rate(n: int, run) -> float:
    """n evaluations per CPU-second of run(), started with no template resolution cached."""
    resolve_template.cache_clear()
    resolve_symbolic.cache_clear()
    start = time.process_time()
    run()
    return n / (time.process_time() - start)


def main() -> None:
    hw = read_hardware(REF / "hw" / "accelerator_1.m")
    print(f"{'network':12s} {'dataflow':12s} {'layers':>6s} {'single /CPU-s':>14s} {'batch /CPU-s':>13s}")
    for network, (prefix, dataflows) in FILES.items():
        for dataflow in dataflows:
            layers = read_mapping(REF / "mapping" / f"{prefix}_{dataflow}.m")[1]
            single, batch = rates(layers, lambda l: layer_metrics(l, hw), lambda ls: maestro_batch(ls, hw))
            print(f"{network:12s} {dataflow:12s} {len(layers):6d} {single:14.0f} {batch:13.0f}")
    print(f"\n{'network':12s} {'accelerator':12s} {'layers':>6s} {'single /CPU-s':>14s} {'batch /CPU-s':>13s}")
    for network in ("vgg16", "resnet50", "mobilenet_v2"):
        layers = [l for l in build(network).layers() if l.is_compute]
        for name in ("nvdla", "eyeriss", "shidiannao", "xp", "cp"):
            acc = load_accelerator(name)
            single, batch = rates(layers, lambda l: evaluate(l, acc), lambda ls: evaluate_batch(ls, acc))
            print(f"{network:12s} {name:12s} {len(layers):6d} {single:14.0f} {batch:13.0f}")
    print(f"\n{'random convs':12s} {'accelerator':12s} {'layers':>6s} {'single /CPU-s':>14s} {'batch /CPU-s':>13s}")
    for name in ("nvdla", "eyeriss", "shidiannao", "xp", "cp", "ckp"):
        acc = load_accelerator(name)
        layers = random_convs(acc, 10_000)
        hw = acc.machine(2)
        start = time.process_time()
        for layer in layers[:300]:
            layer_metrics(layer, hw, energy=acc.energy)
        single = 300 / (time.process_time() - start)
        start = time.process_time()
        metrics_many(layers, [hw] * len(layers), energy=acc.energy)
        batch = len(layers) / (time.process_time() - start)
        print(f"{'':12s} {name:12s} {len(layers):6d} {single:14.0f} {batch:13.0f}")
    print(f"\n{'sweep':12s} {'accelerator':12s} {'layers':>6s} {'mappings':>8s} {'dicts /CPU-s':>13s} "
          f"{'tables /CPU-s':>14s} {'network /CPU-s':>15s}")
    for network in ("vgg16", "resnet50", "mobilenet_v2"):
        layers = [l for l in build(network).layers() if has_mac_form(l)]
        for name in ("nvdla", "eyeriss", "shidiannao", "xp", "cp"):
            acc = load_accelerator(name)
            sweep = [(layer, space(layer, acc)) for layer in layers]
            rows = [layer for layer, maps in sweep for _ in maps]
            maps = [m for _, ms in sweep for m in ms]
            dicts = median(cold_rate(len(rows), lambda: evaluate_batch(rows, acc, maps)) for _ in range(3))
            tables = median(cold_rate(len(rows), lambda: evaluate_sweep(
                [(layer, {p: [m[p] for m in ms] for p in acc.parameters}) for layer, ms in sweep], acc))
                for _ in range(3))
            alone = median(cold_rate(len(layers), lambda: evaluate_batch(layers, acc)) for _ in range(3))
            print(f"{network:12s} {name:12s} {len(layers):6d} {len(rows):8d} {dicts:13.0f} {tables:14.0f} "
                  f"{alone:15.0f}")
    print(f"\n{'designs':12s} {'accelerator':12s} {'layers':>6s} {'designs':>8s} {'rows':>6s} {'batch /CPU-s':>13s}")
    for network in ("vgg16", "resnet50", "mobilenet_v2"):
        layers = [l for l in build(network).layers() if has_mac_form(l)]
        for name in ("nvdla", "eyeriss", "shidiannao", "xp", "cp"):
            designs = variants(load_accelerator(name))
            rows = len(layers) * len(designs)
            rate = median(cold_rate(rows, lambda: evaluate_designs(layers, designs)) for _ in range(3))
            print(f"{network:12s} {name:12s} {len(layers):6d} {len(designs):8d} {rows:6d} {rate:13.0f}")


def variants(acc) -> list:
    """128 designs around an accelerator: PEs x 3/4, 1, 2, 4 (not 1/2: Eyeriss's 14-column PE set on a 7x7 conv1
    groups 98 of its 168 PEs); NoC and off-chip bandwidth x 1/2, 1, 2, 4; clock x 1/2, 1."""
    scale = (0.5, 1, 2, 4)
    return [dataclasses.replace(acc, num_pes=int(acc.num_pes * p), noc_bw_bytes_per_cycle=acc.noc_bw_bytes_per_cycle * b,
                                offchip_bw_bytes_per_s=acc.offchip_bw_bytes_per_s * o, clock_hz=acc.clock_hz * c)
            for p, b, o, c in itertools.product((0.75, 1, 2, 4), scale, scale, (0.5, 1))]


def random_convs(acc, n: int, seed: int = 0) -> list:
    """n conv problems (random K, C, filter, extent, stride) with random template tile sizes, as MAESTRO layers."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.choice([1, 3, 5, 7])
        y = rng.randint(r, 64)
        sizes = dict(N=1, K=rng.choice([16, 32, 64, 96, 128, 256, 512]), C=rng.choice([3, 16, 32, 64, 128, 256]),
                     R=r, S=r, Y=y, X=y)
        stride = rng.choice([1, 2])
        mapping = {p.name: rng.randint(1, 2 * p.default) for p in acc.parameters.values() if p.dim != "PE"}
        out.append(maestro_layer(Problem("CONV", tuple(sizes.items()), stride, stride), acc, mapping, f"r{i}"))
    return out


if __name__ == "__main__":
    main()
