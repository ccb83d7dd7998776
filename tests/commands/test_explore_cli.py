"""`dse explore`, `dse report`, `dse plot pareto` and `dse worker` through the real entry point."""

import json
import subprocess
import sys

import pandas as pd
import yaml


def dse(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dse", *args], capture_output=True, text=True, cwd=cwd)


def one_line_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr


CONFIG = {"seed": 1, "studies": {"tiles": {
    "problem": "fpga-tiling", "sampler": "random", "trials": 12,
    "fixed": {"network": "ef_train_1x", "batch": 4, "board": "pynq-z1"},
    "sweep": {"dsp_share": {"low": 0.2, "high": 1.0}, "ifm_share": {"low": 0.1, "high": 0.9}},
    "objectives": ["seconds", "dsp"], "constraints": {"power_w": "<= 3"}}}}


def test_quick_default_json_then_report_and_plot(tmp_path):
    out = tmp_path / "run"
    proc = dse("explore", "--quick", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["studies"]["fpga_tiling"]["trials"] == 40
    assert {"fpga_tiling", "h2h_mapping"} <= set(summary["studies"])
    trials = pd.read_csv(out / "trials.csv")
    assert set(trials["study"]) == set(summary["studies"])
    assert (out / "chosen_fpga_tiling" / "hls" / "csim.log").read_text().startswith("csim PASSED")
    assert dse("report", str(out)).returncode == 0
    plot = dse("plot", "pareto", str(out), "--x", "seconds", "--y", "energy_j", "--study", "fpga_tiling")
    assert plot.returncode == 0, plot.stderr
    assert (out / "pareto_fpga_tiling_seconds_vs_energy_j.png").stat().st_size > 1000


def test_config_file_constraints_reach_trials_csv(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert dse("explore", str(config), "--out", str(out), "--no-progress").returncode == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 12
    over = trials["metric_power_w"] > 3
    assert (trials.loc[over, "constraint_power_w<=3"] > 0).all()
    assert not trials.loc[over, "feasible"].any()


def test_bad_inputs_exit_2_with_one_line(tmp_path):
    config = tmp_path / "c.yaml"
    bad = json.loads(json.dumps(CONFIG))
    bad["studies"]["tiles"]["objectives"] = ["latency"]
    config.write_text(yaml.safe_dump(bad))
    one_line_error(dse("explore", str(config), "--out", str(tmp_path / "a")), "studies.tiles.objectives[0]", "latency")
    bad["studies"]["tiles"]["objectives"] = ["seconds"]
    bad["studies"]["tiles"]["sweep"] = {"Tmm": [1, 2]}
    config.write_text(yaml.safe_dump(bad))
    one_line_error(dse("explore", str(config), "--out", str(tmp_path / "b")), "studies.tiles.sweep.Tmm")
    config.write_text(yaml.safe_dump(CONFIG))
    one_line_error(dse("explore", str(config), "--storage", "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none",
                       "--out", str(tmp_path / "c")), "unreachable")
    assert "secret" not in dse("explore", str(config), "--storage",
                               "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none").stderr
    one_line_error(dse("worker", "--study", "x", "--storage", "mongodb://h/db"), "storage URL")


def test_out_holding_another_exploration_is_refused(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "run"
    assert dse("explore", str(config), "--out", str(out), "--no-progress").returncode == 0
    before = (out / "trials.csv").read_text()
    other = json.loads(json.dumps(CONFIG))
    other["studies"]["tiles"]["objectives"] = ["energy_j", "dsp"]
    config.write_text(yaml.safe_dump(other))
    one_line_error(dse("explore", str(config), "--out", str(out)), "holds another exploration")
    assert (out / "trials.csv").read_text() == before
