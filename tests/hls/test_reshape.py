"""EF-Train intra-tile layout: hand-placed elements, round trips, and an FC on the reshaped buffer."""

import numpy as np
import pytest

from dse.hls import reference as ref
from dse.hls.reshape import (fc_in_words, fc_weights_from_dram, fc_weights_to_dram, features_from_dram,
                             features_to_dram, weights_from_dram, weights_to_dram)


def test_feature_layout_by_hand():
    # B=1, 3 channels, 2x2 map, T=2: group 0 = channels 0,1 in (row, col, channel) order, then group 1 = channel 2 + pad.
    x = np.arange(12, dtype=float).reshape(1, 3, 2, 2)
    flat = features_to_dram(x, 2, fill=-7)
    assert flat.tolist() == [0, 4, 1, 5, 2, 6, 3, 7, 8, -7, 9, -7, 10, -7, 11, -7]


def test_weight_layout_by_hand():
    # M=2, N=3, K=1, T=2: tile (0,0) = W[0:2,0:2] out-major, then tile (0,1) = W[0:2,2] with zero padding.
    W = np.arange(1, 7, dtype=float).reshape(2, 3, 1, 1)
    assert weights_to_dram(W, 2).tolist() == [1, 2, 4, 5, 3, 0, 6, 0]


@pytest.mark.parametrize("T", [1, 3, 4, 16])
def test_round_trips(T):
    rng = np.random.default_rng(T)
    x = rng.standard_normal((2, 5, 3, 4))
    assert np.array_equal(features_from_dram(features_to_dram(x, T), x.shape, T), x)
    W = rng.standard_normal((7, 5, 3, 3))
    assert np.array_equal(weights_from_dram(weights_to_dram(W, T), W.shape, T), W)
    Wfc = rng.standard_normal((4, 5 * 3 * 4))
    assert np.array_equal(fc_weights_from_dram(fc_weights_to_dram(Wfc, (5, 3, 4), T), 4, (5, 3, 4), T), Wfc)


def test_fc_on_reshaped_buffer_equals_logical_fc():
    """The kernel's FC reads the previous feature buffer flat; permuted weights must give the logical result."""
    rng = np.random.default_rng(9)
    T, shape = 4, (5, 3, 2)
    x = rng.standard_normal((2, *shape))
    W = rng.standard_normal((6, 30))
    flat = features_to_dram(x, T).reshape(2, fc_in_words(shape, T))
    wide = weights_from_dram(fc_weights_to_dram(W, shape, T), (6, fc_in_words(shape, T), 1, 1), T)[:, :, 0, 0]
    assert np.allclose(flat @ wide.T, ref.fc_fp(x, W))
