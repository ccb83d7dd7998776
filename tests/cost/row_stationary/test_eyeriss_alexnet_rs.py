"""The same chip file on a network it was not fitted on: the Eyeriss chip's measured AlexNet conv layers (JSSC 52(1)
2017 Table V, reference/eyeriss/alexnet_chip.csv; batch 4, the two-tower AlexNet of the zoo's `alexnet_2012`), each
layer folded by the exact latency search. Nothing of this table went into the chip file."""

from __future__ import annotations

import csv
import functools

import pytest

from dse.hw.row_stationary import load_chip
from dse.search.dataflow_mapping import MappingResult
from dse.search.row_stationary import search
from dse.workload import build
from dse.workload.layer import Op

from ...reference import REFERENCE


@functools.lru_cache(maxsize=1)
def chip() -> dict[str, dict[str, str]]:
    with (REFERENCE / "eyeriss" / "alexnet_chip.csv").open() as f:
        return {row["layer"]: row for row in csv.DictReader(line for line in f if not line.startswith("#"))}


@functools.lru_cache(maxsize=1)
def mapped() -> dict[str, MappingResult]:
    acc = load_chip("eyeriss-chip")
    convs = [l for l in build("alexnet_2012", batch=4).layers() if l.op is Op.CONV]
    zeros = [float(row["zeros_pct"]) / 100 for row in chip().values()]
    return {name: search(layer, acc, "latency", zeros[i], zeros[min(i + 1, len(zeros) - 1)])
            for i, (name, layer) in enumerate(zip(chip(), convs))}


def ratio(name: str, model: float, column: str) -> float:
    return model / float(chip()[name][column])


def test_same_work_as_the_chip() -> None:
    for name, result in mapped().items():
        assert result.cost.macs / 1e9 == pytest.approx(float(chip()[name]["gmacs"]), abs=0.006), name


@pytest.mark.parametrize("name", ["CONV2", "CONV3", "CONV4", "CONV5"])
def test_layers_within_30_percent(name: str) -> None:
    assert abs(ratio(name, mapped()[name].cost.seconds * 1e3, "total_latency_ms") - 1) <= 0.30


def test_conv1_is_a_third_slow_and_moves_twice_the_dram_traffic() -> None:
    """CONV1's 11-row, stride-4 windows over 227-wide rows fit the GLB's ifmap space only one output row per PE set,
    so the model loads every filter again for each of the 55 output rows and reads each input row 2.7 times (DRAM
    2x the chip's). The chip's 154 active PEs are 11 x 14 sets, which need 28.6 KB of ifmap rows per channel: its
    split gives CONV1 7x the ifmap space the model fits on VGG-16 (docs/eyeriss.md). Reported, not tuned."""
    assert 1.30 < ratio("CONV1", mapped()["CONV1"].cost.seconds * 1e3, "total_latency_ms") < 1.40
    assert 1.9 < ratio("CONV1", mapped()["CONV1"].cost.dram_bytes / 1e6, "dram_mb") < 2.1
    assert mapped()["CONV1"].mapping["e"] == 1


def test_five_layer_sum_within_10_percent() -> None:
    model = sum(r.cost.seconds for r in mapped().values()) * 1e3
    assert abs(model / sum(float(row["total_latency_ms"]) for row in chip().values()) - 1) <= 0.10


@pytest.mark.parametrize("name", ["CONV2", "CONV3", "CONV4", "CONV5"])
def test_dram_traffic_within_30_percent(name: str) -> None:
    assert abs(ratio(name, mapped()[name].cost.dram_bytes / 1e6, "dram_mb") - 1) <= 0.30


def test_glb_traffic_within_20_percent_but_conv1() -> None:
    """CONV2-CONV5: 0.83-1.01 (CONV3-CONV5 take 8 channels per pass where the table's traffic suggests 6). CONV1's
    one-row PE sets run 14 filters at a time (p = 1), so each input row crosses the GLB 7 times: 2.2x the table."""
    for name, result in mapped().items():
        assert (abs(ratio(name, result.cost.extra["glb_access_bytes"] / 1e6, "glb_mb") - 1) <= 0.20) == (
            name != "CONV1"), name
