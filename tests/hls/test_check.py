"""`dse hls check`: a clean generated project has no problems; a tiling that overflows BRAM, an over-partitioned
array, a too-shallow m_axi port, a partitioned m_axi port and a bad name are each one line naming the limit."""

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml

from dse.cli import main
from dse.cost.tiling_record import Buffers, TilingRecord
from dse.hls.check import PARTITION_LIMIT, check
from dse.hls.generate import generate

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = FIXTURES / "pynq_small.yaml"
    return generate(TilingRecord.load(path), str(path), tmp_path_factory.mktemp("check") / "prj")


def _edited(project: Path, tmp_path: Path, name: str, original: str, new: str) -> Path:
    copy = Path(shutil.copytree(project, tmp_path / "copy"))
    text = (copy / name).read_text()
    assert text.count(original) == 1
    (copy / name).write_text(text.replace(original, new))
    return copy


def test_clean_project_has_no_problems(project, capsys):
    assert check(project) == []
    assert main(["hls", "check", str(project)]) == 0
    assert "no problems" in capsys.readouterr().out


def test_tiling_that_overflows_bram(tmp_path, capsys):
    """pynq_small with an IFM buffer of 6 banks x 40960 words per half: the kernel's ifm_buf[2][6][40960] needs
    6 x ceil(81920 / 512) = 960 BRAM_18K alone, the PYNQ-Z1 has 280."""
    record = TilingRecord.load(FIXTURES / "pynq_small.yaml")
    big = dataclasses.replace(record, buffers=Buffers(6 * 40960, record.buffers.ofm_words, record.buffers.wei_words))
    out = generate(big, "big", tmp_path / "big")
    problems = check(out)
    assert len(problems) == 1 and problems[0].startswith("BRAM_18K")
    assert "ifm_buf 960" in problems[0] and "> 280 on pynq-z1" in problems[0]
    assert main(["hls", "check", str(out)]) == 1
    assert capsys.readouterr().out.count("\n") == 1


def test_over_partitioned_array(project, tmp_path):
    """Partitioning the weight buffer's third dimension too: 6 x 6 x 2 * 171 = 12312 banks > 4096."""
    pragma = "#pragma HLS ARRAY_PARTITION variable=wei_buf complete dim=2"
    copy = _edited(project, tmp_path, "small_cnn_train.cpp", pragma,
                   pragma + "\n#pragma HLS ARRAY_PARTITION variable=wei_buf complete dim=3")
    problems = check(copy)
    assert problems == [f"ARRAY_PARTITION of wei_buf: 12312 banks > {PARTITION_LIMIT.value} "
                        f"({PARTITION_LIMIT.source})"]


def test_shallow_m_axi_port(project, tmp_path):
    kernel = (project / "small_cnn_train.cpp").read_text()
    depth = re.search(r"m_axi port=wei offset=slave bundle=WEI depth=(\d+)", kernel).group(1)
    copy = _edited(project, tmp_path, "small_cnn_train.cpp", f"bundle=WEI depth={depth}", "bundle=WEI depth=100")
    problems = check(copy)
    assert problems == [f"m_axi wei: depth 100 < {depth} words the layer table touches through it at batch 8 "
                        f"(co-simulation models only depth words)"]
    # fc3's weights, the largest WEI region of the record's layers: M = 10 -> 12 rows (T = 6), N = conv2's 32
    # channels padded to 36 x its pooled 8 x 8 map
    assert int(depth) == 12 * 36 * 8 * 8


def test_partitioned_m_axi_port(project, tmp_path):
    pragma = "#pragma HLS ARRAY_PARTITION variable=wei_buf complete dim=2"
    copy = _edited(project, tmp_path, "small_cnn_train.cpp", pragma,
                   pragma + "\n#pragma HLS ARRAY_PARTITION variable=ifm cyclic factor=2 dim=1")
    assert check(copy) == ["ARRAY_PARTITION of m_axi port ifm: not supported on top-level M_AXI interfaces "
                           "(UG1399, pragma HLS array_partition)"]


def test_bad_layer_name(project, tmp_path):
    copy = Path(shutil.copytree(project, tmp_path / "copy"))
    data = yaml.safe_load((copy / "tiling.yaml").read_text())
    data["layers"][1]["name"] = "conv-2"
    (copy / "tiling.yaml").write_text(yaml.safe_dump(data))
    problems = check(copy)
    assert len(problems) == 1 and "'LAYER_conv-2'" in problems[0] and "C identifier" in problems[0]


def test_not_a_project(tmp_path, capsys):
    assert main(["hls", "check", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
