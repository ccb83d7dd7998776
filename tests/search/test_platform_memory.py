"""platform-compare treats a job that does not fit the device's memory as infeasible: never on a front, and the
report says why; bit widths and Hugging Face configs are ordinary config keys."""

import pandas as pd
import pytest

from dse.explore.config import parse_config
from dse.explore.problems import PROBLEMS
from dse.explore.run import explore
from dse.workload.zoo.llm import CONFIGS


def test_memory_violation_is_the_bytes_over_capacity():
    problem = PROBLEMS["platform-compare"]({"workload": "openllama_3b_decode", "seq_len": 512})
    rows = problem.evaluate([{**problem.fixed, "platform": "jetson-nano", "weight_bits": w} for w in (16, 4)])
    fp16, int4 = rows.iloc[0], rows.iloc[1]
    assert fp16["violation_memory"] == pytest.approx(fp16["memory_needed_bytes"] - 4 * 2 ** 30)
    assert fp16["violation_memory"] > 2.5e9 and "has 4.29 GB" in fp16["why"]
    assert int4["violation_memory"] < 0 and int4["why"] == ""
    assert int4["seconds"] < fp16["seconds"]


def test_an_llm_sweep_keeps_the_point_that_does_not_fit_off_the_front(tmp_path):
    config = {"seed": 1, "studies": {"llm": {
        "problem": "platform-compare", "sampler": "exact", "trials": 10,
        "fixed": {"workload": "openllama_3b_decode", "seq_len": 256},
        "sweep": {"platform": ["jetson-nano", "orin-nano"], "weight_bits": [16, 4]},
        "objectives": ["seconds", "energy_j"]}}}
    out = tmp_path / "run"
    explore(parse_config(config), out, progress=False)
    trials = pd.read_csv(out / "trials.csv")
    nano16 = trials[(trials["param_platform"] == "jetson-nano") & (trials["param_weight_bits"] == 16)].iloc[0]
    assert not nano16["feasible"] and not nano16["pareto"]
    assert trials["feasible"].sum() == 3
    report = (out / "report.html").read_text()
    assert "Infeasible points" in report and "needs 6." in report


def test_a_quick_sweep_over_the_shipped_hugging_face_configs(tmp_path):
    configs = sorted(str(p) for p in CONFIGS.glob("*.json"))
    config = {"seed": 1, "studies": {"configs": {
        "problem": "platform-compare", "sampler": "exact", "trials": 20,
        "fixed": {"stage": "decode", "seq_len": 128, "kv_bits": 8, "platform": "orin-nano"},
        "sweep": {"workload": configs, "weight_bits": [16, 4]},
        "objectives": ["seconds", "energy_j"]}}}
    out = tmp_path / "run"
    explore(parse_config(config), out, progress=False)
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 2 * len(configs) == 12 and (trials["state"] == "COMPLETE").all()
    assert trials["feasible"].all()  # every one fits the Orin Nano's 8 GiB, even Phi-3-mini in FP16 (7.7 GB)
    for workload, rows in trials.groupby("param_workload"):
        by_bits = rows.set_index("param_weight_bits")["objective_seconds"]
        assert by_bits[4] < by_bits[16], workload  # decode moves fewer weight bytes at 4 bits
