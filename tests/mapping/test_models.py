"""Sub-accelerator models against their published equations, and the system loader's errors."""

import math

import pytest

from dse.errors import InputError
from dse.hw.system import load_system
from dse.mapping.accelerators import layer_seconds, model_of
from dse.workload.layer import Layer, Op


def test_zhang_vc707_layer_from_the_fpga15_equations():
    system = load_system("h2h", 1.25e9)
    acc = system.accelerators[system.index("cz_vc707")]
    layer = Layer("conv1_1", Op.CONV, C=3, K=64, Y=224, X=224, R=3, S=3, pad_y=1, pad_x=1, bias=False)
    # Tm=64 Tn=7 Tr=Tc=13, Th=61.62 GFLOP/s, port 512 bit x 100 MHz = 6.4 GB/s, FP32
    t_comp = 2 * 13 * 13 * 64 * 9 * 7 / 61.62e9
    t_in = (64 * 7 * 9 + 7 * 13 * 13) * 4 / 6.4e9
    t_out = 64 * 13 * 13 * 4 / 6.4e9
    tiles = math.ceil(224 / 13) ** 2 * math.ceil(64 / 64)  # 18 x 18 x 1
    expected = tiles * (math.ceil(3 / 7) * (t_in + t_comp) + t_out)
    assert model_of(acc.design).compute_seconds(layer) == pytest.approx(expected, rel=1e-12)
    # plus the host transfers at 1.25 GB/s: 1728 weights, 3x224x224 input, 64x224x224 output, 4 B each
    moved = (1728 + 3 * 224 * 224 + 64 * 224 * 224) * 4
    assert layer_seconds(acc, layer) == pytest.approx(expected + moved / 1.25e9, rel=1e-12)
    assert layer_seconds(acc, layer, False, False, False) == pytest.approx(expected, rel=1e-12)


def test_ese_lstm_is_flops_over_282_gops():
    system = load_system("h2h")
    acc = system.accelerators[system.index("se_xcku060")]
    layer = Layer("lstm", Op.LSTM, C=128, K=256, X=10)
    flops = 10 * (2 * 4 * 256 * (128 + 256) + 4 * 5 * 256)  # gate MACs x2 plus 5 flops per gate element
    assert model_of(acc.design).compute_seconds(layer) == pytest.approx(flops / 282e9)


def test_h2h_system_shape():
    system = load_system("h2h", 0.125e9)
    assert system.names == ["cz_vc707", "ef_zcu102", "se_xcku060"]
    assert all(a.link_bw_bytes_per_s == 0.125e9 for a in system.accelerators)
    assert system.r_wei == 0.5 and math.isinf(system.host_port_bw_bytes_per_s)
    assert system.bandwidth_sweep_bytes_per_s == (0.125e9, 0.15e9, 0.25e9, 0.5e9, 1.25e9)


def test_unknown_design_names_it_and_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("link_bw_bytes_per_s: 1.0e+9\naccelerators:\n  - {name: x, design: nvdla_huge}\n")
    with pytest.raises(InputError, match=r"bad\.yaml: accelerators\[0\]: unknown accelerator design 'nvdla_huge'"):
        load_system(str(path))


@pytest.mark.parametrize("bw", [0.0, -1.0])
def test_non_positive_bandwidth(bw):
    with pytest.raises(InputError, match=r"field bandwidth: must be a finite number in \[1e-30, 1e\+30\]"):
        load_system("h2h", bw)


def test_p2p_to_unknown_accelerator(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("link_bw_bytes_per_s: 1.0e+9\naccelerators:\n  - {design: ese_xcku060}\n"
                    "p2p:\n  - {between: [ese_xcku060, ghost], bw_bytes_per_s: 3.0e+9}\n")
    with pytest.raises(InputError, match="unknown accelerator name 'ghost'"):
        load_system(str(path))
