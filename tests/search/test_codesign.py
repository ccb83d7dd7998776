"""`dataflow-accelerator` / dse.search.codesign: a design's totals are the dataflow model's on its chosen mappings
plus the area model's leakage; the network-level choice equals brute force over every feasible combination;
buffers that hold no mapping make a design infeasible; the chosen design's YAML goes through `dse map`."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dse.cli import main
from dse.cost.area_power import area_power
from dse.cost.dataflow.model import evaluate_batch
from dse.cost.dataflow.problem import has_mac_form
from dse.explore.config import parse_config
from dse.explore.run import explore
from dse.explore.problems import PROBLEMS
from dse.hw.dataflow import load_accelerator
from dse.hw.tech import load_tech
from dse.search.dataflow_mapping import space
from dse.workload import build

DESIGN = {"num_pes": 64, "l1_bytes": 512, "l2_bytes": 65536, "noc_bw_bytes_per_cycle": 16,
          "offchip_bw_bytes_per_s": 3.2e9, "clock_hz": 5e8}


def problem_and_point(dataflow: str = "eyeriss", **changes):
    problem = PROBLEMS["dataflow-accelerator"]({"workload": "lenet10", "dataflow": dataflow})
    return problem, {**problem.fixed, **DESIGN, **changes}


@pytest.mark.parametrize("dataflow", ["eyeriss", "shidiannao"])
def test_totals_are_the_models_on_the_chosen_mappings_plus_leakage(dataflow):
    problem, p = problem_and_point(dataflow)
    row = problem.evaluate([p]).iloc[0]
    codesign = problem.codesign(p)
    acc = codesign.design(DESIGN)
    frame = evaluate_batch(codesign.layers, acc, codesign.mappings(DESIGN))
    hw = area_power(acc, load_tech("65nm"), "fp32")
    seconds = frame["seconds"].sum()
    assert row["latency_s"] == pytest.approx(seconds, rel=1e-12)
    assert row["energy_j"] == pytest.approx(frame["energy_j"].sum() + hw.leakage_power_w * seconds, rel=1e-12)
    assert row["area_mm2"] == pytest.approx(hw.area_m2 * 1e6, rel=1e-12)
    assert row["power_w"] == pytest.approx(row["energy_j"] / seconds, rel=1e-12)
    assert row["edp"] == pytest.approx(row["energy_j"] * seconds, rel=1e-12)
    assert row["violation_buffer_bytes"] == 0
    assert (frame["l1_bytes"] <= DESIGN["l1_bytes"]).all() and (frame["l2_bytes"] <= DESIGN["l2_bytes"]).all()


def undominated(seconds: np.ndarray, energy_j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A layer's distinct (seconds, joules) options that no other option beats on both. Brute force over these is
    still exact for the network EDP: swapping a dominated option for one that dominates it lowers both sums, so
    an optimum always exists among them (LeNet's feasible combinations number 2e9, these 120)."""
    points = np.unique(np.c_[seconds, energy_j], axis=0)
    beaten = ((points[None, :, :] <= points[:, None, :]).all(axis=2)
              & (points[None, :, :] < points[:, None, :]).any(axis=2)).any(axis=1)
    return points[~beaten, 0], points[~beaten, 1]


def test_network_choice_equals_brute_force_over_feasible_combinations():
    problem, p = problem_and_point("eyeriss")
    row = problem.evaluate([p]).iloc[0]
    acc = problem.codesign(p).design(DESIGN)
    layers = list(build("lenet10").layers())
    fixed_s = fixed_j = 0.0
    options = []
    for layer in layers:
        if not has_mac_form(layer):
            f = evaluate_batch([layer], acc)
            fixed_s, fixed_j = fixed_s + f["seconds"].sum(), fixed_j + f["energy_j"].sum()
            continue
        maps = space(layer, acc)
        f = evaluate_batch([layer] * len(maps), acc, maps)
        fit = (f["l1_bytes"] <= acc.l1_bytes) & (f["l2_bytes"] <= acc.l2_bytes)
        options.append(undominated(f["seconds"][fit].to_numpy(), f["energy_j"][fit].to_numpy()))
    best = min((fixed_s + sum(o[0][i] for o, i in zip(options, combo))) *
               (fixed_j + sum(o[1][i] for o, i in zip(options, combo)))
               for combo in itertools.product(*(range(len(o[0])) for o in options)))
    dynamic = row["energy_j"] - row["energy_static_j"]
    assert row["latency_s"] * dynamic == pytest.approx(best, rel=1e-12)


def test_buffers_that_hold_no_mapping_are_infeasible():
    problem, p = problem_and_point("eyeriss", l1_bytes=8)
    row = problem.evaluate([p]).iloc[0]
    assert row["violation_buffer_bytes"] > 0
    roomy = problem.evaluate([{**p, "l1_bytes": 4096, "l2_bytes": 1 << 22}]).iloc[0]
    assert roomy["violation_buffer_bytes"] == 0
    assert roomy["area_mm2"] > row["area_mm2"]


def test_an_infeasible_designs_overflow_does_not_depend_on_what_came_before():
    """Both L1 sizes are below every mapping's need (the same buffer-size levels), so neither design fits; the
    least overflow still depends on the exact size, and a design evaluated after the other gets its own."""
    problem, p = problem_and_point("eyeriss", l1_bytes=6)
    problem.evaluate([p])
    after = problem.evaluate([{**p, "l1_bytes": 12}]).iloc[0]["violation_buffer_bytes"]
    fresh_problem, q = problem_and_point("eyeriss", l1_bytes=12)
    fresh = fresh_problem.evaluate([q]).iloc[0]["violation_buffer_bytes"]
    together = problem_and_point("eyeriss")[0].evaluate([p, q])["violation_buffer_bytes"].tolist()
    assert after == fresh == together[1] > 0
    assert together[0] > together[1]


def test_batch_equals_one_at_a_time_and_memo_is_consistent():
    """A batch, and the same designs one at a time in reverse order (whose tables are then built with the NoC
    settings seen before, in other vector passes), give the same numbers."""
    problem, p = problem_and_point("nvdla")
    points = [{**p, "num_pes": n, "l2_bytes": l2, "clock_hz": c, "noc_bw_bytes_per_cycle": noc} for n in (64, 256)
              for l2 in (32768, 262144) for c in (2e8, 1e9) for noc in (4, 64)]
    together = problem.evaluate(points)
    fresh = PROBLEMS["dataflow-accelerator"]({"workload": "lenet10", "dataflow": "nvdla"})
    alone = [fresh.evaluate([q]).iloc[0] for q in reversed(points)][::-1]
    for i, row in enumerate(alone):
        for metric in ("latency_s", "energy_j", "area_mm2", "violation_buffer_bytes"):
            assert together[metric].iloc[i] == pytest.approx(row[metric], rel=1e-12)


def test_chosen_design_yaml_round_trips_through_dse_map(tmp_path, capsys):
    problem, p = problem_and_point("eyeriss")
    files = problem.artifacts(p, tmp_path)
    path = files["accelerator YAML (dse map --accelerator)"]
    acc = load_accelerator(str(path))
    assert (acc.num_pes, acc.l1_bytes, acc.l2_bytes, acc.clock_hz) == (64, 512, 65536, 5e8)
    assert acc.templates == load_accelerator("eyeriss").templates
    assert files["per-layer latency plot"].is_file()
    assert main(["map", "--workload", "lenet10", "--accelerator", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["accelerator"] == "accelerator" and len(out["layers"]) == len(list(build("lenet10").layers()))


def test_chosen_design_yaml_is_dse_maestros_hardware(tmp_path, capsys):
    problem, p = problem_and_point("eyeriss")
    path = problem.artifacts(p, tmp_path)["accelerator YAML (dse map --accelerator)"]
    mapping = tmp_path / "conv.m"
    mapping.write_text("Network t {\nLayer L { Type: CONV Dimensions { K: 2, C: 4, R: 1, S: 1, Y: 1, X: 4 }\n"
                       "Dataflow { SpatialMap(1,1) K; TemporalMap(4,4) C; TemporalMap(1,1) X; } }\n}\n")
    out = tmp_path / "out.csv"
    assert main(["maestro", str(mapping), "--hw", str(path), "--elem-bytes", "2", "--out", str(out)]) == 0
    import pandas as pd

    row = pd.read_csv(out).iloc[0]
    # 64 PEs; NoC 16 B/cycle = 8 two-byte elements; off-chip 3.2 GB/s at 500 MHz = 6.4 B = 3 elements per cycle
    assert (row["num_pes"], row["noc_bw"], row["offchip_bw"]) == (64, 8, 3)


def test_an_onnx_file_and_training_passes(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8, 16, 16])
    w = numpy_helper.from_array(np.zeros((8, 3, 3, 3), dtype=np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                               helper.make_node("Relu", ["c"], ["y"], name="relu")], "g", [x], [y], [w])
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    rows = {}
    for training in (False, True):
        problem = PROBLEMS["dataflow-accelerator"]({"workload": str(path), "batch": 2, "training": training})
        codesign = problem.codesign({**problem.fixed, **DESIGN})
        rows[training] = problem.evaluate([{**problem.fixed, **DESIGN}]).iloc[0]
        acc = codesign.design(DESIGN)
        frame = evaluate_batch(codesign.layers, acc, codesign.mappings(DESIGN))
        assert rows[training]["latency_s"] == pytest.approx(frame["seconds"].sum(), rel=1e-12)
    # the training graph adds backward-data (none for the first conv), weight-gradient and update passes
    assert rows[True]["latency_s"] > rows[False]["latency_s"]


def test_bad_design_numbers():
    from dse.errors import InputError

    problem, p = problem_and_point("eyeriss", num_pes=0)
    with pytest.raises(InputError, match=r"parameter num_pes: must be an integer in \[1, 2147483648\], got 0"):
        problem.evaluate([p])
    problem, p = problem_and_point("eyeriss", precision="int4")
    with pytest.raises(InputError, match="no MAC area for precision 'int4'"):
        problem.evaluate([p])


def test_the_docs_resnet50_study_finds_a_front_within_its_budgets(tmp_path):
    """The co-design study docs/explore.md shows, at 300 NSGA-II trials: its front is not empty and every design on it
    meets the study's area and power budgets and holds every layer's mapping (trials.csv and pareto.csv agree)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "explore.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if "problem: dataflow-accelerator" in b)
    config = yaml.safe_load(block)
    (study,) = config["studies"].values()
    assert study["fixed"]["workload"] == "resnet50" and study["sampler"] == "nsga2"
    study["trials"] = 300
    explore(parse_config(config), tmp_path / "run", progress=False)
    pareto = pd.read_csv(tmp_path / "run" / "pareto.csv")
    area = float(study["constraints"]["area_mm2"].lstrip("<= "))
    power = float(study["constraints"]["power_w"].lstrip("<= "))
    assert len(pareto) >= 1 and pareto["feasible"].all()
    assert (pareto["metric_area_mm2"] <= area).all() and (pareto["metric_power_w"] <= power).all()
    assert (pareto["metric_violation_buffer_bytes"] == 0).all()
    assert (tmp_path / "run" / "chosen_codesign" / "accelerator.yaml").exists()


def test_passes_fork_only_from_a_process_without_other_threads():
    """A forked child inherits every lock, held by whichever thread held it: with another thread running, the
    co-design passes stay in this process. (That the pool's tables equal one-at-a-time ones is
    test_batch_equals_one_at_a_time_and_memo_is_consistent: its batch holds two PE counts, its designs alone one.)"""
    import os
    import threading

    from dse.search.codesign import fork_workers

    assert 1 <= fork_workers(8) <= len(os.sched_getaffinity(0))
    assert fork_workers(1) == 1
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert fork_workers(8) == 1
    finally:
        stop.set()
        other.join()
