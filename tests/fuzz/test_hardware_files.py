"""Fuzz the hardware YAML files a user can write: FPGA boards, dataflow accelerators, systems, GPUs, PIM devices and
ACT carbon constants. Each starts from a shipped file with one thing made wrong; the loader must return a record
or raise one InputError line naming the file, and a loaded record must price a small workload to a finite,
non-negative Cost (every model checks its Cost on the way out, dse.cost.record.checked)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import example, given

from dse.resources import accelerators

from .harness import check_loader, check_run, run_cli, workspace, write_input
from .mutate import dump, yaml_files


def shipped(*parts: str) -> dict:
    return yaml.safe_load(Path(accelerators(*parts)).read_text())


BOARD = shipped("fpga", "pynq-z1.yaml")
DATAFLOW = shipped("dataflow", "eyeriss.yaml")
SYSTEM = shipped("systems", "h2h.yaml")
GPU = shipped("gpu", "jetson-nano.yaml")
PIM = shipped("pim", "ddr3-pim.yaml")
ACT = shipped("carbon", "act.yaml")


def _small():
    from dse.workload.zoo import build

    return build("lenet10", batch=2)


@given(data=yaml_files(BOARD))
def test_fpga_board_file(data: bytes) -> None:
    from dse.cost.fpga import evaluate
    from dse.cost.fpga_network import network_specs
    from dse.cost.fpga_schedule import ef_train_schedule
    from dse.hw.fpga import load_board_file

    with workspace() as folder:
        path = write_input(folder, "board.yaml", data)
        names = [str(path), f"board {BOARD['name']}"]

        def price():
            board = load_board_file(path)
            specs = network_specs("lenet10", 2)
            return evaluate(specs, ef_train_schedule(specs, 2, board).candidates(), 2, board)

        check_loader(price, names)


def _dataflow(key: str, value: float) -> bytes:
    return dump({**DATAFLOW, key: {**DATAFLOW[key], "value": value}}).encode()


@given(data=yaml_files(DATAFLOW))
# int64 overflow of the model's cycle counts: ModelError "cycles = -9.22e18" (exit 1) or OverflowError
@example(data=_dataflow("noc_bw_bytes_per_cycle", 1e-30))
@example(data=_dataflow("offchip_bw_bytes_per_s", 1e-30))
@example(data=_dataflow("clock_hz", 1e30))
@example(data=_dataflow("l2_bytes", 1e30))
@example(data=_dataflow("num_pes", 1))  # no mapping fits one PE: KeyError on the empty table of mappings
def test_dataflow_accelerator_file(data: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "acc.yaml", data)
        run = run_cli(["map", "--workload", "lenet10", "--accelerator", "in/acc.yaml", "--trials", "2", "--json"],
                      folder)
        check_run(run, ["in/acc.yaml", f"accelerator {DATAFLOW['name']}"])


@given(data=yaml_files(SYSTEM))
# no accelerator left that runs an LSTM: the message named the system, not its file
@example(data=dump({**SYSTEM, "accelerators": SYSTEM["accelerators"][:2]}).encode())
# a design name nested 60 deep: its text as a file name, OSError "File name too long"
@example(data=dump({**SYSTEM, "accelerators": [{"name": "a", "design": [{"value": "x" * 300}]}]}).encode())
def test_system_file(data: bytes) -> None:
    with workspace() as folder:
        write_input(folder, "system.yaml", data)
        run = run_cli(["h2h", "--workload", "cnn_lstm", "--system", "in/system.yaml", "--bandwidth", "1", "--trials",
                       "2", "--json"], folder)
        check_run(run, ["in/system.yaml"])


@given(data=yaml_files(GPU))
def test_gpu_file(data: bytes) -> None:
    from dse.cost.gpu import evaluate
    from dse.hw.gpu import load_gpu_file

    with workspace() as folder:
        path = write_input(folder, "gpu.yaml", data)
        check_loader(lambda: evaluate(_small(), load_gpu_file(path)), [str(path), f"gpu {GPU['name']}"])


@given(data=yaml_files(PIM))
def test_pim_file(data: bytes) -> None:
    from dse.cost.pim import evaluate
    from dse.hw.pim import load_pim_file

    with workspace() as folder:
        path = write_input(folder, "pim.yaml", data)
        check_loader(lambda: evaluate(_small(), load_pim_file(path)), [str(path), f"pim {PIM['name']}"])


@given(data=yaml_files(ACT))
@example(data=dump({**ACT, "fab_grid": {**ACT["fab_grid"], "value": [["world"]]}}).encode())  # was a TypeError
# a file without the Jetson Nano's eMMC technology: "unknown flash technology" did not name the file
@example(data=dump({**ACT, "flash_g_per_gb": {k: v for k, v in ACT["flash_g_per_gb"].items() if k != "nand_20nm"}})
         .encode())
def test_carbon_constants_file(data: bytes) -> None:
    from dse.cost.carbon import (
        embodied_carbon_g,
        embodied_energy_j,
        lifetime_carbon_g,
        load_act,
    )
    from dse.cost.platform import load_platform

    platform = load_platform("jetson-nano")
    cost = platform.evaluate(_small())
    with workspace() as folder:
        path = write_input(folder, "act.yaml", data)

        def price():
            act = load_act(path)
            values = [*embodied_carbon_g(platform.embodied, act).values(), embodied_energy_j(platform.embodied, act),
                      lifetime_carbon_g(cost, platform, 0.5, 5.0, "world", act)]
            assert all(float(v) >= 0 and float(v) < float("inf") for v in values), values

        check_loader(price, [str(path)])
