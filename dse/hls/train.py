"""SGD training of a generated project's network on synthetic data: the inputs the host program starts from, and
the numpy reference of the same steps (`dse.hls.reference` per layer, softmax cross-entropy loss, float64).

The network is the tiling record's layer chain as the kernel runs it: conv/FC -> optional ReLU -> optional
max-pool, an FC after a feature map reading it flat (C-H-W order in numpy, the padded channel-group buffer in
DRAM). The batch is fixed (EF-Train's small-batch training step repeated), so the loss must fall.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dse.hls import reference as ref
from dse.hls.golden import KernelLayer
from dse.hls.host import HostPlan
from dse.hls.reshape import (fc_weights_from_dram, fc_weights_to_dram, features_from_dram, features_to_dram,
                             weights_from_dram, weights_to_dram)

#: SGD learning rate of `dse hls run` (the host's TRAIN_LR).
LEARNING_RATE = 0.005
TRAIN_DIR = "train"


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


def synthetic(net: Net, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(images, labels, LeCun-normal float32 weights, std 1/sqrt(fan-in)) of a fixed random batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(net.input_shape()).astype(np.float32)
    labels = rng.integers(0, classes, net.batch).astype(np.int32)
    weights = []
    for i in range(len(net.layers)):
        shape = net.weight_shape(i)
        fan_in = int(np.prod(shape[1:]))
        weights.append((rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(np.float32))
    return x, labels, weights


def write_inputs(net: Net, plan: HostPlan, folder: Path, seed: int = 0) -> None:
    """x.bin, labels.bin (int32) and w.<layer>.bin in the kernel's DRAM layout, as the host program reads them."""
    x, labels, weights = synthetic(net, plan.classes, seed)
    folder.mkdir(parents=True, exist_ok=True)
    features_to_dram(x, net.T).astype(np.float32).tofile(folder / "x.bin")
    labels.tofile(folder / "labels.bin")
    for i, (layer, w) in enumerate(zip(net.layers, weights)):
        net.weights_to_dram(i, w).astype(np.float32).tofile(folder / f"w.{layer.name}.bin")


def read_inputs(net: Net, folder: Path) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Inverse of `write_inputs` (what the host program starts from)."""
    x = features_from_dram(np.fromfile(folder / "x.bin", np.float32), net.input_shape(), net.T)
    labels = np.fromfile(folder / "labels.bin", np.int32)
    weights = [net.weights_from_dram(i, np.fromfile(folder / f"w.{l.name}.bin", np.float32))
               for i, l in enumerate(net.layers)]
    return x, labels, weights


def read_step(net: Net, plan: HostPlan, path: Path) -> list[np.ndarray]:
    """The weights the host wrote after one step: every layer's DRAM buffer, in layer order."""
    flat = np.fromfile(path, np.float32)
    ends = np.cumsum(plan.weight_words())
    if len(flat) != ends[-1]:
        raise ValueError(f"{path}: {len(flat)} words, expected {ends[-1]}")
    return [net.weights_from_dram(i, part) for i, part in enumerate(np.split(flat, ends[:-1]))]


def softmax_xent(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean cross-entropy, its gradient) of (B, classes) scores."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    total = np.exp(shifted).sum(axis=1)
    p = np.exp(shifted) / total[:, None]
    rows = np.arange(len(labels))
    loss = (np.log(total) - shifted[rows, labels]).mean()
    p[rows, labels] -= 1.0
    return float(loss), p / len(labels)


def sgd_step(net: Net, x: np.ndarray, labels: np.ndarray, weights: list[np.ndarray], lr: float
             ) -> tuple[float, list[np.ndarray]]:
    """(loss before the step, weights after it): FP, loss, then BP and WU from the last layer down."""
    inputs, zs, indexes = [], [], []
    a = x.astype(np.float64)
    for layer, flat, w in zip(net.layers, net.flat_in, weights):
        inputs.append(a)
        z = ref.fc_fp(a, w)[:, :, None, None] if flat else ref.conv_fp(a, w, layer.S, layer.P)
        a, idx = ref.act_fp(z, bool(layer.relu), layer.pool)
        zs.append(z.shape[2:])
        indexes.append(idx)
    loss, dscores = softmax_xent(a[:, :, 0, 0], labels)
    dy, new = dscores[:, :, None, None], list(weights)
    for i in reversed(range(len(net.layers))):
        layer, flat, w, a = net.layers[i], net.flat_in[i], weights[i].astype(np.float64), inputs[i]
        dz = ref.act_bp(dy, indexes[i], layer.pool, zs[i])
        if flat:
            dw = ref.fc_wu(a, dz[:, :, 0, 0])
            dy = ref.fc_bp(dz[:, :, 0, 0], w, a.shape[1:]) if i else dy
        else:
            dw = ref.conv_wu(a, dz, layer.K, layer.S, layer.P)
            dy = ref.conv_bp(dz, w, layer.S, layer.P, a.shape[2:]) if i else dy  # EF-Train: no BP into the image
        new[i] = ref.sgd(w, dw, lr)
    return loss, new
