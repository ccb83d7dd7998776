"""Per-layer mapping search: candidate sets, exact enumeration against a brute-force loop, the Optuna path, and
`dse map`."""

from __future__ import annotations

import json

import pytest

from dse.cli import main
from dse.cost.dataflow.model import evaluate
from dse.errors import InputError
from dse.hw.dataflow import Parameter, load_accelerator
from dse.search.dataflow_mapping import candidates, fits, score, search, space
from dse.workload import build

LAYERS = {l.name: l for l in build("resnet50").layers()}


def test_candidates() -> None:
    """Tile over C=48: powers of two below 48 and 48; cluster on 64 PEs: 1..64; tile over X' = 9 - 3 + 1 = 7."""
    assert candidates(Parameter("Tc", "C", 64), {"C": 48}, 256) == [1, 2, 4, 8, 16, 32, 48]
    assert candidates(Parameter("Cl", "PE", 8), {"C": 48}, 64) == [1, 2, 4, 8, 16, 32, 64]
    assert candidates(Parameter("Tx", "X'", 8), {"X": 9, "S": 3}, 64) == [1, 2, 4, 7]


@pytest.mark.parametrize("acc_name,layer_name", [("eyeriss", "layer1_0_conv2"), ("xp", "layer2_0_conv1"),
                                                 ("shidiannao", "layer3_0_conv2"), ("ckp", "layer4_0_conv3")])
@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
def test_exact_search_is_the_best_feasible_and_no_worse_than_default(acc_name: str, layer_name: str,
                                                                     objective: str) -> None:
    acc, layer = load_accelerator(acc_name), LAYERS[layer_name]
    result = search(layer, acc, objective, exact_limit=10_000)
    mappings = space(layer, acc)
    assert result.method == "exact" and result.evaluated == result.space == len(mappings)
    assert result.fits and fits(result.cost, acc)
    assert result.cost.l1_bytes <= acc.l1_bytes and result.cost.l2_bytes <= acc.l2_bytes
    brute = [evaluate(layer, acc, m) for m in mappings]
    assert score(result.cost, objective) == min(score(c, objective) for c in brute if fits(c, acc))
    default = evaluate(layer, acc)
    if fits(default, acc):
        assert score(result.cost, objective) <= score(default, objective)


def test_optuna_path_fits_and_beats_or_ties_the_default() -> None:
    """A space of 99 on NVDLA forced onto Optuna (exact_limit=4): 15 trials, the default is tried first."""
    acc, layer = load_accelerator("nvdla"), LAYERS["layer1_1_conv1"]
    result = search(layer, acc, "edp", exact_limit=4, trials=15)
    assert result.method == "optuna" and result.space == 99 and 1 <= result.evaluated <= 15
    assert result.fits and fits(result.cost, acc)
    default = evaluate(layer, acc)
    assert fits(default, acc) and score(result.cost, "edp") <= score(default, "edp")


def test_bad_objective_and_mapping_parameter() -> None:
    acc = load_accelerator("eyeriss")
    with pytest.raises(InputError, match="objective 'speed' is not one of latency, energy, edp"):
        search(LAYERS["fc"], acc, "speed")
    with pytest.raises(InputError, match=r"unknown mapping parameter\(s\) \['Tq'\]; known: Tk"):
        evaluate(LAYERS["fc"], acc, {"Tq": 4})


def test_dse_map_json(capsys: pytest.CaptureFixture) -> None:
    """lenet10 on the C-P machine, per-layer scope: every MAC layer gets a fitting mapping no worse than the template
    default; the totals are the sums of the per-layer costs."""
    assert main(["map", "--workload", "lenet10", "--accelerator", "cp", "--objective", "edp", "--scope", "layer",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataflow"] == "C-P" and out["layers"]
    for row in out["layers"]:
        assert row["fits"]
        if row["method"] == "exact" and row["default_fits"]:
            assert row["score"] <= row["default_score"]
    energy = sum(r["energy_j"] for r in out["layers"])
    assert out["scope"] == "layer" and out["totals"]["layer"]["energy_j"] == pytest.approx(energy)


def test_dse_map_unknown_accelerator_exits_2(capsys: pytest.CaptureFixture) -> None:
    assert main(["map", "--workload", "lenet10", "--accelerator", "tpu"]) == 2
    assert "known: ckp, cp, eyeriss" in capsys.readouterr().err


def test_template_resolution_is_cached_and_still_rejects_bad_mappings() -> None:
    acc = load_accelerator("nvdla")
    sizes = dict(N=1, K=64, C=32, R=3, S=3, Y=16, X=16)
    first = acc.dataflow("CONV", sizes)
    assert acc.dataflow("CONV", dict(sizes)) is first  # resolved once per (template, parameters, layer)
    assert acc.dataflow("CONV", sizes, {"Tc": 8}) != first
    for _ in range(2):  # errors are not cached away
        with pytest.raises(InputError, match="Tc must be a positive integer"):
            acc.dataflow("CONV", sizes, {"Tc": 0})


def test_ties_on_the_objective_go_to_the_faster_mapping() -> None:
    """On NVDLA, conv2_1's cluster size leaves its energy exactly unchanged while latency falls 7.7x from Cl=1 to 8:
    the energy objective must pick a point of the latency/energy front, not the first of the tied mappings."""
    acc = load_accelerator("nvdla")
    layer = next(l for l in build("vgg16").layers() if l.name == "conv2_1")
    costs = [(m, evaluate(layer, acc, m)) for m in space(layer, acc)]
    feasible = [(m, c) for m, c in costs if fits(c, acc)]
    least = min(c.energy_j for _, c in feasible)
    tied = [c.seconds for _, c in feasible if c.energy_j == least]
    assert len(tied) > 1 and max(tied) > 2 * min(tied)
    result = search(layer, acc, "energy")
    assert result.cost.energy_j == least and result.cost.seconds == min(tied)
