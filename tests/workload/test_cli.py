"""`dse workload` through the real entry point: JSON totals and exit codes."""

import json
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "dse", *args], capture_output=True, text=True)


def test_show_json_counts_compute_layers_like_h2h():
    proc = run("workload", "show", "vgg16", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["name"] == "vgg16" and info["layers"] == 16
    assert info["params"] == 138_357_544
    assert info["flops"] >= 2 * info["macs"]


def test_training_json_has_all_passes():
    info = json.loads(run("workload", "show", "lenet10", "--training", "--batch", "1", "--json").stdout)
    assert set(info["passes"]) == {"forward", "backward_data", "weight_gradient", "weight_update"}
    assert info["passes"]["weight_gradient"]["macs"] == info["passes"]["forward"]["macs"]


def test_unknown_model_suggests_the_closest_and_exits_2():
    proc = run("workload", "show", "resnet5O")
    assert proc.returncode == 2
    assert "resnet50" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_non_positive_batch_exits_2():
    proc = run("workload", "show", "vgg16", "--batch", "0")
    assert proc.returncode == 2 and "batch" in proc.stderr


def test_list_names_every_model():
    names = {row["name"] for row in json.loads(run("workload", "list", "--json").stdout)}
    assert {"alexnet", "vgg16", "resnet50", "mobilenet_v2", "ef_train_1x", "lenet10"} <= names
