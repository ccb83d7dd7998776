"""Malformed MAESTRO files give InputError naming file, line and token; the CLI exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dse.cost.dataflow.metrics import layer_metrics
from dse.errors import InputError
from dse.hw.directives import Hardware
from dse.hw.maestro_io import read_hardware, read_mapping

from ...reference import MAESTRO as REF

GOOD = "Type: CONV\nDimensions { K: 4, C: 2, R: 3, S: 3, Y: 8, X: 8 }\nDataflow {\nSpatialMap(1,1) K;\n}"


def _write(tmp_path: Path, layer_body: str) -> Path:
    path = tmp_path / "bad.m"
    path.write_text("Network t {\nLayer L {\n" + layer_body + "\n}\n}\n")
    return path


@pytest.mark.parametrize("body,line,token", [
    (GOOD.replace("SpatialMap(1,1) K;", "SpatialMop(1,1) K;"), 6, "SpatialMop"),
    ("Typo: CONV\n" + GOOD, 3, "Typo"),
    (GOOD.replace("Dimensions { K: 4, C: 2, R: 3, S: 3, Y: 8, X: 8 }", ""), 2, "Layer L"),
    (GOOD.replace("SpatialMap(1,1) K;", "SpatialMap(1,1) K;\nTemporalMap(2,1) R;"), 7, "TemporalMap"),
    (GOOD.replace("K: 4", "Q: 4"), 4, "Q"),
])
def test_mapping_errors_name_line_and_token(tmp_path: Path, body: str, line: int, token: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(InputError) as err:
        read_mapping(path)
    assert f"{path}:{line}:" in str(err.value) and repr(token) in str(err.value)


def test_cluster_larger_than_pes(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("SpatialMap(1,1) K;", "SpatialMap(1,1) K;\nCluster(64,P);\nSpatialMap(1,1) C;"))
    (layer,) = read_mapping(path)[1]
    with pytest.raises(InputError, match=r"bad.m:2: token 'Cluster\(64,P\)'"):
        layer_metrics(layer, Hardware(num_pes=16))


def test_zero_pes_in_hardware_file(tmp_path: Path) -> None:
    path = tmp_path / "hw.m"
    path.write_text("num_pes: 0\nl1_size_cstr: 100\n")
    with pytest.raises(InputError, match="num_pes must be at least 1"):
        read_hardware(path)
    path.write_text("num_pes: 4\nbogus: 1\n")
    with pytest.raises(InputError, match=r"hw.m:2: token 'bogus'"):
        read_hardware(path)


@pytest.mark.parametrize("name", ["vgg16_rs", "Resnet50_rs"])
def test_shipped_rs_files_rejected_with_reason(name: str) -> None:
    hw = read_hardware(REF / "inputs" / "hw" / "accelerator_1.m")
    layers = read_mapping(REF / "inputs" / "mapping" / f"{name}.m")[1]
    with pytest.raises(InputError, match="zero compute delay"):
        for layer in layers:
            layer_metrics(layer, hw)


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.m"
    good.write_text("Network t {\nLayer L {\n" + GOOD + "\n}\n}\n")
    out = tmp_path / "o.csv"
    run = subprocess.run([sys.executable, "-m", "dse", "maestro", str(good), "--num-pes", "4", "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    header = out.read_text().splitlines()[0].split(",")
    assert header[:4] == ["layer_index", "layer", "runtime_cycles", "num_macs"]
    bad = _write(tmp_path, GOOD.replace("SpatialMap", "SpatialMop"))
    run = subprocess.run([sys.executable, "-m", "dse", "maestro", str(bad), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "SpatialMop" in run.stderr


@pytest.mark.parametrize(("option", "value", "message"), [("--num-pes", "64,x", "'x' is not a whole number"),
                                                         ("--noc-bw", "0", "must be an integer in [1, "),
                                                         ("--offchip-bw", "-5", "got -5")])
def test_cli_rejects_bad_sweep_values(tmp_path: Path, option: str, value: str, message: str) -> None:
    good = tmp_path / "good.m"
    good.write_text("Network t {\nLayer L {\n" + GOOD + "\n}\n}\n")
    out = tmp_path / "o.csv"
    run = subprocess.run([sys.executable, "-m", "dse", "maestro", str(good), option, value, "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert option in run.stderr and message in run.stderr and not out.exists()
