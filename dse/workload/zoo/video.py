"""Temporal action localization: the W-TALC head on I3D snippet features, with optional on-device I3D (papers.md 5.3).

W-TALC (Paul et al., ECCV 2018; `wtalc-pytorch` defaults): T snippets of 2048-D features (I3D RGB and flow, 1024-D
each, one per 16 frames) -> FC 2048->2048 + ReLU (+ dropout 0.7, free) -> FC 2048->C, the class-activation sequence
(CAS, T x C) -> top-k MIL pooling over time with k = ceil(T/8) -> video-level class scores. The MIL and co-activity
losses are not layers.

Top-k pooling is two ops. `topk_select` keeps the k largest CAS values per class; a linear-time selection
(quickselect or radix select) touches each snippet a small constant number of times, counted here as one comparison
per snippet: it is written as a 1x8 max pool with stride 8, padded so that it has exactly k outputs, which has the
same input, the same output size (k) and T + pad comparisons (it is not a local max). `topk_mean` averages the k.

I3D (Carreira & Zisserman 2017, Inception-v1 inflated, TF "SAME" padding) on 16-frame 224x224 snippets: the Layer
record has no time axis, so a 3D conv (kt x k x k, temporal stride st) is a 2D conv whose input channels hold the kt
temporal taps (C' = C*kt) and whose batch holds the output frames (N' = N*T_out): exact in MACs, weights and output
size. Its input is an explicit `_unfold` reshape (temporal im2col) whose output is kt/st times the frames it reads;
that is the input-traffic over-count of this representation. 3D pools are separable (max and mean both are): a 2D
pool on every frame, then a pool over the kt taps of the unfolded tensor. Optical flow (TV-L1) is not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dse.workload.builder import Builder
from dse.workload.layer import Layer, Op

if TYPE_CHECKING:
    from dse.workload.graph import Workload

FEATURE = 2048
SNIPPET_FRAMES = 16
FRAME_SIZE = 224
MIL_FRACTION = 8  # k = ceil(T / 8)

#: Inception-v1 modules (name, branch0 1x1, branch1 1x1 -> 3x3x3, branch2 1x1 -> 3x3x3, branch3 pool -> 1x1),
#: with the pool that precedes a group of modules: (kt, k, stride_t, stride).
I3D_STAGES = [
    ("MaxPool3d_3a", (1, 3, 1, 2), [("Mixed_3b", 64, (96, 128), (16, 32), 32),
                                    ("Mixed_3c", 128, (128, 192), (32, 96), 64)]),
    ("MaxPool3d_4a", (3, 3, 2, 2), [("Mixed_4b", 192, (96, 208), (16, 48), 64),
                                    ("Mixed_4c", 160, (112, 224), (24, 64), 64),
                                    ("Mixed_4d", 128, (128, 256), (24, 64), 64),
                                    ("Mixed_4e", 112, (144, 288), (32, 64), 64),
                                    ("Mixed_4f", 256, (160, 320), (32, 128), 128)]),
    ("MaxPool3d_5a", (2, 2, 2, 2), [("Mixed_5b", 256, (160, 320), (32, 128), 128),
                                    ("Mixed_5c", 384, (192, 384), (48, 128), 128)]),
]


@dataclass(frozen=True)
class Clip:
    """A video tensor per snippet: channels C over T frames of H x W, produced by layer `name`."""

    name: str
    C: int
    T: int
    H: int
    W: int


class I3D:
    """Writes one I3D stream into a workload, tracking the (C, T, H, W) shape the Layer record cannot hold."""

    def __init__(self, workload: Workload, snippets: int, prefix: str, elem_bytes: int) -> None:
        self.workload, self.snippets, self.prefix, self.elem_bytes = workload, snippets, prefix, elem_bytes

    def _add(self, srcs: list[Clip], **fields) -> str:
        """Add a layer fed by `srcs` (the stream's input clip has no producer). The backbone is frozen."""
        name = f"{self.prefix}{fields.pop('name')}"
        layer = Layer(name=name, elem_bytes=self.elem_bytes, trainable=False, **fields)
        self.workload.add_layer(layer, [s.name for s in srcs if s.name])
        return name

    def _unfold(self, name: str, x: Clip, kt: int, t_out: int) -> str:
        """Temporal im2col: per output frame, the kt input frames it reads (zero-padded at the ends)."""
        return self._add([x], name=f"{name}_unfold", op=Op.RESHAPE, N=self.snippets, C=x.C * x.T, Y=x.H, X=x.W,
                         K=x.C * kt * t_out)

    def unit(self, name: str, x: Clip, K: int, kt: int, k: int, stride_t: int = 1, stride: int = 1) -> Clip:
        """Conv3d (no bias) + batch norm + ReLU, I3D's Unit3D."""
        t_out = math.ceil(x.T / stride_t)
        src = x
        if kt > 1 or stride_t > 1:
            src = Clip(self._unfold(name, x, kt, t_out), x.C * kt, t_out, x.H, x.W)
        frames = self.snippets * t_out
        conv = self._add([src], name=name, op=Op.CONV, N=frames, C=src.C, Y=x.H, X=x.W, K=K, R=k, S=k,
                         stride_y=stride, stride_x=stride, pad_y=(k - 1) // 2, pad_x=(k - 1) // 2, bias=False)
        layer = self.workload.layer(conv)
        y = Clip(conv, K, t_out, layer.Y_out, layer.X_out)
        dims = dict(N=frames, C=K, K=K, Y=y.H, X=y.W)
        y = replace(y, name=self._add([y], name=f"{name}_bn", op=Op.BATCHNORM, **dims))
        return replace(y, name=self._add([y], name=f"{name}_relu", op=Op.ACTIVATION, function="relu", **dims))

    def pool(self, name: str, x: Clip, kt: int, k: int, stride_t: int, stride: int, kind: str = "max",
             pad: bool = True) -> Clip:
        """A kt x k x k pool: 2D over every frame, then over the kt taps of each output frame."""
        op = {"max": Op.MAXPOOL, "avg": Op.AVGPOOL}[kind]
        if k > 1:
            p = (k - 1) // 2 if pad else 0
            spatial = self._add([x], name=f"{name}_spatial" if kt > 1 else name, op=op, N=self.snippets * x.T,
                                C=x.C, K=x.C, Y=x.H, X=x.W, R=k, S=k, stride_y=stride, stride_x=stride, pad_y=p,
                                pad_x=p)
            layer = self.workload.layer(spatial)
            x = Clip(spatial, x.C, x.T, layer.Y_out, layer.X_out)
        if kt == 1:
            return x
        t_out = math.ceil(x.T / stride_t) if pad else x.T - kt + 1
        unfold = self._unfold(name, x, kt, t_out)
        temporal = self._add([Clip(unfold, x.C * kt, t_out, x.H, x.W)], name=f"{name}_temporal" if k > 1 else name,
                             op=op, N=self.snippets * t_out, C=x.C, K=x.C, Y=kt, X=x.H * x.W, R=kt, S=1,
                             stride_y=kt)
        return Clip(temporal, x.C, t_out, x.H, x.W)

    def mixed(self, name: str, x: Clip, b0: int, b1: tuple[int, int], b2: tuple[int, int], b3: int) -> Clip:
        """An inflated Inception module: four branches concatenated on channels."""
        branches = [
            self.unit(f"{name}_b0", x, b0, 1, 1),
            self.unit(f"{name}_b1b", self.unit(f"{name}_b1a", x, b1[0], 1, 1), b1[1], 3, 3),
            self.unit(f"{name}_b2b", self.unit(f"{name}_b2a", x, b2[0], 1, 1), b2[1], 3, 3),
            self.unit(f"{name}_b3b", self.pool(f"{name}_b3a", x, 3, 3, 1, 1), b3, 1, 1),
        ]
        channels = sum(b.C for b in branches)
        concat = self._add(branches, name=name, op=Op.CONCAT, N=self.snippets * x.T, C=channels, K=channels,
                           Y=x.H, X=x.W)
        return Clip(concat, channels, x.T, x.H, x.W)

    def stream(self, in_channels: int, frames: int = SNIPPET_FRAMES) -> Clip:
        """Conv3d_1a ... Mixed_5c and the final average pool: one 1024-D feature per snippet of `frames` frames."""
        x = Clip("", in_channels, frames, FRAME_SIZE, FRAME_SIZE)
        x = self.unit("Conv3d_1a", x, 64, 7, 7, stride_t=2, stride=2)
        x = self.pool("MaxPool3d_2a", x, 1, 3, 1, 2)
        x = self.unit("Conv3d_2b", x, 64, 1, 1)
        x = self.unit("Conv3d_2c", x, 192, 3, 3)
        for pool_name, (kt, k, stride_t, stride), modules in I3D_STAGES:
            x = self.pool(pool_name, x, kt, k, stride_t, stride)
            for name, *branches in modules:
                x = self.mixed(name, x, *branches)
        return self.pool("AvgPool", x, x.T, x.H, 1, 1, kind="avg", pad=False)


def _features(b: Builder, snippets_per_video: int) -> str:
    """On-device feature extraction: I3D RGB and flow streams, concatenated to 2048-D per snippet."""
    snippets = b.batch * snippets_per_video
    rgb = I3D(b.workload, snippets, "i3d_rgb_", b.elem_bytes).stream(3)
    flow = I3D(b.workload, snippets, "i3d_flow_", b.elem_bytes).stream(2)
    layer = Layer(name="features", op=Op.CONCAT, N=b.batch, C=rgb.C + flow.C, K=rgb.C + flow.C,
                  X=snippets_per_video, elem_bytes=b.elem_bytes)
    b.workload.add_layer(layer, [rgb.name, flow.name])
    b.last = layer.name
    return layer.name


def _topk_pool(b: Builder, name: str, src: str, k: int) -> str:
    """Top-k selection over time (a padded 1x8/8 max pool with k outputs, see module docstring), then its mean."""
    C, _, T = b.shape(src)
    pad = math.ceil((MIL_FRACTION * k - T) / 2)
    select = Layer(name=f"{name}_select", op=Op.MAXPOOL, N=b.batch, C=C, K=C, X=T, S=MIL_FRACTION,
                   stride_x=MIL_FRACTION, pad_x=pad, elem_bytes=b.elem_bytes)
    b.workload.add_layer(select, [src])
    b.last = select.name
    return b.global_pool(f"{name}_mean")


def wtalc(batch: int = 10, seq_len: int = 750, num_classes: int = 20, with_i3d: bool = False) -> Workload:
    """W-TALC weakly-supervised TAL head (Paul et al. 2018) on T=seq_len I3D snippet features; THUMOS14, 20 classes."""
    b = Builder("wtalc_i3d" if with_i3d else "wtalc", batch, (FEATURE, 1, seq_len))
    if with_i3d:
        _features(b, seq_len)
    b.fc("fc_embed", FEATURE, tokens=True)
    b.act("fc_embed_relu")
    cas = b.fc("fc_cas", num_classes, tokens=True)
    _topk_pool(b, "topk", cas, math.ceil(seq_len / MIL_FRACTION))
    return b.build()


def wtalc_i3d(batch: int = 10, seq_len: int = 750, num_classes: int = 20) -> Workload:
    """W-TALC with on-device I3D RGB + flow feature extraction (Carreira & Zisserman 2017) on 16-frame snippets."""
    return wtalc(batch, seq_len, num_classes, with_i3d=True)


MODELS = {"wtalc": wtalc, "wtalc_i3d": wtalc_i3d}
