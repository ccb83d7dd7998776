"""`dse h2h` through the real entry point: JSON shape, run folder, exit codes on bad input."""

import json
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "dse", "h2h", *args], capture_output=True, text=True)


def test_json_steps_and_baselines(tmp_path):
    proc = run("--workload", "resnet18", "--system", "h2h", "--bandwidth", "0.125", "--trials", "20", "--json",
               "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert set(info["steps"]) == {"1", "2", "3", "4"}
    lat = [info["steps"][k]["latency_s"] for k in "1234"]
    assert lat[3] <= lat[1] <= lat[0]  # H2H never worse than step 2; pinning never hurts step 1
    assert {"computation_only", "nsga2"} <= set(info["baselines"])
    assert all(v["energy_j"] > 0 for v in info["steps"].values())
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"gantt_step4.png", "gantt_step4.svg", "schedule_step1.csv", "summary.csv", "h2h.json"} <= files


def test_bad_bandwidth_exits_2():
    for bw in ("0", "-0.5"):
        proc = run("--workload", "resnet18", "--bandwidth", bw)
        assert proc.returncode == 2 and "bandwidth" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_unknown_design_in_system_file_exits_2(tmp_path):
    path = tmp_path / "sys.yaml"
    path.write_text("link_bw_bytes_per_s: 1.0e+9\naccelerators:\n  - {name: a, design: no_such_fpga}\n")
    proc = run("--workload", "resnet18", "--system", str(path), "--bandwidth", "1")
    assert proc.returncode == 2 and "no_such_fpga" in proc.stderr and "sys.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_layer_no_accelerator_runs_exits_2(tmp_path):
    path = tmp_path / "lstm_only.yaml"
    path.write_text("link_bw_bytes_per_s: 1.0e+9\naccelerators:\n  - {design: ese_xcku060}\n")
    proc = run("--workload", "resnet18", "--system", str(path), "--bandwidth", "1")
    assert proc.returncode == 2 and "(op conv) can run on no accelerator" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
