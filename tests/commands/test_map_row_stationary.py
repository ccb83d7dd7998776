"""`dse map` on a row-stationary chip file: it picks the row-stationary model from the file's `model:`, finds the
chip's kind of folding per layer, sums what it costs, and names the layers it does not cost."""

import json
from pathlib import Path

import pytest
import yaml

from dse.cli import main
from dse.hw.row_stationary import load_chip


def test_map_vgg16_on_the_chip(capsys) -> None:
    assert main(["map", "--workload", "vgg16", "--accelerator", "eyeriss-chip", "--batch", "3", "--objective",
                 "latency", "--activation-zeros", "0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["layer"]: r for r in out["layers"]}
    assert out["model"] == "row-stationary" and out["totals"]["costed_layers"] == 16  # 13 conv + 3 fc
    assert rows["conv4_1"]["mapping"]["e"] == 14 and rows["conv1_2"]["mapping"]["e"] == 7
    conv5 = rows["conv5_1"]["mapping"]
    assert conv5["m"] > conv5["p"] * conv5["t"]  # the GLB keeps several passes' psums: fewer ifmap reads from DRAM
    assert {r["op"] for r in out["layers"] if not r["costed"]} == {"maxpool", "activation"}
    assert out["totals"]["seconds"] == pytest.approx(sum(r["seconds"] for r in out["layers"]))


def test_a_bad_chip_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    data = yaml.safe_load(Path(load_chip("eyeriss-chip").path).read_text())
    data["glb_bw_bytes_per_cycle"] = {"value": -1, "source": "x"}
    path = tmp_path / "chip.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["map", "--workload", "vgg16", "--accelerator", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "glb_bw_bytes_per_cycle" in err and str(path) in err and "\n" not in err
