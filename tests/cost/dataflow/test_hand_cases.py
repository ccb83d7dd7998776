"""Small layers worked out by hand from the model's equations, and the stride-dependent MAC counts MAESTRO reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from dse.cost.dataflow.metrics import layer_metrics
from dse.hw.directives import Hardware
from dse.hw.maestro_io import read_hardware, read_mapping

from ...reference import MAESTRO as REF


def _layer(tmp_path: Path, body: str, name: str = "net.m"):
    path = tmp_path / name
    path.write_text("Network t {\n" + body + "\n}\n")
    return read_mapping(path)[1]


def test_four_filters_on_four_pes(tmp_path: Path) -> None:
    """K=4 1x1 filters on one pixel, SpatialMap(1,1) K on 4 PEs: one all-initial case.
    Ingress: input 1 element multicast + filter 1 per PE (4) = 5; egress 4 outputs; 1 MAC per PE.
    Delay = compute 1 + NoC (1 hop + ceil(5/1000) - 1 = 1) = 2; off-chip fill (2+8)/50/2 = 0 does not bind.
    Energy: L2 reads 1+4+4 (output read K*Y'*X' = 4), L2 writes 1+4+4, L1 reads 4+4+4, L1 writes 1+4+4, MACs 4."""
    (layer,) = _layer(tmp_path, "Layer L { Type: CONV Dimensions { K: 4, C: 1, R: 1, S: 1, Y: 1, X: 1 }"
                                " Dataflow { SpatialMap(1,1) K; } }")
    m = layer_metrics(layer, Hardware(num_pes=4, noc_bw=1000, offchip_bw=50))
    assert m["runtime_cycles"] == 2 and m["num_macs"] == 4
    assert (m["input_l2_read"], m["filter_l2_read"], m["output_l2_write"], m["output_l2_read"]) == (1, 4, 4, 4)
    assert (m["input_l1_read"], m["filter_l1_read"], m["output_l1_read"], m["output_l1_write"]) == (4, 4, 4, 4)
    assert m["total_energy_macunits_exact"] == pytest.approx(18.61 * 18 + 1.68 * 21 + 4)
    assert m["total_energy_nJ"] == pytest.approx((18.61 * 18 + 1.68 * 21 + 4) * 0.23e-3)
    assert m["l2_size_req"] == 2 * (1 + 4 + 4) and m["l1_size_req"] == 2 * 3
    assert m["noc_bw_req_elems_per_cycle"] == 5  # max(ingress 5, egress 4) // compute 1
    assert m["offchip_bw_req_elems_per_cycle"] == 5  # max(8//1, 10//1) // 2
    assert m["avg_utilized_pes"] == 4


def test_noc_bandwidth_bounds_the_case(tmp_path: Path) -> None:
    """Same layer with a 1-element/cycle NoC: ingress takes 1 + ceil(5/1) - 1 = 5 cycles, so runtime = 1 + 5."""
    (layer,) = _layer(tmp_path, "Layer L { Type: CONV Dimensions { K: 4, C: 1, R: 1, S: 1, Y: 1, X: 1 }"
                                " Dataflow { SpatialMap(1,1) K; } }")
    assert layer_metrics(layer, Hardware(num_pes=4, noc_bw=1, offchip_bw=50))["runtime_cycles"] == 6


def test_extra_pes_sit_idle(tmp_path: Path) -> None:
    """Four filters spread over 16 PEs: only 4 are active and the MAC count is unchanged."""
    (layer,) = _layer(tmp_path, "Layer L { Type: CONV Dimensions { K: 4, C: 2, R: 1, S: 1, Y: 1, X: 1 }"
                                " Dataflow { SpatialMap(1,1) K; } }")
    m = layer_metrics(layer, Hardware(num_pes=16))
    assert m["num_macs"] == 4 * 2 and m["avg_utilized_pes"] == 4


@pytest.mark.parametrize("dataflow,conv1,total", [
    ("kcp_ws", 111_776_448, 3_076_901_568), ("rs_frontend", 116_903_808, 3_082_028_928),
    ("yxp_os", 194_068_224, 3_217_913_600), ("xp_ws", 111_776_448, 3_076_901_568)])
def test_resnet50_mac_counts_as_maestro(dataflow: str, conv1: int, total: int) -> None:
    """README quirk 3: the MAC count of strided layers depends on the mapping (ResNet-50 outputs are not in the
    reference tables; these counts are quoted in its README and come out of the stride/edge analysis)."""
    hw = read_hardware(REF / "inputs" / "hw" / "accelerator_1.m")
    layers = read_mapping(REF / "inputs" / "mapping" / f"Resnet50_{dataflow}.m")[1]
    assert layer_metrics(layers[0], hw, compat="maestro")["num_macs"] == conv1
    assert sum(layer_metrics(l, hw, compat="maestro")["num_macs"] for l in layers) == total
