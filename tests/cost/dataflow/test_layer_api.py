"""evaluate(Layer, accelerator) and the accelerator library: loader errors, small cases worked out by hand,
batch == one at a time, and MAC invariants over whole training graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dse.cost.dataflow.model import evaluate, evaluate_batch
from dse.errors import InputError
from dse.hw.dataflow import known_accelerators, load_accelerator
from dse.workload import build, training
from dse.workload.layer import Layer, Op, Pass

MAC_J = 0.23e-12


def _machine(tmp_path: Path, conv: list[str], **changes) -> Path:
    """A 4-PE machine in the YAML format; NoC/off-chip wide enough not to bind unless changed."""
    src = "test"
    data = {"name": "tiny", "dataflow_name": "K-P", "num_pes": {"value": 4, "source": src},
            "clock_hz": {"value": 1.0e+9, "source": src}, "l1_bytes": {"value": 64, "source": src},
            "l2_bytes": {"value": 4096, "source": src}, "noc_bw_bytes_per_cycle": {"value": 4000, "source": src},
            "noc_hop_cycles": {"value": 1, "source": src}, "offchip_bw_bytes_per_s": {"value": 1.0e+12, "source": src},
            "offchip_bound": {"value": "layer", "source": src},
            "energy": {"l2_access_macunits": {"value": 18.61, "source": src},
                       "l1_access_macunits": {"value": 1.68, "source": src},
                       "mac_macunits": {"value": 1.0, "source": src}, "mac_j": {"value": MAC_J, "source": src},
                       "dram_j_per_byte": {"value": 1.0e-10, "source": src}},
            "dataflow": {"conv": conv}}
    data.update(changes)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_library_has_the_six_dataflows() -> None:
    names = {load_accelerator(n).dataflow_name for n in known_accelerators()}
    assert names == {"KC-P", "YR-P", "YX-P", "X-P", "C-P", "CK-P"}


def test_unknown_accelerator_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown dataflow accelerator 'tpu'; known: ckp, cp, eyeriss, nvdla"):
        load_accelerator("tpu")


def test_bad_fields_name_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"tiny.yaml: field num_pes.value: must be a finite number in \[1, 1e\+30\], got 0"):
        load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"], num_pes={"value": 0, "source": "x"})))
    with pytest.raises(InputError, match=r"tiny.yaml: dataflow.conv:2: token 'Bogus'"):
        load_accelerator(str(_machine(tmp_path, ["Bogus(1,1) K"])))
    with pytest.raises(InputError, match=r"field clock_hz must be \{value"):
        load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"], clock_hz=5)))


def test_fc_layer_by_hand(tmp_path: Path) -> None:
    """FC with 4 outputs of 1 input, SpatialMap(1,1) K on 4 PEs (the case of test_hand_cases, now in SI units):
    2 cycles at 1 GHz; L2 accesses 9 reads + 9 writes, L1 accesses 12 reads + 9 writes, 4 MACs; off-chip traffic
    = input 1 + weights 4 + outputs 4 elements x 4 B = 36 B at 1e-10 J/B."""
    acc = load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"])))
    cost = evaluate(Layer("fc", Op.FC, K=4, C=1, bias=False), acc)
    assert cost.cycles == 2 and cost.seconds == pytest.approx(2e-9) and cost.macs == 4
    assert cost.energy_l2_j == pytest.approx(18.61 * 18 * MAC_J)
    assert cost.energy_l1_j == pytest.approx(1.68 * 21 * MAC_J)
    assert cost.energy_mac_j == pytest.approx(4 * MAC_J)
    assert cost.dram_bytes == 36 and cost.energy_dram_j == pytest.approx(36e-10)
    assert cost.energy_j == pytest.approx(cost.energy_l2_j + cost.energy_l1_j + cost.energy_mac_j + 36e-10)
    assert cost.utilization == pytest.approx(4 / (2 * 4))
    assert cost.l2_bytes == 2 * 9 * 4 and cost.l1_bytes == 2 * 3 * 4
    assert cost.extra["runtime_cycles"] == 2


def test_offchip_traffic_bounds_runtime(tmp_path: Path) -> None:
    """At 1 GB/s and 1 GHz the same 36 B take 36 cycles, more than the analysis' 2."""
    acc = load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"],
                                        offchip_bw_bytes_per_s={"value": 1.0e+9, "source": "x"})))
    cost = evaluate(Layer("fc", Op.FC, K=4, C=1, bias=False), acc)
    assert cost.cycles == 36 and cost.extra["dram_bound_cycles"] == 36


def test_elementwise_add_by_hand(tmp_path: Path) -> None:
    """ADD over 8 x 2 x 2 = 32 elements (4 B): operands 128 B in, 128 B out, 32 FLOPs on 4 PEs -> 8 cycles (NoC:
    256/4000 -> 1, off-chip 256 B at 1000 B/cycle -> 1). L1: 64 accesses, L2: 128, DRAM: 256 B."""
    acc = load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"])))
    cost = evaluate(Layer("add", Op.ADD, K=8, C=8, Y=2, X=2), acc)
    assert cost.cycles == 8 and cost.macs == 0 and cost.flops == 32
    assert cost.energy_mac_j == pytest.approx(32 * MAC_J)
    assert cost.energy_l1_j == pytest.approx(64 * 1.68 * MAC_J)
    assert cost.energy_l2_j == pytest.approx(128 * 18.61 * MAC_J)
    assert cost.energy_dram_j == pytest.approx(256e-10)


def test_max_pool_traffic_bound(tmp_path: Path) -> None:
    """2x2/2 max pool of 4 x 4 x 4 -> 4 x 2 x 2: 64 + 16 elements = 320 B; at 1e8 B/s and 1 GHz: 3200 cycles."""
    acc = load_accelerator(str(_machine(tmp_path, ["SpatialMap(1,1) K"],
                                        offchip_bw_bytes_per_s={"value": 1.0e+8, "source": "x"})))
    cost = evaluate(Layer("p", Op.MAXPOOL, K=4, C=4, Y=4, X=4, R=2, S=2, stride_y=2, stride_x=2), acc)
    assert cost.dram_bytes == 320 and cost.cycles == 3200


@pytest.mark.parametrize("network", ["resnet50", "mobilenet_v2"])
def test_batch_equals_single_and_mac_invariants(network: str) -> None:
    """Every op of a training graph on every accelerator: batch == one at a time; a pass's MACs are the Layer's
    MACs; where the problem has stride 1 the MACs the dataflow issues equal them too (strided layers differ under
    YR-P/YX-P by MAESTRO's edge-tile count, docs/dataflow.md)."""
    layers = training(build(network)).layers()
    for name in known_accelerators():
        acc = load_accelerator(name)
        frame = evaluate_batch(layers, acc)
        for layer, row in zip(layers, frame.to_dict(orient="records")):
            cost = evaluate(layer, acc)
            assert row["layer"] == layer.name
            for key, value in cost.to_dict().items():
                assert row[key] == value or (row[key] != row[key] and value != value), (name, layer.name, key)
            assert cost.macs == layer.macs
            exact = layer.pass_ is Pass.WEIGHT_GRADIENT or layer.stride_y == layer.stride_x == 1
            if "num_macs" in cost.extra and exact:
                assert cost.extra["num_macs"] == layer.macs, (name, layer.name)
