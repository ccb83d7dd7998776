"""Workload files: `dse workload show --json` output read back as a workload, and their errors."""

import json

import pytest
import yaml

from dse.cli import main
from dse.errors import InputError
from dse.workload import build
from dse.workload.source import kind_of, load_workload
from dse.workload.workload_file import layer_records


def show_json(capsys, *argv) -> dict:
    assert main(["workload", "show", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name,options", [("resnet18", []), ("cnn_lstm", []), ("resnet18", ["--training"])])
def test_show_json_round_trips(tmp_path, capsys, name, options):
    first = show_json(capsys, name, *options)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(first))
    again = show_json(capsys, str(path))
    assert again == first  # every record, inputs included, and the totals of each pass
    if not options:
        original, loaded = build(name), load_workload(str(path))
        assert loaded.layers() == original.layers()
        assert sorted(loaded.edges(data=True)) == sorted(original.edges(data=True))


def test_a_hand_written_yaml_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "per_layer": [
        {"name": "conv", "op": "conv", "N": 2, "K": 8, "C": 3, "Y": 8, "X": 8, "R": 3, "S": 3, "pad_y": 1, "pad_x": 1},
        {"name": "relu", "op": "activation", "function": "relu", "N": 2, "C": 8, "K": 8, "Y": 8, "X": 8,
         "inputs": ["conv"]},
        {"name": "fc", "op": "fc", "N": 2, "C": 512, "K": 10, "inputs": ["relu"]}]}))
    w = load_workload(str(path))
    assert w.totals()["macs"] == 2 * 8 * 3 * 9 * 64 + 2 * 512 * 10
    assert list(w.edges) == [("conv", "relu"), ("relu", "fc")]
    # --batch scales every N by batch / the file's batch (its first layer's N)
    assert load_workload(str(path), batch=6).totals()["macs"] == 3 * w.totals()["macs"]
    with pytest.raises(InputError, match="--seq-len does not apply to a workload file"):
        load_workload(str(path), seq_len=8)


@pytest.mark.parametrize("change,message", [
    (lambda r: r[0].update(K=-8), r"bad.yaml: layer 'conv': field K: must be an integer in \[1, 2147483648\], got -8"),
    (lambda r: r[1].update(inputs=["nope"]), r"bad.yaml: layer 'relu': field inputs: unknown layer 'nope'"),
    (lambda r: r[0].update(kernel=3), r"bad.yaml: layer 'conv': unknown field 'kernel'"),
    (lambda r: r[0].update(op="conv3d"), r"bad.yaml: layer 'conv': field op: unknown op 'conv3d'"),
    (lambda r: r[1].update(C=4, K=4), r"bad.yaml: workload 'bad': shape mismatch on edge conv -> relu"),
    (lambda r: r[0].update(N="two"), r"bad.yaml: layer 'conv': field N must be an integer, got 'two'"),
])
def test_bad_workload_files_name_the_file_layer_and_field(tmp_path, change, message):
    records = [{"name": "conv", "op": "conv", "K": 8, "C": 3, "Y": 8, "X": 8, "R": 3, "S": 3, "pad_y": 1, "pad_x": 1},
               {"name": "relu", "op": "activation", "function": "relu", "C": 8, "K": 8, "Y": 8, "X": 8,
                "inputs": ["conv"]}]
    change(records)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"per_layer": records}))
    with pytest.raises(InputError, match=message):
        load_workload(str(path))


def test_the_cli_reports_a_bad_file_in_one_line(tmp_path, capsys):
    path = tmp_path / "w.json"
    path.write_text("{not json")
    assert main(["workload", "show", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"dse: error: {path}: not valid JSON") and "\n" not in err


def test_kinds_and_the_seam_for_hugging_face_configs(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "llama", "hidden_size": 64}))
    assert kind_of("resnet18") == "zoo" and kind_of("m.onnx") == "onnx" and kind_of("w.yaml") == "workload-file"
    assert kind_of(str(config)) == "hf-config"
    with pytest.raises(InputError, match="does not exist"):
        load_workload(str(tmp_path / "missing.yaml"))
    with pytest.raises(InputError, match="not a workload"):
        load_workload("models/net.pt")


def test_training_a_model_without_trainable_layers_says_so(tmp_path):
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump({"per_layer": [{"name": "pool", "op": "maxpool", "C": 3, "K": 3, "Y": 8, "X": 8,
                                                   "R": 2, "S": 2, "stride_y": 2, "stride_x": 2}]}))
    from dse.workload import training

    with pytest.raises(InputError, match="cannot be trained: it has no trainable layer"):
        training(load_workload(str(path)))


def test_records_carry_every_field_and_the_inputs():
    records = layer_records(build("resnet18"))
    add = next(r for r in records if r["op"] == "add")
    assert len(add["inputs"]) == 2 and {"pad_y", "stride_x", "bias", "elem_bytes", "trainable"} <= set(add)
