"""Hardware named the one way: a shipped name or a path to a YAML file of that kind, validated the same."""

import shutil

import pytest
import yaml

from dse.cli import main
from dse.cost.platform import load_platform
from dse.errors import InputError
from dse.hw.dataflow import load_accelerator
from dse.hw.fpga import load_board
from dse.hw.gpu import load_gpu
from dse.hw.pim import load_pim
from dse.hw.system import load_system
from dse.resources import accelerators

LOADERS = [(load_board, "fpga", "zcu102"), (load_gpu, "gpu", "jetson-nano"), (load_pim, "pim", "ddr3-pim"),
           (load_accelerator, "dataflow", "eyeriss"), (load_system, "systems", "h2h")]


@pytest.mark.parametrize("load,kind,name", LOADERS, ids=[k for _, k, _ in LOADERS])
def test_a_copied_file_loads_like_the_shipped_name(tmp_path, load, kind, name):
    path = tmp_path / "mine.yaml"
    shutil.copy(accelerators(kind, f"{name}.yaml"), path)
    mine, shipped = load(str(path)), load(name)
    assert mine == shipped or (mine.__dict__ | {"path": ""}) == (shipped.__dict__ | {"path": ""})


@pytest.mark.parametrize("load,kind,name", LOADERS, ids=[k for _, k, _ in LOADERS])
def test_an_unknown_key_is_named_with_its_file(tmp_path, load, kind, name):
    data = yaml.safe_load(accelerators(kind, f"{name}.yaml").read_text())
    data["clock_mhz"] = 100
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=f"{path}: unknown field clock_mhz; known: "):
        load(str(path))


def test_a_missing_file_and_an_unknown_name(tmp_path):
    with pytest.raises(InputError, match="FPGA board file 'boards/none.yaml' does not exist"):
        load_board("boards/none.yaml")
    with pytest.raises(InputError, match=r"unknown gpu 'tpu'; known: jetson-nano, .* \(or give a path"):
        load_gpu("tpu")


def test_platform_files_by_kind(tmp_path):
    gpu = tmp_path / "my-gpu.yaml"
    shutil.copy(accelerators("gpu", "orin-nano.yaml"), gpu)
    mine, shipped = load_platform(str(gpu)), load_platform("orin-nano")
    assert (mine.kind, mine.precision, mine.idle_w, mine.embodied) == ("gpu", "fp16", shipped.idle_w, shipped.embodied)
    board = yaml.safe_load(accelerators("fpga", "zcu102.yaml").read_text())
    path = tmp_path / "my-board.yaml"
    path.write_text(yaml.safe_dump(board))
    with pytest.raises(InputError, match="my-board.yaml: field embodied is missing"):
        load_platform(str(path))
    board["embodied"] = yaml.safe_load(accelerators("carbon", "fpga", "zcu102.yaml").read_text())["embodied"]
    path.write_text(yaml.safe_dump(board))
    mine, shipped = load_platform(str(path)), load_platform("zcu102")
    assert (mine.name, mine.idle_w, mine.embodied) == (shipped.name, shipped.idle_w, shipped.embodied)
    other = tmp_path / "other.yaml"
    other.write_text("name: x\n")
    with pytest.raises(InputError, match="other.yaml: not a platform file"):
        load_platform(str(other))


def test_the_cli_exits_2_on_an_unknown_board_key(tmp_path, capsys):
    data = yaml.safe_load(accelerators("fpga", "pynq-z1.yaml").read_text())
    data["dsps"] = data.pop("dsp")
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["fpga", "estimate", "--board", str(path), "--network", "ef_train_1x", "--batch", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{path}: unknown field dsps" in err


def test_a_board_file_carries_through_a_tiling_record_to_hls(tmp_path, capsys):
    data = yaml.safe_load(accelerators("fpga", "pynq-z1.yaml").read_text())
    data["name"] = "my-pynq"
    board = tmp_path / "boards" / "mine.yaml"
    board.parent.mkdir()
    board.write_text(yaml.safe_dump(data))
    out = tmp_path / "tile"
    assert main(["fpga", "tile", "--board", str(board), "--network", "ef_train_1x", "--batch", "2", "--trials", "4",
                 "--out", str(out)]) == 0
    record = yaml.safe_load((out / "tiling.yaml").read_text())
    assert record["board"] == str(board.resolve())  # the record names the file, so it loads again anywhere
    assert main(["hls", "generate", "--tiling", str(out / "tiling.yaml"), "--out", str(tmp_path / "hls")]) == 0
    assert "on my-pynq" in (tmp_path / "hls" / "run_hls.tcl").read_text().splitlines()[0]


def test_board_names_that_would_reach_generated_files_are_checked(tmp_path):
    data = yaml.safe_load(accelerators("fpga", "pynq-z1.yaml").read_text())
    data["name"] = "pynq\nexec rm -rf ~"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="evil.yaml: field name must be a name of letters"):
        load_board(str(path))
    with pytest.raises(InputError, match="control characters"):
        load_board("boards/x\n.yaml")
