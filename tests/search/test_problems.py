"""The explore problems agree with the models they wrap, and flag designs a board cannot hold."""

import json
import math

import numpy as np
import pytest

from dse.cli import main
from dse.cost.carbon import lifetime_carbon_g
from dse.cost.fpga import evaluate as fpga_evaluate
from dse.cost.fpga_network import network_specs
from dse.cost.platform import load_platform
from dse.cost.tiling_record import TilingRecord
from dse.explore.problems import PROBLEMS
from dse.hw.fpga import load_board
from dse.hw.system import load_system
from dse.mapping.h2h import run_h2h
from dse.mapping.problem import compile_problem
from dse.workload import build


def point(kind, **changes):
    problem = PROBLEMS[kind]({})
    return problem, {**problem.fixed, **changes}


def test_fpga_tiling_point_is_the_models_cost_of_its_tiling(tmp_path):
    problem, p = point("fpga-tiling", network="ef_train_1x", batch=8, board="pynq-z1", dsp_share=1.0)
    row = problem.evaluate([p]).iloc[0]
    board = load_board("pynq-z1")
    # Tm from the DSP budget by hand: floor(sqrt(0.8 * 220 / 5)) = floor(5.93) = 5
    assert row["Tm"] == 5 == math.isqrt(int(0.8 * board.dsp) // board.dsp_per_fp32_mac)
    record = TilingRecord.load(problem.artifacts(p, tmp_path)["tiling record"])
    assert record.Tm == 5 and record.board == "pynq-z1"
    specs = network_specs("ef_train_1x", 8)
    from dse.cost.fpga_schedule import Tiling

    tiling = Tiling(record.Tm, tuple(l.Tr for l in record.layers), tuple(l.M_on for l in record.layers))
    cost = fpga_evaluate(specs, tiling.candidates(), 8, board)
    assert row["seconds"] == pytest.approx(float(cost.seconds[0]))
    assert row["dsp"] == pytest.approx(float(cost.dsp[0]))
    assert row["violation_dsp"] <= 0 and row["violation_bram_18k"] <= 0


def test_fpga_tiling_flags_a_dsp_budget_overrun():
    problem, p = point("fpga-tiling", network="ef_train_1x", batch=8, board="pynq-z1", dsp_budget=1.0)
    rows = problem.evaluate([p, {**p, "dsp_budget": 0.8}])
    # Tm = floor(sqrt(220 / 5)) = 6 takes 180 DSP: over an 80% budget (176), within 100% (220)
    assert list(rows["Tm"]) == [6, 5]
    assert rows["violation_dsp"].iloc[0] == 180 - 220


def test_h2h_point_reports_step_4_and_step_2():
    problem, p = point("h2h-mapping", workload="resnet18", bandwidth_gbps=0.25)
    row = problem.evaluate([p]).iloc[0]
    result = run_h2h(compile_problem(build("resnet18"), load_system("h2h", 0.25e9)))
    assert row["latency_s"] == pytest.approx(result.steps[4].makespan_s)
    assert row["step2_latency_s"] == pytest.approx(result.steps[2].makespan_s)
    assert row["latency_vs_step2"] <= 1.0


def test_platform_point_carbon_is_the_fleet_dse_compare_charges(capsys):
    # one lifetime definition: the demand is the reference platform's busy fraction, the platform is charged the
    # fleet that serves it, exactly as `dse compare` does with the same reference as its fastest platform
    problem, p = point("platform-compare", workload="lenet10", platform="racetrack-pim", activity=0.3,
                       reference="orin-nano")
    row = problem.evaluate([p]).iloc[0]
    platform = load_platform("racetrack-pim")
    cost = platform.evaluate(build("lenet10"), False)
    t_ref = float(load_platform("orin-nano").evaluate(build("lenet10"), False).seconds)
    assert row["seconds"] == pytest.approx(float(cost.seconds))
    assert row["lifetime_carbon_kg"] * 1e3 == pytest.approx(float(np.asarray(
        lifetime_carbon_g(cost, platform, 0.3, 5.0, reference_seconds=t_ref))))
    assert main(["compare", "--workload", "lenet10", "--platforms", "orin-nano,racetrack-pim", "--activity", "0.3",
                 "--json"]) == 0
    rows = {r["platform"]: r for r in json.loads(capsys.readouterr().out)["platforms"]}
    assert row["lifetime_carbon_kg"] == pytest.approx(rows["racetrack-pim"]["lifetime_carbon_kg"], rel=1e-12)
    assert row["units"] == rows["racetrack-pim"]["units"] > 1  # a fleet, not one unit at its own busy fraction


def test_platform_compare_writes_the_estimated_inputs(tmp_path):
    problem, p = point("platform-compare", platform="ddr3-pim", reference="jetson-tx2")
    path = problem.artifacts(p, tmp_path)["estimated inputs"]
    lines = path.read_text().splitlines()
    assert lines[1] == "ddr3-pim: none" and lines[2].startswith("jetson-tx2: idle_w, gemm_efficiency.fp32")


def test_fpga_tiling_batch_equals_one_point_at_a_time():
    problem, p = point("fpga-tiling", network="ef_train_1x", batch=8, board="pynq-z1")
    points = [{**p, "dsp_share": d, "wei_share": w, "board": b} for d in (0.3, 1.0) for w in (0.1, 0.6)
              for b in ("pynq-z1", "zcu102")]
    together = problem.evaluate(points)
    for i, q in enumerate(points):
        alone = PROBLEMS["fpga-tiling"]({}).evaluate([q]).iloc[0]
        for metric in ("seconds", "energy_j", "dsp", "bram_18k", "violation_bram_18k", "Tm"):
            assert together[metric].iloc[i] == pytest.approx(alone[metric], rel=1e-12)
