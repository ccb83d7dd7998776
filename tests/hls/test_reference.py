"""The numpy reference against hand calculations and central finite differences."""

import numpy as np
import pytest

from dse.hls import reference as ref


def test_conv_fp_by_hand():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    W = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    z = ref.conv_fp(x, W, S=2, P=0)
    # x[0,0]-x[1,1] = -5 everywhere for this ramp; stride 2 keeps 2 x 2 outputs.
    assert z.shape == (1, 1, 2, 2)
    assert np.array_equal(z, np.full((1, 1, 2, 2), -5.0))
    zp = ref.conv_fp(x, W, S=1, P=1)
    assert zp.shape == (1, 1, 5, 5)
    assert zp[0, 0, 0, 0] == -x[0, 0, 0, 0] and zp[0, 0, 4, 4] == x[0, 0, 3, 3]


def test_act_fp_index_and_relu_by_hand():
    z = np.array([[[[1.0, 3.0, -1.0, -2.0], [2.0, 0.5, -3.0, -0.5]]]])
    y, idx = ref.act_fp(z, relu=True, pool=2)
    assert y.tolist() == [[[[3.0, 0.0]]]]
    assert idx.tolist() == [[[[1, -1]]]]
    y, idx = ref.act_fp(z, relu=False, pool=2)
    assert y.tolist() == [[[[3.0, -0.5]]]] and idx.tolist() == [[[[1, 3]]]]
    dz = ref.act_bp(np.array([[[[7.0, 9.0]]]]), idx, 2, (2, 4))
    assert dz.tolist() == [[[[0, 7.0, 0, 0], [0, 0, 0, 9.0]]]]


def _numeric_grad(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = f()
        a[i] = old - eps
        grad[i] = (up - f()) / (2 * eps)
        a[i] = old
    return grad


@pytest.mark.parametrize("S,P,H", [(1, 1, 5), (2, 1, 6), (2, 0, 7), (3, 2, 5)])
def test_conv_bp_and_wu_match_finite_differences(S, P, H):
    rng = np.random.default_rng(S * 10 + P)
    x = rng.standard_normal((2, 3, H, H))
    W = rng.standard_normal((4, 3, 3, 3))
    G = rng.standard_normal(ref.conv_fp(x, W, S, P).shape)
    loss = lambda: float(np.sum(G * ref.conv_fp(x, W, S, P)))
    assert np.allclose(ref.conv_bp(G, W, S, P, (H, H)), _numeric_grad(loss, x), atol=1e-6)
    assert np.allclose(ref.conv_wu(x, G, 3, S, P), _numeric_grad(loss, W), atol=1e-6)


@pytest.mark.parametrize("relu,pool", [(True, 2), (False, 2), (True, 0), (True, 3)])
def test_act_bp_matches_finite_differences(relu, pool):
    rng = np.random.default_rng(pool)
    z = rng.standard_normal((2, 3, 6, 7))  # 7 columns: floor-mode pooling drops the tail
    y, idx = ref.act_fp(z, relu, pool)
    G = rng.standard_normal(y.shape)
    numeric = _numeric_grad(lambda: float(np.sum(G * ref.act_fp(z, relu, pool)[0])), z)
    assert np.allclose(ref.act_bp(G, idx, pool, z.shape[2:]), numeric, atol=1e-6)


def test_fc_matches_finite_differences_and_sgd():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 2, 2))
    W = rng.standard_normal((4, 8))
    G = rng.standard_normal((3, 4))
    loss = lambda: float(np.sum(G * ref.fc_fp(x, W)))
    assert np.allclose(ref.fc_bp(G, W, x.shape[1:]), _numeric_grad(loss, x), atol=1e-6)
    dW = ref.fc_wu(x, G)
    assert np.allclose(dW, _numeric_grad(loss, W), atol=1e-6)
    assert np.array_equal(ref.sgd(W, dW, 0.5), W - 0.5 * dW)


def test_bn_fp_by_hand():
    # One channel, values 1..4 over B=2 x 1 x 2: E = 2.5, E[X^2] = 7.5, V = 1.25.
    a = np.array([[[[1.0, 2.0]]], [[[3.0, 4.0]]]])
    out, hat, mean, istd = ref.bn_fp(a, np.array([2.0]), np.array([0.5]), eps=0.0)
    assert mean.tolist() == [2.5] and np.isclose(istd[0], 1 / np.sqrt(1.25))
    assert np.allclose(hat.ravel(), (np.arange(1, 5) - 2.5) / np.sqrt(1.25))
    assert np.allclose(out, 2.0 * hat + 0.5)
    # A constant channel has V = 0 exactly: hat = 0 and istd = 1/sqrt(eps).
    _, hat, _, istd = ref.bn_fp(np.full((2, 1, 2, 2), 3.0), np.ones(1), np.zeros(1))
    assert np.array_equal(hat, np.zeros_like(hat)) and np.isclose(istd[0], 1 / np.sqrt(ref.BN_EPS))


def test_bn_bp_matches_finite_differences_and_sgd():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 3, 4, 5)) * 2 + 1
    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    G = rng.standard_normal(a.shape)
    loss = lambda: float(np.sum(G * ref.bn_fp(a, gamma, beta)[0]))
    _, hat, _, istd = ref.bn_fp(a, gamma, beta)
    da, dgamma, dbeta = ref.bn_bp(G, hat, gamma, istd)
    assert np.allclose(da, _numeric_grad(loss, a), atol=1e-6)
    assert np.allclose(dgamma, _numeric_grad(loss, gamma), atol=1e-6)
    assert np.allclose(dbeta, _numeric_grad(loss, beta), atol=1e-6)
    assert np.allclose(dbeta, G.sum(axis=(0, 2, 3)))  # dbeta is the plain sum of the loss per channel
    assert np.array_equal(ref.sgd(gamma, dgamma, 0.1), gamma - 0.1 * dgamma)
