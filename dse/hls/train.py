"""SGD training of a generated project's network on synthetic data: the inputs the host program starts from, and
the numpy reference of the same steps (`dse.hls.reference` per layer, softmax cross-entropy loss, float64).

The network is the tiling record's layer chain as the kernel runs it: conv/FC -> optional batch norm (training
mode, gamma and beta trained by SGD too) -> optional ReLU -> optional max-pool, an FC after a feature map reading
it flat (C-H-W order in numpy, the padded channel-group buffer in DRAM). The batch is fixed (EF-Train's
small-batch training step repeated), so the loss must fall.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dse.hls import reference as ref
from dse.hls.golden import BN_VECTORS, KernelLayer
from dse.hls.host import HostPlan
from dse.hls.reshape import (fc_weights_from_dram, fc_weights_to_dram, features_from_dram, features_to_dram,
                             padded, weights_from_dram, weights_to_dram)

#: SGD learning rate of `dse hls run` (the host's TRAIN_LR).
LEARNING_RATE = 0.005
TRAIN_DIR = "train"


@dataclass(frozen=True)
class Params:
    """What SGD trains: each layer's weights, and (gamma, beta) of each batch-norm layer (None elsewhere)."""

    weights: list[np.ndarray]
    bn: list[tuple[np.ndarray, np.ndarray] | None]

    def named(self, net: "Net") -> list[tuple[str, np.ndarray]]:
        """(name, array) of every trained tensor, for comparisons."""
        out = [(l.name, w) for l, w in zip(net.layers, self.weights)]
        for l, p in zip(net.layers, self.bn):
            if p is not None:
                out += [(f"{l.name}.gamma", p[0]), (f"{l.name}.beta", p[1])]
        return out


@dataclass(frozen=True)
class Net:
    """The kernel layers with, per layer, the C-H-W map an FC reads flat (None for a conv or an FC on a 1x1 map)."""

    layers: tuple[KernelLayer, ...]
    flat_in: tuple[tuple[int, int, int] | None, ...]
    T: int
    batch: int

    @classmethod
    def of(cls, layers: list[KernelLayer], T: int, batch: int) -> "Net":
        flat: list[tuple[int, int, int] | None] = [None]
        for prev, layer in zip(layers, layers[1:]):
            w = max(prev.pool, 1)
            shape = (prev.M, prev.R // w, prev.C // w)
            flat.append(shape if (layer.H, layer.W) == (1, 1) and shape[1] * shape[2] > 1 else None)
        return cls(tuple(layers), tuple(flat), T, batch)

    def input_shape(self) -> tuple[int, int, int, int]:
        first = self.layers[0]
        return self.batch, first.N, first.H, first.W

    def weight_shape(self, i: int) -> tuple[int, ...]:
        l, flat = self.layers[i], self.flat_in[i]
        return (l.M, int(np.prod(flat))) if flat else (l.M, l.N, l.K, l.K)

    def weights_to_dram(self, i: int, w: np.ndarray) -> np.ndarray:
        flat = self.flat_in[i]
        return fc_weights_to_dram(w, flat, self.T) if flat else weights_to_dram(w, self.T)

    def weights_from_dram(self, i: int, buf: np.ndarray) -> np.ndarray:
        flat = self.flat_in[i]
        if flat:
            return fc_weights_from_dram(buf, self.layers[i].M, flat, self.T)
        return weights_from_dram(buf, self.weight_shape(i), self.T)


    def bnp_to_dram(self, i: int, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """The kernel's BN parameter block of layer i: every vector padded to whole channel groups, gamma and beta
        set (pad channels 0, so their outputs and gradients stay 0), the rest 0 until the kernel writes it."""
        block = np.zeros((len(BN_VECTORS), padded(self.layers[i].M, self.T)), np.float32)
        block[BN_VECTORS.index("gamma"), :len(gamma)] = gamma
        block[BN_VECTORS.index("beta"), :len(beta)] = beta
        return block.ravel()

    def bnp_from_dram(self, i: int, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        block = np.asarray(buf).reshape(len(BN_VECTORS), -1)[:, :self.layers[i].M]
        return block[BN_VECTORS.index("gamma")], block[BN_VECTORS.index("beta")]


def synthetic(net: Net, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Params]:
    """(images, labels, parameters) of a fixed random batch: LeCun-normal float32 weights (std 1/sqrt(fan-in)),
    BN gamma = 1 and beta = 0."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(net.input_shape()).astype(np.float32)
    labels = rng.integers(0, classes, net.batch).astype(np.int32)
    weights = []
    for i in range(len(net.layers)):
        shape = net.weight_shape(i)
        fan_in = int(np.prod(shape[1:]))
        weights.append((rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(np.float32))
    bn = [(np.ones(l.M, np.float32), np.zeros(l.M, np.float32)) if l.bn else None for l in net.layers]
    return x, labels, Params(weights, bn)


def write_inputs(net: Net, classes: int, folder: Path, seed: int = 0) -> None:
    """x.bin, labels.bin (int32), w.<layer>.bin and bnp.<layer>.bin in the kernel's DRAM layout, as the host
    program reads them."""
    x, labels, params = synthetic(net, classes, seed)
    folder.mkdir(parents=True, exist_ok=True)
    features_to_dram(x, net.T).astype(np.float32).tofile(folder / "x.bin")
    labels.tofile(folder / "labels.bin")
    for i, (layer, w, bn) in enumerate(zip(net.layers, params.weights, params.bn)):
        net.weights_to_dram(i, w).astype(np.float32).tofile(folder / f"w.{layer.name}.bin")
        if bn is not None:
            net.bnp_to_dram(i, *bn).tofile(folder / f"bnp.{layer.name}.bin")


def read_inputs(net: Net, folder: Path) -> tuple[np.ndarray, np.ndarray, Params]:
    """Inverse of `write_inputs` (what the host program starts from)."""
    x = features_from_dram(np.fromfile(folder / "x.bin", np.float32), net.input_shape(), net.T)
    labels = np.fromfile(folder / "labels.bin", np.int32)
    weights = [net.weights_from_dram(i, np.fromfile(folder / f"w.{l.name}.bin", np.float32))
               for i, l in enumerate(net.layers)]
    bn = [net.bnp_from_dram(i, np.fromfile(folder / f"bnp.{l.name}.bin", np.float32)) if l.bn else None
          for i, l in enumerate(net.layers)]
    return x, labels, Params(weights, bn)


def read_step(net: Net, plan: HostPlan, path: Path) -> Params:
    """The parameters the host wrote after one step: every layer's weight buffer in layer order, then every BN
    layer's parameter block."""
    flat = np.fromfile(path, np.float32)
    ends = np.cumsum(plan.weight_words())
    if len(flat) != ends[-1]:
        raise ValueError(f"{path}: {len(flat)} words, expected {ends[-1]}")
    parts = np.split(flat, ends[:-1])
    weights = [net.weights_from_dram(i, part) for i, part in enumerate(parts[:len(net.layers)])]
    blocks = iter(parts[len(net.layers):])
    bn = [net.bnp_from_dram(i, next(blocks)) if l.bn else None for i, l in enumerate(net.layers)]
    return Params(weights, bn)


def softmax_xent(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean cross-entropy, its gradient) of (B, classes) scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    total = np.exp(shifted).sum(axis=1)
    p = np.exp(shifted) / total[:, None]
    rows = np.arange(len(labels))
    loss = (np.log(total) - shifted[rows, labels]).mean()
    p[rows, labels] -= 1.0
    return float(loss), p / len(labels)


def sgd_step(net: Net, x: np.ndarray, labels: np.ndarray, params: Params, lr: float) -> tuple[float, Params]:
    """(loss before the step, parameters after it): FP, loss, then BP and WU from the last layer down."""
    inputs, zs, indexes, norms = [], [], [], []
    a = x.astype(np.float64)
    for layer, flat, w, bn in zip(net.layers, net.flat_in, params.weights, params.bn):
        inputs.append(a)
        z = ref.fc_fp(a, w)[:, :, None, None] if flat else ref.conv_fp(a, w, layer.S, layer.P)
        if bn is not None:
            z, hat, _, istd = ref.bn_fp(z, bn[0], bn[1])
            norms.append((hat, istd))
        else:
            norms.append(None)
        a, idx = ref.act_fp(z, bool(layer.relu), layer.pool)
        zs.append(z.shape[2:])
        indexes.append(idx)
    loss, dscores = softmax_xent(a[:, :, 0, 0], labels)
    dy, weights, bns = dscores[:, :, None, None], list(params.weights), list(params.bn)
    for i in reversed(range(len(net.layers))):
        layer, flat, w, a = net.layers[i], net.flat_in[i], params.weights[i].astype(np.float64), inputs[i]
        dz = ref.act_bp(dy, indexes[i], layer.pool, zs[i])
        if norms[i] is not None:
            gamma, beta = params.bn[i]
            dz, dgamma, dbeta = ref.bn_bp(dz, norms[i][0], gamma, norms[i][1])
            bns[i] = (ref.sgd(gamma, dgamma, lr), ref.sgd(beta, dbeta, lr))
        if flat:
            dw = ref.fc_wu(a, dz[:, :, 0, 0])
            dy = ref.fc_bp(dz[:, :, 0, 0], w, a.shape[1:]) if i else dy
        else:
            dw = ref.conv_wu(a, dz, layer.K, layer.S, layer.P)
            dy = ref.conv_bp(dz, w, layer.S, layer.P, a.shape[2:]) if i else dy  # EF-Train: no BP into the image
        weights[i] = ref.sgd(w, dw, lr)
    return loss, Params(weights, bns)
