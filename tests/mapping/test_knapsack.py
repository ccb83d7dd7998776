"""The weight-pinning knapsack is optimal: brute force over every subset of small random cases."""

import itertools

import numpy as np
import pytest

from dse.mapping.knapsack import knapsack


@pytest.mark.parametrize("seed", range(30))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 60, size=int(rng.integers(1, 11))).tolist()
    capacity = int(rng.integers(0, sum(weights) + 5))
    chosen = knapsack(weights, capacity, unit_bytes=1)
    best = max(sum(c) for r in range(len(weights) + 1) for c in itertools.combinations(weights, r)
               if sum(c) <= capacity)
    assert sum(weights[i] for i in chosen) == best
    assert len(set(chosen)) == len(chosen)


def test_rounding_up_never_overfills():
    # 5000 B rounds up to 2 units of 4096 B; 12000 B is 2 whole units, so one item fits though 2 x 5000 < 12000
    assert len(knapsack([5000, 5000, 5000], 12_000, unit_bytes=4096)) == 1
    assert len(knapsack([5000, 5000, 5000], 16_384, unit_bytes=4096)) == 2


def test_everything_fits():
    assert knapsack([1.0, 2.0, 3.0], 1e9) == [0, 1, 2]
