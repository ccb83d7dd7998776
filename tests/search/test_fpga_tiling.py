"""Tiling search: the exact enumeration against brute force, Optuna against the exact optimum, the budgets, the
TilingRecord file and the CLI."""

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from dse.cost.fpga import Candidates, buffer_depths, evaluate
from dse.cost.fpga_network import ConvSpec, network_specs
from dse.cost.fpga_resources import conv_bram
from dse.cost.fpga_schedule import Budget, Tiling, fits
from dse.cost.tiling_record import TilingRecord, make_record
from dse.errors import InputError
from dse.hw.fpga import load_board
from dse.search.fpga_tiling import best_trial_tiling, exact, feasible, optuna_study

ZCU = load_board("zcu102")
TINY = [ConvSpec("a", 8, 3, 6, 6, 3, 1, 1, True, 2, False), ConvSpec("b", 12, 8, 3, 3, 3, 1, 1, True, 0, False),
        ConvSpec("fc", 5, 108, 1, 1, 1, 1, 0, False, 0, False)]


def test_exact_equals_brute_force_on_a_tiny_case():
    budget = Budget(dsp=0.02, bram=0.02)  # 50 DSP (Tm <= 3), 36 BRAM_18K
    dsp_limit, bram_limit = budget.limits(ZCU)
    best = None
    for Tm in range(1, 4):
        trs = [range(1, s.R + 1) for s in TINY]
        mons = [range(Tm, -(-s.M // Tm) * Tm + 1, Tm) for s in TINY]
        combos = list(itertools.product(*trs, *mons))
        arr = np.array(combos)
        cand = Candidates(np.full(len(arr), Tm), arr[:, :3], arr[:, 3:])
        d = buffer_depths(TINY, cand)
        bram = conv_bram(Tm, Tm, d["ifm"], d["ofm"], d["wei"], ZCU.bram_18k_fp32_words)
        cyc = np.where(bram <= bram_limit, evaluate(TINY, cand, 2, ZCU).cycles, np.inf)
        if 5 * Tm * Tm <= dsp_limit and (best is None or cyc.min() < best):
            best = cyc.min()
    result = exact(TINY, 2, ZCU, budget=budget)
    assert result.cycles == best
    fits(TINY, result.tiling, ZCU, budget)


@pytest.mark.parametrize("board, network, batch", [("zcu102", "vgg16", 16), ("pynq-z1", "ef_train_1x", 128),
                                                   ("kv260", "lenet10", 32), ("ultra96v2", "ef_train_alexnet", 4)])
def test_exact_stays_within_budget_and_beats_algorithm_1(board, network, batch):
    from dse.cost.fpga_schedule import ef_train_schedule
    b = load_board(board)
    specs = network_specs(network, batch)
    result = exact(specs, batch, b)
    dsp, bram = fits(specs, result.tiling, b, Budget())
    assert dsp <= 0.8 * b.dsp and bram <= 0.75 * b.bram_18k
    baseline = ef_train_schedule(specs, batch, b, Tm=min(b.ef_train_tm or 99, result.tiling.Tm))
    assert result.cycles <= evaluate(specs, baseline.candidates(), batch, b).cycles[0]


def test_optuna_reaches_exact_within_two_percent_on_vgg16():
    specs = network_specs("vgg16", 16)
    optimum = exact(specs, 16, ZCU).cycles
    study = optuna_study(specs, 16, ZCU, trials=300, seed=0)
    assert len(study.trials) == 300
    found = best_trial_tiling(study)
    assert evaluate(specs, found.candidates(), 16, ZCU).cycles[0] <= 1.02 * optimum
    for trial in study.best_trials:
        if feasible(trial):
            fits(specs, Tiling(trial.params["Tm"], tuple(trial.user_attrs["Tr"]), tuple(trial.user_attrs["M_on"])),
                 ZCU, Budget())


def _record(tmp_path, Tm=16):
    specs = network_specs("vgg16", 16)
    tiling = exact(specs, 16, ZCU, tms=[Tm]).tiling
    cost = evaluate(specs, tiling.candidates(), 16, ZCU)
    record = make_record(ZCU, "vgg16", 16, "reshaped_reuse", specs, tiling.Tm, tiling.Tr, tiling.M_on, 100_000_000,
                         cost)
    return record, record.save(tmp_path / "t.yaml")


def test_record_round_trip_and_schema(tmp_path):
    record, path = _record(tmp_path)
    data = yaml.safe_load(path.read_text())
    assert data["schema"] == "dse.tiling/1" and data["Tm"] == data["Tn"] == 16
    assert data["layers"][0] == {"name": "conv1_1", "M": 64, "N": 3, "R": 224, "C": 224, "K": 3, "S": 1, "P": 1,
                                 "Tr": record.layers[0].Tr, "Tc": 224, "M_on": record.layers[0].M_on,
                                 "relu": True, "pool": 0, "bn": False}
    assert data["layers"][1]["pool"] == 2
    assert TilingRecord.load(path) == record
    assert record.resources(ZCU) == (data["predicted"]["dsp"], data["predicted"]["bram_18k"])


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(board="pynq-z1", part="xc7z020clg400-1"), r"needs 1280 DSP, board pynq-z1 has 220"),
    (lambda d: d["buffers"].update(wei_words=256 * 512 * 8), r"needs \d+ BRAM_18K, board zcu102 has 1824"),
    (lambda d: d["layers"][0].update(name="conv 1"), r"layers\[0\]: field name must be a C identifier"),
    (lambda d: d["layers"][0].update(Tc=7), r"field Tc must equal C=224"),
    (lambda d: d.update(Tn=8), r"field Tn must equal Tm=16"),
    (lambda d: d.update(board="zcu104"), r"known: kv260, pynq-z1, ultra96v2, zcu102"),
])
def test_record_load_errors_name_field_and_value(tmp_path, edit, message):
    _, path = _record(tmp_path)
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError, match=message):
        TilingRecord.load(path)


def run(*args):
    return subprocess.run([sys.executable, "-m", "dse", "fpga", *args], capture_output=True, text=True)


def test_cli_estimate_json_and_errors(tmp_path):
    out = run("estimate", "--board", "zcu102", "--network", "ef_train_1x", "--batch", "128", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("total_cycles", "seconds_per_batch", "gflops", "gflops_per_w", "dsp", "bram_18k", "power_w"):
        assert key in data
    assert data["gflops"] == pytest.approx(data["flops"] / data["seconds_per_batch"] / 1e9)
    assert data["power_w"] == pytest.approx(ZCU.power_w(data["dsp"], data["bram_18k"]))
    assert data["dsp"] <= 0.8 * ZCU.dsp and data["bram_18k"] <= 0.75 * ZCU.bram_18k
    for args, text in [(("--board", "zcu1"), "known: kv260, pynq-z1, ultra96v2, zcu102"),
                       (("--batch", "0"), "argument --batch: must be an integer in [1, 1000000], got 0"),
                       (("--clock-hz", "0"), "argument --clock-hz: must be a finite number in [1, 1e+12], got 0")]:
        base = {"--board": "zcu102", "--network": "ef_train_1x", "--batch": "8"}
        base.update(dict([args]))
        bad = run("estimate", *itertools.chain(*base.items()))
        assert bad.returncode == 2 and text in bad.stderr and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1


def test_cli_tile_writes_study_pareto_and_a_loadable_tiling(tmp_path):
    out = run("tile", "--board", "pynq-z1", "--network", "ef_train_1x", "--batch", "16", "--out", str(tmp_path),
              "--trials", "20")
    assert out.returncode == 0, out.stderr
    assert {p.name for p in tmp_path.iterdir()} >= {"study.db", "pareto.csv", "tiling.yaml"}
    record = TilingRecord.load(tmp_path / "tiling.yaml")
    assert record.board == "pynq-z1" and 5 * record.Tm ** 2 <= 0.8 * 220
    est = run("estimate", "--board", "pynq-z1", "--network", "ef_train_1x", "--batch", "16", "--tiling",
              str(tmp_path / "tiling.yaml"), "--json")
    assert json.loads(est.stdout)["total_cycles"] == record.predicted.cycles_per_batch
