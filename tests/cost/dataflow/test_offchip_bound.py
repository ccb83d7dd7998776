"""The two off-chip bounds: MAESTRO's per-step working-set bound (`step`) and dse's whole-layer roofline (`layer`),
on a small conv worked out by hand, as invariants over the zoo, and the `offchip_bound` field's validation.

Hand case: CONV K=2, C=4, R=S=1, Y=1, X=4 under SpatialMap(1,1) K; TemporalMap(4,4) C; TemporalMap(1,1) X on 2 PEs
(NoC 1000 elements/cycle: every NoC transfer takes 1 cycle). Four top-level steps, one per X:
- step 1 (all initial): ingress = inputs 4 (C x 1 pixel, multicast) + weights 2 PEs x 4 = 12; compute = 4 MACs per
  PE; delay = compute + ingress = 4 + 1 = 5. Steps 2-4 (X steady, weights stay): ingress 4 inputs; delay =
  max(egress 1, compute 4, ingress 1) = 4. Analysis without the per-step bound: 5 + 3 x 4 = 17 cycles.
- MAESTRO's step bound: L2 working set (double-buffered) in_req = 2 x 12 = 24, out_req = 2 x 2 outputs = 4; each
  step takes at least max(in_req // bw // 2, out_req // bw // 2) = 12 // bw (bw >= 1 element/cycle): bw 1 -> 4 x 12 =
  48, bw 2 -> 4 x 6 = 24 cycles.
- Layer traffic: inputs 16 + weights 8 filled once, outputs 2 x 4 = 8 drained once = 32 elements: bw 1 -> 32 cycles,
  bw 2 -> 16. Layer bound: max(17, 32) = 32 and max(17, 16) = 17. 32 MACs on 2 PEs: compute bound 16 cycles.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dse.cli import main
from dse.cost.dataflow.metrics import layer_metrics
from dse.cost.dataflow.model import evaluate, evaluate_batch
from dse.errors import InputError
from dse.hw.dataflow import load_accelerator
from dse.hw.directives import Hardware
from dse.hw.maestro_io import read_mapping
from dse.resources import accelerators
from dse.workload import build
from dse.workload.layer import Layer, Op

FLOW = ["SpatialMap(1,1) K", "TemporalMap(Sz(C),Sz(C)) C", "TemporalMap(1,1) X"]
#: elements/cycle -> (runtime with the step bound, runtime with the layer bound), from the docstring
HAND = {1: (48, 32), 2: (24, 17)}


def _accelerator_file(tmp_path: Path, bound, offchip_elems_per_cycle: int = 1) -> Path:
    """nvdla.yaml turned into the hand case's machine: 2 PEs, 1 GHz, ample L1/L2/NoC, fp32 off-chip bandwidth in
    elements per cycle, the hand case's dataflow."""
    data = yaml.safe_load(accelerators("dataflow", "nvdla.yaml").read_text())
    src = "test"
    data.update(num_pes={"value": 2, "source": src}, l1_bytes={"value": 4096, "source": src},
                l2_bytes={"value": 1 << 20, "source": src}, noc_bw_bytes_per_cycle={"value": 4000, "source": src},
                offchip_bw_bytes_per_s={"value": 4.0e9 * offchip_elems_per_cycle, "source": src},
                offchip_bound={"value": bound, "source": src}, dataflow={"conv": FLOW})
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "conv.m"
    path.write_text("Network t {\nLayer L { Type: CONV Dimensions { K: 2, C: 4, R: 1, S: 1, Y: 1, X: 4 }\n"
                    "Dataflow { SpatialMap(1,1) K; TemporalMap(4,4) C; TemporalMap(1,1) X; } }\n}\n")
    return path


CONV = Layer("conv", Op.CONV, K=2, C=4, Y=1, X=4, R=1, S=1, bias=False)


@pytest.mark.parametrize("bw", sorted(HAND))
def test_step_bound_is_maestros_formula(tmp_path: Path, bw: int) -> None:
    """MAESTRO's analysis (step bound on) gives 4 steps x 12 // bw; the Layer model on an `offchip_bound: step`
    machine keeps it (the layer roofline, 32 // bw, is lower here)."""
    (layer,) = read_mapping(_mapping_file(tmp_path))[1]
    m = layer_metrics(layer, Hardware(num_pes=2, noc_bw=1000, offchip_bw=bw))
    assert m["runtime_cycles"] == 4 * (12 // bw) == HAND[bw][0]
    assert (m["input_l2_size_req"], m["filter_l2_size_req"], m["output_l2_size_req"]) == (8, 16, 4)
    cost = evaluate(CONV, load_accelerator(str(_accelerator_file(tmp_path, "step", bw))))
    assert cost.cycles == cost.extra["runtime_cycles"] == HAND[bw][0]
    assert cost.extra["dram_bound_cycles"] == 32 // bw


@pytest.mark.parametrize("bw", sorted(HAND))
def test_layer_bound_is_on_chip_time_or_traffic(tmp_path: Path, bw: int) -> None:
    """Without the step bound the analysis takes 17 cycles (compute + NoC only); the layer bound is max(17,
    32 elements / bw), both in the Layer model and in `dse maestro --offchip-bound layer`."""
    (layer,) = read_mapping(_mapping_file(tmp_path))[1]
    m = layer_metrics(layer, Hardware(num_pes=2, noc_bw=1000, offchip_bw=bw, step_offchip_bound=False))
    assert m["runtime_cycles"] == 17
    assert m["input_l2_write"] + m["filter_l2_write"] + m["output_l2_read"] == 16 + 8 + 8
    cost = evaluate(CONV, load_accelerator(str(_accelerator_file(tmp_path, "layer", bw))))
    assert cost.extra["runtime_cycles"] == 17 and cost.extra["dram_bound_cycles"] == 32 // bw
    assert cost.cycles == max(17, 32 // bw) == HAND[bw][1] and cost.dram_bytes == 32 * 4


def test_dse_maestro_offchip_bound_option(tmp_path: Path) -> None:
    """`dse maestro` keeps MAESTRO's bound by default; `--offchip-bound layer` writes the layer bound's runtime
    and the throughput that follows (32 MACs / cycles)."""
    hw = tmp_path / "hw.m"
    hw.write_text("num_pes: 2\nl1_size_cstr: 1000\nl2_size_cstr: 100000\nnoc_bw_cstr: 1000\noffchip_bw_cstr: 1\n")
    runs = {}
    for option in ([], ["--offchip-bound", "step"], ["--offchip-bound", "layer"]):
        out = tmp_path / "out.csv"
        assert main(["maestro", str(_mapping_file(tmp_path)), "--hw", str(hw), "--out", str(out), *option]) == 0
        runs[" ".join(option)] = pd.read_csv(out).iloc[0]
    assert runs[""]["runtime_cycles"] == runs["--offchip-bound step"]["runtime_cycles"] == 48
    layer = runs["--offchip-bound layer"]
    assert layer["runtime_cycles"] == 32 and layer["throughput_macs_per_cycle"] == pytest.approx(32 / 32)
    assert layer["pe_utilization"] == pytest.approx(1 / 2)


@pytest.mark.parametrize("name", ["nvdla", "eyeriss", "shidiannao"])
def test_zoo_invariants(name: str) -> None:
    """Every MAC layer of VGG-16, ResNet-50 and MobileNetV2: the layer bound's cycles are at least the compute
    bound (issued MACs / PEs) and the traffic bound (DRAM bytes / bytes per cycle), and at most the step bound's."""
    layer_acc = load_accelerator(name)
    step_acc = dataclasses.replace(layer_acc, offchip_bound="step")
    assert layer_acc.offchip_bound == "layer"
    layers = [l for net in ("vgg16", "resnet50", "mobilenet_v2") for l in build(net).layers()]
    by_layer, by_step = evaluate_batch(layers, layer_acc), evaluate_batch(layers, step_acc)
    mac = by_layer["macs"].to_numpy() > 0
    cycles, step_cycles = by_layer["cycles"].to_numpy()[mac], by_step["cycles"].to_numpy()[mac]
    compute = np.ceil(by_layer["num_macs"].to_numpy()[mac] / layer_acc.num_pes)
    traffic = np.ceil(by_layer["dram_bytes"].to_numpy()[mac] * layer_acc.clock_hz / layer_acc.offchip_bw_bytes_per_s)
    assert mac.sum() > 100
    assert np.all(cycles >= compute) and np.all(cycles >= traffic) and np.all(cycles <= step_cycles)
    assert np.any(cycles < step_cycles)  # the step bound binds somewhere at these DRAM bandwidths


@pytest.mark.parametrize("entry,message", [
    ({"value": "per-step", "source": "x"}, "field offchip_bound.value must be one of layer, step, got 'per-step'"),
    ({"value": "layer"}, "field offchip_bound must be {value: layer|step, source: <text>}"),
    (None, "field offchip_bound must be {value: layer|step, source: <text>}, got None"),
])
def test_bad_offchip_bound_names_file_and_field(tmp_path: Path, entry, message: str) -> None:
    path = _accelerator_file(tmp_path, "layer")
    data = yaml.safe_load(path.read_text())
    data["offchip_bound"] = entry
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_accelerator(str(path))
    assert str(err.value).startswith(f"{path}: {message}") and "\n" not in str(err.value)


def test_bad_offchip_bound_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _accelerator_file(tmp_path, "per-step")
    assert main(["map", "--workload", "lenet10", "--accelerator", str(path)]) == 2
    assert "field offchip_bound.value must be one of layer, step, got 'per-step'" in capsys.readouterr().err
