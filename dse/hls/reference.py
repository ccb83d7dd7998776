"""Numpy reference of what the HLS kernel computes, in float64, so the C simulation has an independent golden.

Layer block as the kernel runs it: conv (stride S, zero padding P) -> optional ReLU -> optional max-pool whose
stride equals its window (floor mode). FC is the same block with a 1x1 kernel on a 1x1 map. The pool index of
each pooled output is the argmax position inside its window (row-major, first maximum wins) or -1 when ReLU
zeroed the maximum; BP routes the loss through that one index, which carries both the pool routing and the ReLU
mask (the same convention the kernel stores). A layer with batch norm runs conv -> BN (training mode, batch
statistics) -> ReLU -> pool, as EF-Train places it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pad(x: np.ndarray, P: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))


def _windows(x: np.ndarray, K: int, S: int, R: int, C: int) -> np.ndarray:
    """(B, N, R, C, K, K) view of the K x K input windows of every output position."""
    return sliding_window_view(x, (K, K), axis=(2, 3))[:, :, : (R - 1) * S + 1: S, : (C - 1) * S + 1: S]


def conv_out_size(H: int, K: int, S: int, P: int) -> int:
    return (H + 2 * P - K) // S + 1


def conv_fp(x: np.ndarray, W: np.ndarray, S: int, P: int) -> np.ndarray:
    """z[b,m,r,c] = sum_{n,kr,kc} x_pad[b,n,S r+kr,S c+kc] W[m,n,kr,kc] (EF-Train FP)."""
    K = W.shape[2]
    R, C = conv_out_size(x.shape[2], K, S, P), conv_out_size(x.shape[3], K, S, P)
    return np.einsum("bnrcij,mnij->bmrc", _windows(_pad(x, P), K, S, R, C), W, optimize=True)


def conv_bp(dz: np.ndarray, W: np.ndarray, S: int, P: int, in_shape: tuple[int, int]) -> np.ndarray:
    """dL/dx of `conv_fp`: every output gradient scattered back over the input window it read."""
    B, _, R, C = dz.shape
    K = W.shape[2]
    H, Wd = in_shape
    dx = np.zeros((B, W.shape[1], H + 2 * P + S, Wd + 2 * P + S))
    for kr in range(K):
        for kc in range(K):
            dx[:, :, kr: kr + (R - 1) * S + 1: S, kc: kc + (C - 1) * S + 1: S] += \
                np.einsum("bmrc,mn->bnrc", dz, W[:, :, kr, kc], optimize=True)
    return dx[:, :, P: P + H, P: P + Wd]


def conv_wu(x: np.ndarray, dz: np.ndarray, K: int, S: int, P: int) -> np.ndarray:
    """dL/dW of `conv_fp`, summed over the mini-batch (EF-Train WU)."""
    R, C = dz.shape[2:]
    return np.einsum("bnrcij,bmrc->mnij", _windows(_pad(x, P), K, S, R, C), dz, optimize=True)


def sgd(W: np.ndarray, dW: np.ndarray, lr: float) -> np.ndarray:
    return W - lr * dW


def act_fp(z: np.ndarray, relu: bool, pool: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, index): optional ReLU then max-pool of window = stride `pool` (0: none); index as in the module doc."""
    w = max(pool, 1)
    B, M, R, C = z.shape
    Rp, Cp = R // w, C // w
    tiles = z[:, :, : Rp * w, : Cp * w].reshape(B, M, Rp, w, Cp, w).transpose(0, 1, 2, 4, 3, 5)
    tiles = tiles.reshape(B, M, Rp, Cp, w * w)
    index = np.argmax(tiles, axis=-1)
    y = np.take_along_axis(tiles, index[..., None], axis=-1)[..., 0]
    if relu:
        dead = y <= 0
        y = np.where(dead, 0.0, y)
        index = np.where(dead, -1, index)
    return y, index.astype(np.int8)


def act_bp(dy: np.ndarray, index: np.ndarray, pool: int, out_shape: tuple[int, int]) -> np.ndarray:
    """dL/dz of `act_fp`: each pooled gradient goes to its argmax position, none where the index is -1."""
    w = max(pool, 1)
    B, M, Rp, Cp = dy.shape
    dz = np.zeros((B, M, *out_shape))
    for k in range(w * w):
        dz[:, :, k // w: Rp * w: w, k % w: Cp * w: w] = np.where(index == k, dy, 0.0)
    return dz


def fc_fp(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """FC on the (B, N) flattening of x in C-H-W order."""
    return x.reshape(len(x), -1) @ W.T


def fc_bp(dz: np.ndarray, W: np.ndarray, in_shape: tuple[int, ...]) -> np.ndarray:
    return (dz @ W).reshape(len(dz), *in_shape)


def fc_wu(x: np.ndarray, dz: np.ndarray) -> np.ndarray:
    return dz.T @ x.reshape(len(x), -1)


#: BN's epsilon: PyTorch's `BatchNorm2d` default (EF-Train's VGG-16-BN is the torchvision model).
BN_EPS = 1e-5


def bn_fp(a: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = BN_EPS
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode BN as EF-Train computes it (Lu et al. SiPS'20): E[X] and E[X^2] per channel over B x R x C,
    V = E[X^2] - E[X]^2 (clamped at 0 against rounding), istd = 1/sqrt(V + eps), hat = (A - E) istd.
    Returns (hat * gamma + beta, hat, mean, istd)."""
    mean = a.mean(axis=(0, 2, 3))
    var = np.maximum((a * a).mean(axis=(0, 2, 3)) - mean ** 2, 0.0)
    istd = 1.0 / np.sqrt(var + eps)
    hat = (a - mean[:, None, None]) * istd[:, None, None]
    return hat * gamma[:, None, None] + beta[:, None, None], hat, mean, istd


def bn_bp(dout: np.ndarray, hat: np.ndarray, gamma: np.ndarray, istd: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dL/dA, dgamma, dbeta) of `bn_fp` from dL/d(out): dgamma = sum L hat, dbeta = sum L,
    dL/dA = gamma istd (L - dbeta/n - hat dgamma/n) with n = B R C."""
    n = dout.size // dout.shape[1]
    dgamma = (dout * hat).sum(axis=(0, 2, 3))
    dbeta = dout.sum(axis=(0, 2, 3))
    da = (gamma * istd)[:, None, None] * (dout - dbeta[:, None, None] / n - hat * dgamma[:, None, None] / n)
    return da, dgamma, dbeta
