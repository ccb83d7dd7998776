"""Network-level mapping choice: Pareto and hull reductions by hand, the hull sweep against brute force over every
combination (repeated layers choosing independently), and `dse map --scope` on LeNet-10 / NVDLA (with MAESTRO's
per-step off-chip bound, see `nvdla_file`)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from dse.cli import main
from dse.cost.dataflow.model import evaluate_batch
from dse.cost.dataflow.problem import has_mac_form, problem
from dse.hw.dataflow import load_accelerator
from dse.resources import accelerators
from dse.search.dataflow_mapping import fits, search, space
from dse.search.network_mapping import (OBJECTIVES, choose, choose_grouped, inside_extremes, lower_hull, pareto,
                                        pareto_groups)
from dse.workload import build


def test_pareto_keeps_non_dominated_points_in_ascending_seconds() -> None:
    """(2, 5) beats (2, 6) and (3, 5); (1, 9) and (4, 1) are extremes; the repeated (1, 9) is kept once."""
    seconds = np.array([2.0, 3.0, 1.0, 2.0, 4.0, 1.0, 5.0])
    energy = np.array([6.0, 5.0, 9.0, 5.0, 1.0, 9.0, 1.0])
    assert pareto(seconds, energy).tolist() == [2, 3, 4]


@pytest.mark.parametrize("second", [1, 2**57], ids=["packed key", "lexsort"])  # 2**57 x 8 x 8 > int64
def test_pareto_groups_is_each_groups_pareto(second: int) -> None:
    """Two groups holding the points above, the second numbered 1 (one packed int64 sort key) or 2**57 (too large
    to pack, sorted by lexsort): each keeps the same three points, listed group by group."""
    seconds = np.tile([2.0, 3.0, 1.0, 2.0, 4.0, 1.0, 5.0], 2)
    energy = np.tile([6.0, 5.0, 9.0, 5.0, 1.0, 9.0, 1.0], 2)
    group = np.repeat(np.array([0, second], dtype=np.int64), 7)
    assert pareto_groups(group, seconds, energy).tolist() == [2, 3, 4, 9, 10, 11]


def test_inside_extremes_drops_only_points_an_extreme_beats() -> None:
    """Group 0: (1, 9) and (4, 1) are its extremes; (5, 2) has more seconds than (4, 1), (2, 10) more energy than
    (1, 9); the rest lie within, dominated or not. Group 1, a single point, is kept."""
    seconds = np.array([2.0, 1.0, 5.0, 2.0, 4.0, 3.0, 7.0])
    energy = np.array([10.0, 9.0, 2.0, 5.0, 1.0, 6.0, 7.0])
    assert inside_extremes(np.array([0, 6]), seconds, energy).tolist() == [False, True, False, True, True, True, True]


def test_inside_extremes_keeps_every_pareto_point_and_its_duplicates() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        sizes = rng.integers(1, 9, int(rng.integers(1, 6)))
        group = np.repeat(np.arange(len(sizes)), sizes)
        seconds, energy = rng.integers(1, 5, (2, len(group))).astype(float)  # small integers: many ties
        kept = np.flatnonzero(inside_extremes(np.cumsum(sizes) - sizes, seconds, energy))
        assert kept[pareto_groups(group[kept], seconds[kept], energy[kept])].tolist() == \
            pareto_groups(group, seconds, energy).tolist()


def test_lower_hull_drops_points_above_the_chord_and_on_it() -> None:
    """(3, 4) lies above the chord from (2, 5) to (4, 1) (which passes (3, 3)); (2, 6) lies on the chord from
    (1, 9) to (3, 3)."""
    assert lower_hull(np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 5.0, 4.0, 1.0])).tolist() == [0, 1, 3]
    assert lower_hull(np.array([1.0, 2.0, 3.0]), np.array([9.0, 6.0, 3.0])).tolist() == [0, 2]
    assert lower_hull(np.array([1.0, 2.0]), np.array([2.0, 1.0])).tolist() == [0, 1]


def test_network_edp_is_not_the_sum_of_layer_edps() -> None:
    """Layer A: (1 s, 4 J) EDP 4 or (4 s, 0.9 J) EDP 3.6, so alone it takes the second. With layer B fixed at
    (1 s, 10 J), network EDP is (1+1)(4+10) = 28 with A's first point against (4+1)(0.9+10) = 54.5 with its second."""
    fronts = [(np.array([1.0, 4.0]), np.array([4.0, 0.9])), (np.array([1.0]), np.array([10.0]))]
    assert choose(fronts, [1, 1], "edp") == [0, 0]
    assert choose(fronts, [1, 1], "energy") == [1, 0] and choose(fronts, [1, 1], "latency") == [0, 0]


def _brute_force(candidates: list[tuple[np.ndarray, np.ndarray]], counts: list[int], objective: str) -> float:
    """Least network objective over every combination, each repeat of a layer choosing on its own."""
    copies = [c for c, m in zip(candidates, counts) for _ in range(m)]
    seconds = functools.reduce(np.add.outer, [s for s, _ in copies]).ravel()
    energy = functools.reduce(np.add.outer, [e for _, e in copies]).ravel()
    return float(OBJECTIVES[objective](seconds, energy).min())


@pytest.mark.parametrize("objective", ["edp", "latency", "energy"])
@pytest.mark.parametrize("integer", [False, True], ids=["real", "integer"])  # integers: ties and collinear points
def test_choice_equals_brute_force_on_random_instances(objective: str, integer: bool) -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        layers = int(rng.integers(2, 5))
        counts = [int(rng.integers(1, 3)) if i < 2 else 1 for i in range(layers)]
        candidates, fronts = [], []
        for _ in range(layers):
            n = int(rng.integers(1, 5))
            seconds, energy = ((rng.integers(1, 6, n), rng.integers(1, 6, n)) if integer else
                               (rng.uniform(1e-4, 1e-2, n), rng.uniform(1e-3, 1e-1, n)))
            seconds, energy = seconds.astype(float), energy.astype(float)
            candidates.append((seconds, energy))
            keep = pareto(seconds, energy)
            fronts.append((seconds[keep], energy[keep]))
        picks = choose(fronts, counts, objective)
        total_s = sum(m * s[k] for (s, _), m, k in zip(fronts, counts, picks))
        total_e = sum(m * e[k] for (_, e), m, k in zip(fronts, counts, picks))
        assert OBJECTIVES[objective](total_s, total_e) == pytest.approx(
            _brute_force(candidates, counts, objective), rel=1e-12)


@pytest.mark.parametrize("objective", ["edp", "latency", "energy"])
def test_networks_chosen_together_choose_as_alone_and_as_brute_force(objective: str) -> None:
    """Several networks in one `choose_grouped` call (rows shuffled across them, integer values for ties) each get
    exactly the rows they get alone, and those reach the brute-force optimum of their own network."""
    rng = np.random.default_rng(11)
    for _ in range(100):
        networks, layers = int(rng.integers(2, 6)), int(rng.integers(1, 4))
        counts = rng.integers(1, 3, layers)
        sizes = rng.integers(1, 5, (networks, layers))
        network = np.repeat(np.repeat(np.arange(networks), layers), sizes.ravel())
        group = np.repeat(np.tile(np.arange(layers), networks), sizes.ravel())
        seconds, energy = rng.integers(1, 6, (2, len(group))).astype(float)
        shuffle = rng.permutation(len(group))
        network, group, seconds, energy = network[shuffle], group[shuffle], seconds[shuffle], energy[shuffle]
        together = choose_grouped(network, group, seconds, energy, counts, objective)
        assert together.shape == (networks, layers)
        for n in range(networks):
            mine = np.flatnonzero(network == n)
            alone = choose_grouped(np.zeros(len(mine)), group[mine], seconds[mine], energy[mine], counts, objective)
            assert together[n].tolist() == mine[alone[0]].tolist()
            assert (group[together[n]] == np.arange(layers)).all()
            candidates = [(seconds[mine][group[mine] == g], energy[mine][group[mine] == g]) for g in range(layers)]
            value = OBJECTIVES[objective](counts @ seconds[together[n]], counts @ energy[together[n]])
            assert value == pytest.approx(_brute_force(candidates, list(counts), objective), rel=1e-12)


@pytest.fixture(scope="module")
def nvdla_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nvdla.yaml with MAESTRO's per-step off-chip bound (`offchip_bound: step`), under which LeNet-10's layers trade
    latency against energy; under the library's `layer` bound most of them are traffic-bound (one front point)."""
    data = yaml.safe_load(accelerators("dataflow", "nvdla.yaml").read_text())
    data["offchip_bound"]["value"] = "step"
    path = tmp_path_factory.mktemp("accelerators") / "nvdla.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def nvdla(nvdla_file: Path):
    return load_accelerator(str(nvdla_file))


def test_search_front_is_the_pareto_set_of_the_feasible_space(nvdla) -> None:
    """LeNet-10 fc1 on NVDLA (121 mappings, enumerated): no feasible mapping beats a front point in both seconds
    and energy, every feasible mapping is matched or dominated by one, and the front is non-dominated."""
    layer = next(l for l in build("lenet10").layers() if l.name == "fc1")
    result = search(layer, nvdla, "edp")
    frame = evaluate_batch([layer] * result.space, nvdla, space(layer, nvdla))
    frame = frame[(frame["l1_bytes"] <= nvdla.l1_bytes) & (frame["l2_bytes"] <= nvdla.l2_bytes)]
    front = np.array([[float(c.seconds), float(c.energy_j)] for _, c in result.front])
    assert result.method == "exact" and len(front) >= 2 and all(fits(c, nvdla) for _, c in result.front)
    assert np.all(np.diff(front[:, 0]) > 0) and np.all(np.diff(front[:, 1]) < 0)
    for s, e in frame[["seconds", "energy_j"]].to_numpy():
        assert np.any((front[:, 0] <= s) & (front[:, 1] <= e))


def test_lenet_network_choice_equals_brute_force_over_the_fronts(nvdla) -> None:
    """Every combination of the LeNet-10 layers' Pareto fronts on NVDLA (non-MAC layers fixed): the chosen one has
    the least network EDP."""
    layers = list(build("lenet10").layers())
    keys = [(problem(l), l.elem_bytes) if has_mac_form(l) else l.name for l in layers]
    results = {k: search(l, nvdla, "edp") for l, k in zip(layers, keys)}
    counts = Counter(keys)
    fronts = [(np.array([float(c.seconds) for _, c in r.front]), np.array([float(c.energy_j) for _, c in r.front]))
              for r in results.values()]
    assert sum(len(s) > 1 for s, _ in fronts) >= 3
    picks = choose(fronts, [counts[k] for k in results], "edp")
    seconds = sum(counts[k] * s[i] for k, (s, _), i in zip(results, fronts, picks))
    energy = sum(counts[k] * e[i] for k, (_, e), i in zip(results, fronts, picks))
    assert seconds * energy == pytest.approx(_brute_force(fronts, [counts[k] for k in results], "edp"), rel=1e-12)


def _map(capsys: pytest.CaptureFixture, nvdla_file: Path, *args: str) -> dict:
    assert main(["map", "--workload", "lenet10", "--accelerator", str(nvdla_file), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_dse_map_network_scope(capsys: pytest.CaptureFixture, nvdla_file: Path) -> None:
    """Default scope for EDP is the network; its rows add up to its totals, and its network EDP is no worse than
    the per-layer choice's (here strictly better: fc2's per-layer EDP optimum is not the network's)."""
    out = _map(capsys, nvdla_file, "--objective", "edp")
    totals = out["totals"]
    assert out["scope"] == "network" and all(r["fits"] for r in out["layers"])
    assert sum(r["energy_j"] for r in out["layers"]) == pytest.approx(totals["network"]["energy_j"], rel=1e-12)
    assert totals["network"]["edp_js"] == pytest.approx(totals["network"]["seconds"] * totals["network"]["energy_j"])
    assert totals["network"]["edp_js"] < totals["layer"]["edp_js"] <= totals["default"]["edp_js"]
    layer_scope = _map(capsys, nvdla_file, "--objective", "edp", "--scope", "layer")
    assert layer_scope["totals"] == totals
    assert [r["mapping"] for r in layer_scope["layers"]] != [r["mapping"] for r in out["layers"]]


@pytest.mark.parametrize("objective,field", [("latency", "seconds"), ("energy", "energy_j")])
def test_dse_map_latency_and_energy_scopes_agree(capsys: pytest.CaptureFixture, nvdla_file: Path, objective: str,
                                                field: str) -> None:
    totals = _map(capsys, nvdla_file, "--objective", objective)["totals"]
    assert totals["network"][field] == pytest.approx(totals["layer"][field], rel=1e-12)
    assert totals["network"][field] <= totals["default"][field]
