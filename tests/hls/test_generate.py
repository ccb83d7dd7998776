"""Generated projects: numbers from the record, C simulation passes with g++, and can fail."""

import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import yaml

from dse.cli import main
from dse.cost.tiling_record import TilingRecord
from dse.errors import InputError
from dse.hls.csim import run
from dse.hls.generate import generate
from dse.hls.golden import BN_VECTORS, LEARNING_RATE
from dse.hls.reference import BN_EPS
from dse.hls.reshape import features_from_dram
from dse.hw.fpga import load_board

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module", params=["pynq_small", "zcu102_small"])
def project(request, tmp_path_factory):
    path = FIXTURES / f"{request.param}.yaml"
    record = TilingRecord.load(path)
    return record, generate(record, str(path), tmp_path_factory.mktemp(request.param) / "prj")


def _define(header: str, name: str) -> int:
    return int(re.search(rf"#define {name} (\d+)", header).group(1))


def test_sizes_come_from_the_record(project):
    record, out = project
    header = (out / "small_cnn_train.h").read_text()
    assert _define(header, "TM") == record.Tm and _define(header, "TN") == record.Tn
    assert _define(header, "IFM_DEPTH") * record.Tn == record.buffers.ifm_words
    assert _define(header, "OFM_DEPTH") * record.Tm == record.buffers.ofm_words
    assert _define(header, "WEI_DEPTH") * record.Tm * record.Tn == record.buffers.wei_words
    assert _define(header, "POOL_LINE") == 32 // 2  # conv1's 32 columns after the 2x2 pool
    # conv2 reads conv1's pooled 16x16 map; fc3 reads conv2's pooled 32x8x8 buffer with channels padded to T.
    rows = re.findall(r"\{ ([\d, ]+) \}, // (\w+)", header)
    table = {name: [int(v) for v in values.split(", ")] for values, name in rows}
    T = record.Tm
    assert table["conv2"][:4] == [32, 16, 16, 16]
    assert table["fc3"][:4] == [10, -(-32 // T) * T * 64, 1, 1]
    assert [table[n][9] for n in ("conv1", "conv2", "fc3")] == [l.Tr for l in record.layers]
    assert [table[n][11] for n in ("conv1", "conv2", "fc3")] == [l.M_on for l in record.layers]


def test_tcl_and_readme(project):
    record, out = project
    tcl = (out / "run_hls.tcl").read_text()
    for line in (f"set_part {record.part}", "create_clock -period 10 -name default", "set_top small_cnn_train",
                 "add_files -tb small_cnn_train_tb.cpp", "csim_design", "csynth_design", "cosim_design",
                 "export_design -format ip_catalog"):
        assert line in tcl
    readme = (out / "README.md").read_text()
    p = record.predicted
    for row in (f"| DSP | {p.dsp} |", f"| BRAM_18K | {p.bram_18k} |", f"| {p.cycles_per_batch} |"):
        assert row in readme


def test_csim_passes(project):
    _, out = project
    result = run(out)
    assert result.passed, result.output
    assert "CSIM PASSED" in result.output
    assert len(re.findall(r"0 mismatches", result.output)) == 12  # 3 layers x (FP, index, BP, WU)
    kernel = (out / "small_cnn_train.cpp").read_text()
    assert "MODE_BN" not in kernel and "ahat" not in kernel  # no BN layer in the record, no BN in the kernel


@pytest.mark.parametrize("original,broken", [
    ("for (int tn = 0; tn < TN; tn++) {\n                            float w", "for (int tn = 0; tn < TN - 1; tn++) {\n                            float w"),
    ("for (int row = 0, p = 0; row < R; row += Tr, p ^= 1) {\n                        const int tr = imin(Tr, R - row), in_rows = (tr - 1) * S + K;\n                        load_ifm(ifm, ifm_buf[p]",
     "for (int row = 0, p = 0; row < R - 1; row += Tr, p ^= 1) {\n                        const int tr = imin(Tr, R - row), in_rows = (tr - 1) * S + K;\n                        load_ifm(ifm, ifm_buf[p]"),
    ("int pad = K - 1 - P;", "int pad = K - P;"),
    ("return idx[at] == (r % w) * w + c % w", "return idx[at] == (r % w) + (c % w) * w"),
])
def test_broken_kernel_fails_csim(project, tmp_path, original, broken):
    _, out = project
    result = _mutated_csim(out, tmp_path, original, broken)
    assert not result.passed and "CSIM FAILED" in result.output


def _mutated_csim(out: Path, tmp_path: Path, original: str, broken: str):
    """C simulation of a copy of the project whose kernel has its one `original` replaced by `broken`."""
    copy = shutil.copytree(out, tmp_path / "broken", ignore=shutil.ignore_patterns("csim.bin"))
    kernel = next(copy.glob("*_train.cpp"))
    text = kernel.read_text()
    assert text.count(original) == 1
    kernel.write_text(text.replace(original, broken))
    return run(copy)


def test_wrong_golden_data_fails_csim(project, tmp_path):
    _, out = project
    copy = shutil.copytree(out, tmp_path / "bad_data", ignore=shutil.ignore_patterns("csim.bin"))
    data = bytearray((copy / "data" / "conv2.w_new.bin").read_bytes())
    data[0:4] = struct.pack("<f", 1.5)  # the first updated weight, W[0, 0, 0, 0]
    (copy / "data" / "conv2.w_new.bin").write_bytes(bytes(data))
    result = run(copy)
    assert not result.passed and "conv2    WU" in result.output and "1 mismatches" in result.output


def _write_record(tmp_path: Path, base: str = "pynq_small", **changes) -> Path:
    data = yaml.safe_load((FIXTURES / f"{base}.yaml").read_text())
    data.update(changes)
    path = tmp_path / "tiling.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_cli_generate_and_csim(tmp_path, capsys):
    out = tmp_path / "prj"
    assert main(["hls", "generate", "--tiling", str(FIXTURES / "pynq_small.yaml"), "--out", str(out)]) == 0
    assert main(["hls", "csim", str(out)]) == 0
    assert "CSIM PASSED" in capsys.readouterr().out


def test_existing_out_needs_force(tmp_path, capsys):
    out = tmp_path / "prj"
    out.mkdir()
    (out / "small_cnn_train.h").write_text("mine")
    args = ["hls", "generate", "--tiling", str(FIXTURES / "pynq_small.yaml"), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--force" in err and err.count("\n") == 1
    assert [p.name for p in out.iterdir()] == ["small_cnn_train.h"] and (out / "small_cnn_train.h").read_text() == "mine"
    assert main(args + ["--force"]) == 0
    assert "#define TM 6" in (out / "small_cnn_train.h").read_text()


@pytest.mark.parametrize("changes,message", [
    ({"layers": [{**yaml.safe_load((FIXTURES / "pynq_small.yaml").read_text())["layers"][0], "name": "conv-1"}]},
     "conv-1"),
    ({"network": "int"}, "'int'"),
    # the ZCU102 tiling (16 x 16 x 5 = 1280 DSP) on a PYNQ-Z1 with 220
    ({"base": "zcu102_small", "board": "pynq-z1", "part": "xc7z020clg400-1"}, "1280 DSP"),
])
def test_bad_tiling_is_one_line_exit_2(tmp_path, capsys, changes, message):
    path = _write_record(tmp_path, **changes)
    out = tmp_path / "prj"
    assert main(["hls", "generate", "--tiling", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_generated_identifiers_are_checked(tmp_path):
    record = TilingRecord.load(FIXTURES / "pynq_small.yaml")
    bad = record.__class__(**{**record.__dict__, "network": "9lives"})
    with pytest.raises(InputError, match="9lives"):
        generate(bad, "inline", tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_missing_inputs_exit_2(tmp_path, capsys):
    assert main(["hls", "generate", "--tiling", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "p")]) == 2
    assert main(["hls", "csim", str(tmp_path)]) == 2
    assert main(["hls", "generate", "--board", "zcu102", "--out", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err.count("\n") == 3


def test_searched_tiling_for_vgg16_on_zcu102(tmp_path, capsys):
    """--board path: the exact tiling search's record, the whole VGG-16 layer table, and csim on its buffers."""
    out = tmp_path / "vgg"
    assert main(["hls", "generate", "--board", "zcu102", "--network", "vgg16", "--batch", "16", "--out", str(out)]) == 0
    header = (out / "vgg16_train.h").read_text()
    assert "LAYER_fc3 = 15" in header and "set_part xczu9eg-ffvb1156-2-e" in (out / "run_hls.tcl").read_text()
    assert main(["hls", "csim", str(out)]) == 0


@pytest.fixture(scope="module")
def bn_project(tmp_path_factory):
    path = FIXTURES / "zcu102_small_bn.yaml"
    record = TilingRecord.load(path)
    return record, generate(record, str(path), tmp_path_factory.mktemp("bn") / "prj")


def test_bn_project_header_and_csim(bn_project):
    """Both test convs run conv -> BN -> ReLU -> pool: 14 checks each, 4 for the FC."""
    record, out = bn_project
    header = (out / "small_cnn_train.h").read_text()
    rows = dict((name, [int(v) for v in values.split(", ")]) for values, name in
                re.findall(r"\{ ([\d, ]+) \}, // (\w+)", header))
    assert [rows[l.name][14] for l in record.layers] == [1, 1, 0]
    assert "MODE_BN_FP, MODE_BN_BP, MODE_COUNT" in header and "#define BN_EPS 1e-05f" in header
    assert _define(header, "BN_LANES") == load_board(record.board).dma_words_per_cycle == 4  # ZCU102's p
    # The record's conv1 (batch 8, 16 channels, 32x32) has the largest A-hat; conv2's 32 channels and the test set's
    # 18 (two groups of 16) the largest parameter block, 8 vectors of 32.
    assert _define(header, "AHAT_SPAN") == 8 * 16 * 32 * 32 and _define(header, "BNP_SPAN") == 8 * 32
    kernel = (out / "small_cnn_train.cpp").read_text()
    for pragma in ("m_axi port=ahat offset=slave bundle=AHAT", "m_axi port=bnp offset=slave bundle=BNP",
                   "s_axilite port=ahat bundle=control", "s_axilite port=bnp bundle=control"):
        assert pragma in kernel
    result = run(out)
    assert result.passed, result.output
    assert len(re.findall(r"0 mismatches", result.output)) == 2 * 14 + 4
    for check in ("BN-FP", "A-hat", "mean", "istd", "BN-BP", "dgamma", "dbeta", "gamma_new", "beta_new"):
        assert re.search(rf"conv2    {check} +\d+ values.* 0 mismatches", result.output), check


def test_bn_golden_data_is_normalized(bn_project):
    """The golden A-hat read back from the kernel layout has zero mean and V/(V+eps) variance per channel, and the
    block's mean/istd are numpy's statistics of the golden A."""
    record, out = bn_project
    T, M, B = record.Tm, record.Tm + 2, 2
    a = features_from_dram(np.fromfile(out / "data" / "conv1.a.bin", np.float32), (B, M, 12, 12), T)
    hat = features_from_dram(np.fromfile(out / "data" / "conv1.hat.bin", np.float32), (B, M, 12, 12), T)
    bnp = np.fromfile(out / "data" / "conv1.bnp.bin", np.float32).reshape(len(BN_VECTORS), -1)[:, :M]
    var = a.astype(np.float64).var(axis=(0, 2, 3))
    assert np.allclose(hat.mean(axis=(0, 2, 3)), 0, atol=1e-6)
    assert np.allclose(hat.var(axis=(0, 2, 3)), var / (var + BN_EPS), rtol=1e-5)
    assert np.allclose(bnp[BN_VECTORS.index("mean")], a.mean(axis=(0, 2, 3)), atol=1e-6)
    assert np.allclose(bnp[BN_VECTORS.index("istd")], 1 / np.sqrt(var + BN_EPS), rtol=1e-5)
    gamma, dgamma = bnp[BN_VECTORS.index("gamma")], bnp[BN_VECTORS.index("dgamma")]
    assert np.allclose(bnp[BN_VECTORS.index("gamma_new")], gamma - LEARNING_RATE * dgamma, rtol=1e-6)


@pytest.mark.parametrize("original,broken", [
    # statistics over one column too few
    ("return (float)(batch * R * C);", "return (float)(batch * R * (C - 1));"),
    # V = E[X^2] instead of E[X^2] - E[X]^2
    ("const float var = sq[t] / n - mean[t] * mean[t];", "const float var = sq[t] / n;"),
    # BN BP without the dbeta/n term
    ("out[at] = scale[t] * (l - dbeta[t] - ahat[at] * dgamma[t]);", "out[at] = scale[t] * (l - ahat[at] * dgamma[t]);"),
])
def test_broken_bn_fails_csim(bn_project, tmp_path, original, broken):
    _, out = bn_project
    result = _mutated_csim(out, tmp_path, original, broken)
    assert not result.passed and "CSIM FAILED" in result.output
    assert re.search(r"conv\d    (A-hat|BN-BP) .* [1-9]\d* mismatches", result.output)


def test_searched_tiling_for_vgg16_bn_on_zcu102(tmp_path):
    """VGG-16-BN at EF-Train's batch 8: BN on the 13 convs, spans of the largest A-hat (conv1_1), csim passes."""
    out = tmp_path / "vgg_bn"
    assert main(["hls", "generate", "--board", "zcu102", "--network", "vgg16_bn", "--batch", "8", "--out",
                 str(out)]) == 0
    header = (out / "vgg16_bn_train.h").read_text()
    bn = re.findall(r", ([01]) \}, // (\w+)", header)
    convs = [name for name, _ in re.findall(r"LAYER_(conv\d_\d) = (\d+)", header)]
    assert [name for flag, name in bn if flag == "1"] == convs
    assert len(bn) == 16 and sum(flag == "1" for flag, _ in bn) == 13
    T = _define(header, "TM")
    assert _define(header, "AHAT_SPAN") == 8 * -(-64 // T) * T * 224 * 224
    assert _define(header, "BNP_SPAN") == len(BN_VECTORS) * -(-512 // T) * T
    result = run(out)
    assert result.passed, result.output
