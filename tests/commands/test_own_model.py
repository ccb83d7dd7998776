"""End to end: `dse map`, `dse fpga estimate`, `dse compare` and a quick `dse explore` on a real ONNX file (the onnx
package's ZFNet-512 from the public model zoo) and on the workload file `dse workload show --json` writes of it; both
give the same numbers."""

import json
from pathlib import Path

import onnx
import pytest
import yaml

from dse.cli import main

ZFNET = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_zfnet512.onnx"


def run_json(capsys, *argv) -> dict:
    assert main([str(a) for a in argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_commands_take_an_onnx_file_and_its_workload_file_alike(tmp_path, capsys):
    shown = run_json(capsys, "workload", "show", ZFNET, "--json")
    # ZFNet-512: 1.48 GMAC at 224x224 (onnx-tool counts 1,481,727,008 MACs in its convs and FC layers)
    assert shown["macs"] == 1_481_727_008
    saved = tmp_path / "zfnet.json"
    saved.write_text(json.dumps(shown))
    results = {}
    for spec in (ZFNET, saved):
        mapped = run_json(capsys, "map", "--workload", spec, "--accelerator", "eyeriss", "--trials", "3", "--json")
        fpga = run_json(capsys, "fpga", "estimate", "--board", "zcu102", "--network", spec, "--batch", "2",
                        "--tiling", "ef-train", "--json")
        compare = run_json(capsys, "compare", "--workload", spec, "--platforms", "jetson-nano,ddr3-pim", "--json")
        results[spec] = (mapped["totals"]["default"], fpga["total_cycles"], fpga["flops"],
                         [(p["latency_s"], p["energy_per_job_j"]) for p in compare["platforms"]])
        assert mapped["totals"]["default"]["macs"] == shown["macs"]
        # EF-Train's training FLOPs: 2 x (3 x all MACs - the first layer's) x batch, with batch 2
        first = shown["per_layer"][0]["macs"]
        assert fpga["flops"] == 2 * (3 * shown["macs"] - first) * 2
    assert results[ZFNET] == results[saved]


def test_quick_explore_on_an_onnx_file_and_a_workload_file(tmp_path, capsys):
    shown = run_json(capsys, "workload", "show", ZFNET, "--json")
    saved = tmp_path / "zfnet.yaml"
    saved.write_text(yaml.safe_dump(shown))
    studies = {}
    for label, spec in (("onnx", ZFNET), ("file", saved)):
        studies[label] = {"problem": "platform-compare", "sampler": "exact", "trials": 2,
                          "fixed": {"workload": str(spec)}, "sweep": {"platform": ["jetson-nano", "orin-nano"]},
                          "objectives": ["seconds", "energy_j"]}
    config = tmp_path / "own.yaml"
    config.write_text(yaml.safe_dump({"seed": 0, "studies": studies}))
    out = tmp_path / "run"
    summary = run_json(capsys, "explore", config, "--out", out, "--no-progress", "--json")
    assert summary["studies"]["onnx"]["trials"] == summary["studies"]["file"]["trials"] == 2
    import pandas as pd

    trials = pd.read_csv(out / "trials.csv")
    seconds = {study: sorted(frame["metric_seconds"]) for study, frame in trials.groupby("study")}
    assert seconds["onnx"] == seconds["file"]


def test_an_onnx_file_with_dynamic_dims_needs_input_shape_in_explore_too(tmp_path, capsys):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = helper.make_tensor("wt", TensorProto.FLOAT, [4, 3, 3, 3], [0.1] * 108)
    graph = helper.make_graph([helper.make_node("Conv", ["x", "wt"], ["y"], kernel_shape=[3, 3])], "dyn", [x], [y], [w])
    model = tmp_path / "dyn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(model))
    study = {"problem": "platform-compare", "sampler": "exact", "trials": 1, "fixed": {"workload": str(model)},
             "sweep": {"platform": ["jetson-nano"]}, "objectives": ["seconds"]}
    config = tmp_path / "dyn.yaml"
    config.write_text(yaml.safe_dump({"studies": {"dyn": study}}))
    assert main(["explore", str(config), "--out", str(tmp_path / "a"), "--no-progress"]) == 2
    assert "input 'x' dim 2 (h) is dynamic; give its value with input_shape x=1,3,h,w" in capsys.readouterr().err
    study["fixed"]["input_shape"] = {"x": [1, 3, 32, 32]}
    config.write_text(yaml.safe_dump({"studies": {"dyn": study}}))
    assert main(["explore", str(config), "--out", str(tmp_path / "b"), "--no-progress"]) == 0
    assert main(["compare", "--workload", str(model), "--input-shape", "1,3,32,32", "--platforms", "jetson-nano"]) == 0
