"""The small layer set the generated testbench runs, and its golden data from the numpy reference.

The set exercises every path of the kernel on tiny maps: a 3x3 conv with ReLU and a 2x2 max-pool whose row tiles
straddle pool windows, a stride-2 conv with ReLU only, and an FC without either; channel counts are one or two
more than T so every layer has a partial channel tile, and M_on = T leaves several weight groups. Each layer's
FP input is the previous layer's golden output, so the FC reads a real pooled-and-flattened feature buffer.
When the record has a batch-norm layer, both convs carry BN (conv -> BN -> ReLU -> pool), so BN runs with and without
a pool and over a partial channel group; a record without BN gets a kernel and a testbench without BN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dse.errors import InputError
from dse.hls import reference as ref
from dse.hls.reshape import (fc_in_words, fc_weights_to_dram, features_to_dram, padded, weights_to_dram)

#: Files the testbench reads per layer: (suffix, dtype).
TENSORS = (("x", np.float32), ("w", np.float32), ("y", np.float32), ("idx", np.int8), ("dy", np.float32),
           ("dx", np.float32), ("w_new", np.float32))
#: Extra files of a BN layer: conv output A, normalized A-hat, dL/dA, and the per-channel parameter block.
BN_TENSORS = (("a", np.float32), ("hat", np.float32), ("da", np.float32), ("bnp", np.float32))
#: The per-channel vectors of a BN parameter block, in DRAM order, each padded to whole channel groups.
BN_VECTORS = ("gamma", "beta", "mean", "istd", "dgamma", "dbeta", "gamma_new", "beta_new")
BATCH = 2
LEARNING_RATE = 0.01


@dataclass(frozen=True)
class KernelLayer:
    """One layer in the kernel's terms: H x W input map, R x C conv output, N as the kernel sees it (an FC reads
    the previous feature buffer, padding included), and the row tiles for FP/WU (Tr) and BP (Tr_bp)."""

    name: str
    M: int
    N: int
    H: int
    W: int
    R: int
    C: int
    K: int
    S: int
    P: int
    Tr: int
    Tr_bp: int
    M_on: int
    relu: int
    pool: int
    bn: int


@dataclass(frozen=True)
class Buffers:
    """Per-bank words of one buffer half (what the kernel header declares)."""

    ifm: int
    ofm: int
    wei: int
    pool_line: int

    def fp_rows(self, K: int, S: int, C: int, cap: int) -> int:
        """Most FP/WU output rows (<= cap) whose input and output tiles fit; 0 if none."""
        cols = (C - 1) * S + K  # both needs grow with tr, so the bound is closed-form (a record's R may be 2**31)
        return max(0, min(cap, (self.ifm // cols - K) // S + 1, self.ofm // C))

    def bp_rows(self, K: int, W: int, cap: int) -> int:
        """Most BP output rows (<= cap) whose dilated loss tile and output tile fit; 0 if none."""
        return max(0, min(cap, self.ifm // (W + K - 1) - K + 1, self.ofm // W))  # closed form, as fp_rows


def layer_set(T: int, buffers: Buffers, where: str, bn: bool) -> list[KernelLayer]:
    """The test layers for a T x T array, tiled to fit `buffers` (InputError if they cannot); `bn`: the convs
    carry batch norm."""
    c1, c2 = T + 2, T + 1
    shapes = [("conv1", c1, 3, 12, 3, 1, 1, 1, 2), ("conv2", c2, c1, 6, 3, 2, 1, 1, 0)]
    layers = []
    for name, M, N, H, K, S, P, relu, pool in shapes:
        R = ref.conv_out_size(H, K, S, P)
        layers.append(_tiled(where, buffers, T, name, M, N, H, H, R, K, S, P, relu, pool, int(bn)))
    fc_in = fc_in_words((c2, layers[-1].R, layers[-1].C), T)
    layers.append(_tiled(where, buffers, T, "fc3", 10, fc_in, 1, 1, 1, 1, 1, 0, 0, 0, 0))
    return layers


def _tiled(where: str, buffers: Buffers, T: int, name: str, M: int, N: int, H: int, W: int, R: int, K: int, S: int,
           P: int, relu: int, pool: int, bn: int) -> KernelLayer:
    """Row tiles a little over half the map, so most layers run a full and a partial tile."""
    Tr = buffers.fp_rows(K, S, R, R // 2 + 1)
    Tr_bp = buffers.bp_rows(K, W, H // 2 + 1)
    if not (Tr and Tr_bp and R // max(pool, 1) <= buffers.pool_line):
        raise InputError(f"{where}: field buffers are too small for the testbench layer {name} "
                         f"(M={M}, N={N}, {H}x{W}, K={K})")
    return KernelLayer(name, M, N, H, W, R, R, K, S, P, Tr, Tr_bp, T, relu, pool, bn)


def write(layers: list[KernelLayer], T: int, folder: Path, seed: int = 0) -> None:
    """Random inputs, the reference's FP/BP/WU outputs, all in the kernel's DRAM layout, one file per tensor."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    x = rng.standard_normal((BATCH, layers[0].N, layers[0].H, layers[0].W)).astype(np.float32)
    for layer in layers:
        fc = (layer.H, layer.W) != x.shape[2:]  # the kernel reads the previous feature buffer as one flat vector
        fan_in = int(np.prod(x.shape[1:])) if fc else layer.N * layer.K ** 2
        shape = (layer.M, fan_in) if fc else (layer.M, layer.N, layer.K, layer.K)
        w = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
        xd, wd = x.astype(np.float64), w.astype(np.float64)
        z = ref.fc_fp(xd, wd)[:, :, None, None] if fc else ref.conv_fp(xd, wd, layer.S, layer.P)
        if layer.bn:
            bn = _bn_fp(rng, z.astype(np.float32), T)
            z = bn["out"]
        y, idx = ref.act_fp(z, bool(layer.relu), layer.pool)
        y, idx = y[:, :layer.M], idx[:, :layer.M]  # BN ran on whole channel groups
        dy = rng.standard_normal(y.shape).astype(np.float32)
        dz = ref.act_bp(dy.astype(np.float64), idx, layer.pool, z.shape[2:])
        if layer.bn:
            dz = _bn_bp(bn, dz, layer.M, T)
        if fc:
            dx = ref.fc_bp(dz[:, :, 0, 0], wd, x.shape[1:])
            w_new = ref.sgd(wd, ref.fc_wu(xd, dz[:, :, 0, 0]), LEARNING_RATE)
            pack = lambda a: fc_weights_to_dram(a.astype(np.float32), x.shape[1:], T)
        else:
            dx = ref.conv_bp(dz, wd, layer.S, layer.P, x.shape[2:])
            w_new = ref.sgd(wd, ref.conv_wu(xd, dz, layer.K, layer.S, layer.P), LEARNING_RATE)
            pack = lambda a: weights_to_dram(a.astype(np.float32), T)
        data = {"x": features_to_dram(x, T), "w": pack(w), "y": features_to_dram(y.astype(np.float32), T),
                "idx": features_to_dram(idx, T, fill=-1 if layer.relu else 0),
                "dy": features_to_dram(dy, T), "dx": features_to_dram(dx.astype(np.float32), T), "w_new": pack(w_new)}
        if layer.bn:
            data.update({k: features_to_dram(bn[k].astype(np.float32), T) for k in ("a", "hat", "da")},
                        bnp=np.concatenate([bn[v] for v in BN_VECTORS]))
        for suffix, dtype in TENSORS + (BN_TENSORS if layer.bn else ()):
            data[suffix].astype(dtype).tofile(folder / f"{layer.name}.{suffix}.bin")
        x = y.astype(np.float32)


def _channel_groups(a: np.ndarray, T: int) -> np.ndarray:
    """`a` with its channel axis (axis 1, or the only axis) zero-padded to whole groups of T, as the kernel sees it."""
    axis = min(a.ndim - 1, 1)
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, padded(a.shape[axis], T) - a.shape[axis])
    return np.pad(a, widths)


def _bn_fp(rng: np.random.Generator, a: np.ndarray, T: int) -> dict[str, np.ndarray]:
    """Random gamma/beta and the reference BN forward of the float32 conv output `a` over whole channel groups
    (zero pad channels keep gamma = beta = 0, so their outputs and gradients are 0 as in the kernel)."""
    M = a.shape[1]
    gamma = _channel_groups(rng.uniform(0.5, 1.5, M), T)
    beta = _channel_groups(0.5 * rng.standard_normal(M), T)
    out, hat, mean, istd = ref.bn_fp(_channel_groups(a, T).astype(np.float64), gamma, beta)
    return {"a": a, "gamma": gamma, "beta": beta, "out": out, "hat": hat, "mean": mean, "istd": istd}


def _bn_bp(bn: dict[str, np.ndarray], dout: np.ndarray, M: int, T: int) -> np.ndarray:
    """Adds the BN backward and the SGD step of gamma and beta to `bn`; returns dL/dA of the M real channels."""
    da, dgamma, dbeta = ref.bn_bp(_channel_groups(dout, T), bn["hat"].astype(np.float32).astype(np.float64),
                                  bn["gamma"], bn["istd"])
    bn.update(da=da[:, :M], hat=bn["hat"][:, :M], dgamma=dgamma, dbeta=dbeta,
              gamma_new=ref.sgd(bn["gamma"], dgamma, LEARNING_RATE), beta_new=ref.sgd(bn["beta"], dbeta, LEARNING_RATE))
    return bn["da"]


def words(layer: KernelLayer, T: int, batch: int = BATCH) -> dict[str, int]:
    """Elements of each tensor of `layer` in DRAM for `batch` images (testbench file sizes, m_axi depths)."""
    w = max(layer.pool, 1)
    out = batch * padded(layer.M, T) * (layer.R // w) * (layer.C // w)
    feat_in = batch * padded(layer.N, T) * layer.H * layer.W
    weights = padded(layer.M, T) * padded(layer.N, T) * layer.K ** 2
    conv_out = batch * padded(layer.M, T) * layer.R * layer.C if layer.bn else 0
    return {"x": feat_in, "w": weights, "y": out, "idx": out, "dy": out, "dx": feat_in, "w_new": weights,
            "a": conv_out, "hat": conv_out, "da": conv_out, "bnp": len(BN_VECTORS) * padded(layer.M, T) * layer.bn}
