"""Tables of mappings (evaluate_mappings / evaluate_sweep / evaluate_batch with mappings): every row equals
one-at-a-time `evaluate(layer, accelerator, mapping)` exactly, on every Cost field and MAESTRO metric; bad tables
raise the InputError one-at-a-time evaluation raises for the first bad row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dse.cost.dataflow.model import evaluate, evaluate_batch, evaluate_mappings, evaluate_sweep
from dse.errors import InputError
from dse.hw.dataflow import load_accelerator
from dse.resources import accelerators
from dse.workload import build, training
from dse.workload.layer import Layer, Op


def _zoo_layer(network: str, name: str, **kwargs) -> Layer:
    return next(l for l in build(network, **kwargs).layers() if l.name == name)


LAYERS = {  # conv with stride 2, depthwise with stride 2, attention matmul, weight-gradient pass
    "conv": lambda: _zoo_layer("resnet18", "layer2_0_conv1"),
    "depthwise": lambda: _zoo_layer("mobilenet_v2", "block1_dw"),
    "matmul": lambda: _zoo_layer("openllama_3b", "layer0_qk", seq_len=64),
    "weight_gradient": lambda: next(l for l in training(build("resnet18")).layers() if l.name == "layer4_1_conv2.wg"),
}


def _same(a, b) -> bool:
    return a == b or (a != a and b != b)


def _random_table(layer: Layer, acc, rows: int, seed: int) -> dict[str, np.ndarray]:
    """Random values for every parameter (tiles 1..2x default, clusters 1..min(2x default, PEs)), keeping only the
    rows one-at-a-time evaluation accepts (random tilings can give a sub-cluster no MACs, which is rejected)."""
    rng = np.random.default_rng(seed)
    table = {}
    for p in acc.parameters.values():
        top = min(2 * p.default, acc.num_pes) if p.dim == "PE" else 2 * p.default
        table[p.name] = rng.integers(1, max(top, 2) + 1, size=rows)
    keep = []
    for i in range(rows):
        try:
            evaluate(layer, acc, {k: int(v[i]) for k, v in table.items()})
            keep.append(i)
        except InputError:
            pass
    assert len(keep) > rows // 2
    return {k: v[keep] for k, v in table.items()}


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("name", ["nvdla", "eyeriss", "shidiannao", "ckp"])
def test_table_rows_equal_one_at_a_time(kind: str, name: str) -> None:
    layer, acc = LAYERS[kind](), load_accelerator(name)
    table = _random_table(layer, acc, 40, seed=len(kind) * 7 + len(name))
    table = {k: np.concatenate([v, v[:5]]) for k, v in table.items()}  # repeated mappings are analysed once
    frame = evaluate_mappings(layer, acc, table)
    assert len(frame) == len(next(iter(table.values())))
    for i, row in enumerate(frame.to_dict(orient="records")):
        single = evaluate(layer, acc, {k: int(v[i]) for k, v in table.items()}).to_dict()
        assert row["layer"] == layer.name
        wrong = [(k, row[k], v) for k, v in single.items() if not _same(row[k], v)]
        assert not wrong, (kind, name, i, wrong[:3])


def test_sweep_and_batch_forms_agree() -> None:
    """A DataFrame table, a list column with the other parameter left at its default, a layer without MACs, and
    evaluate_batch on per-row dicts (some None, some partial): all equal to one-at-a-time."""
    acc = load_accelerator("nvdla")
    conv, dw = LAYERS["conv"](), LAYERS["depthwise"]()
    pool = Layer("pool", Op.MAXPOOL, K=8, C=8, Y=8, X=8, R=2, S=2, stride_y=2, stride_x=2)
    frame = evaluate_sweep([(conv, pd.DataFrame({"Tc": [8, 16, 3], "Cl": [16, 32, 64]})),
                            (pool, {"Tc": [1, 2]}), (dw, {"Cl": [4, 8]})], acc)
    expected = [(conv, {"Tc": 8, "Cl": 16}), (conv, {"Tc": 16, "Cl": 32}), (conv, {"Tc": 3, "Cl": 64}),
                (pool, None), (pool, None), (dw, {"Cl": 4}), (dw, {"Cl": 8})]
    batch = evaluate_batch([l for l, _ in expected], acc, [{"Tc": 8, "Cl": 16}, {"Tc": 16, "Cl": 32}, {"Tc": 3},
                                                            None, {"Tc": 1}, {"Cl": 4}, {"Cl": 8}])
    assert list(frame.columns) == list(batch.columns)
    for i, (layer, mapping) in enumerate(expected):
        single = evaluate(layer, acc, mapping).to_dict()
        for got in (frame.iloc[i], batch.iloc[i]):
            assert got["layer"] == layer.name
            assert all(_same(got[k], v) for k, v in single.items()), (i, layer.name)
    assert np.isnan(frame.iloc[3]["num_macs"]) and frame.iloc[0]["num_macs"] > 0


def _message(call) -> str:
    with pytest.raises(InputError) as err:
        call()
    return str(err.value)


@pytest.mark.parametrize("table, bad, says", [
    ({"Tc": np.array([4, 0, -1])}, {"Tc": 0}, "accelerator nvdla: mapping parameter Tc must be a positive integer, "
                                              "got 0"),
    ({"Tc": [4, 2.5]}, {"Tc": 2.5}, "parameter Tc must be a positive integer, got 2.5"),
    ({"Tc": np.array([4.0])}, {"Tc": 4.0}, "parameter Tc must be a positive integer, got 4.0"),
    ({"Cl": [8, True]}, {"Cl": True}, "parameter Cl must be a positive integer, got True"),
    ({"Tc": [1], "Tq": [1]}, {"Tq": 1}, "unknown mapping parameter(s) ['Tq']; known: Tc, Cl"),
    ({"Cl": [64, 2048]}, {"Cl": 2048}, "token 'Cluster(2048,P)': clusters group 2048 PEs but the machine has 1024"),
])
def test_bad_table_raises_what_one_at_a_time_raises(table: dict, bad: dict, says: str) -> None:
    acc, layer = load_accelerator("nvdla"), LAYERS["conv"]()
    message = _message(lambda: evaluate_mappings(layer, acc, table))
    assert says in message
    assert message == _message(lambda: evaluate(layer, acc, bad))


def test_table_shape_errors() -> None:
    acc, layer = load_accelerator("nvdla"), LAYERS["conv"]()
    with pytest.raises(InputError, match=r"accelerator nvdla: mapping table columns differ in length: "
                                         r"\{'Tc': 2, 'Cl': 1\}"):
        evaluate_mappings(layer, acc, {"Tc": [1, 2], "Cl": [4]})
    with pytest.raises(InputError, match="mapping table column Tc must be a list or 1-d array of values"):
        evaluate_mappings(layer, acc, {"Tc": 4})


def test_whole_filter_rule_on_a_parameter(tmp_path: Path) -> None:
    """A template with a parameter on a TemporalMap over R: MAESTRO requires it to cover the whole filter. The
    symbolic resolution checks row 0 only; the other rows are checked on the column, and the first that breaks
    the rule gets the parser's message, as one-at-a-time evaluation does."""
    data = yaml.safe_load(accelerators("dataflow", "nvdla.yaml").read_text())
    data["dataflow"]["conv"] = [d.replace("TemporalMap(Sz(R),Sz(R)) R", "TemporalMap(Tr,Tr) R")
                                for d in data["dataflow"]["conv"]]
    data["dataflow"]["parameters"]["Tr"] = {"dim": "R", "default": {"value": 3, "source": "test"}}
    path = tmp_path / "whole_r.yaml"
    path.write_text(yaml.safe_dump(data))
    acc, layer = load_accelerator(str(path)), LAYERS["conv"]()  # a 3x3 conv
    frame = evaluate_mappings(layer, acc, {"Tr": [3, 3], "Tc": [8, 16]})
    assert frame["runtime_cycles"].iloc[1] == evaluate(layer, acc, {"Tr": 3, "Tc": 16}).extra["runtime_cycles"]
    message = _message(lambda: evaluate_mappings(layer, acc, {"Tr": [3, 3, 2, 1], "Tc": [8, 16, 8, 8]}))
    assert message == _message(lambda: evaluate(layer, acc, {"Tr": 2, "Tc": 8}))
    assert "TemporalMap on R must be whole" in message and "got (2,2)" in message
