"""The Eyeriss chip's row-stationary (RS) processing passes, priced for many foldings of a layer at once.

Why a model of its own: the MAESTRO-style model (dse.cost.dataflow) keeps filters and whole input rows in L2 and
charges every tensor against one NoC, so it cannot tell why the chip runs wide VGG-16 layers at 6 GMAC/s and narrow
ones at 26 (docs/eyeriss.md). This model follows the chip's own pass structure (JSSC 2017, ISCA 2016):

- A PE set is R rows x e columns (one filter row per PE, e output rows side by side); the 12 x 14 array holds
  r x t sets, r of them on different channels, t on different filters. A PE runs q channels of p filters over a
  whole output row (F outputs) for each of n images in turn (n divides the batch). Scratch pads bound q*S
  (ifmap), p*q*S (filter) and p (psum).
- A pass takes q*r channels and p*t filters of one strip of e output rows. JSSC's mapping parameter m is the number
  of filters (ofmap channels) whose psums the GLB keeps: the passes loop over the m/(pt) filter groups of a GLB
  group, then the ceil(C/qr) channel groups, then the ceil(E/e) strips, then the ceil(M/m) GLB groups, and the
  ceil(N/n) image groups outermost.
- The global buffer (GLB) holds only ifmaps and psums: `glb_ifmap_bytes` (more only if a layer's smallest pass
  needs more) for one image's input rows of a pass (q*r channels x ((e-1)U+R) rows x W) and the rest for the psums
  of n images x m filters x e x F. A channel group's rows come from DRAM once and serve the m/(pt) passes of its
  GLB group (then the rows of all n images stay), so inputs are read from DRAM once per GLB group and from the GLB
  once per pass. The search takes the largest m that fits beside them (more filters per GLB group only saves DRAM
  reads). Psums cross between GLB and array once per channel group. Filters go from DRAM straight to the scratch
  pads, once per strip and image group.
- Processing takes the larger of the PEs' MAC cycles and the GLB traffic over `glb_bw_bytes_per_cycle`; off-chip
  transfers (ifmaps and ofmaps run-length coded, filters raw) move at `offchip_bw_bytes_per_s` and add to it when
  `offchip_overlap` is none, as Table VI's total - processing latency shows.
- Run-length coding (JSSC): a value and its run of up to `rlc_max_run` preceding zeros make one pair,
  `rlc_pairs_per_word` pairs per `rlc_word_bits` word. `zeros` is the share of zero activations, workload data (a
  property of the network's activations on its inputs, such as Table VI's zeros column), not a hardware number; with
  zeros drawn independently a run of k zeros costs 1 + floor(k / (max_run + 1)) pairs.
- Energy: ISCA 2016's normalized costs per access (MAC, scratch pad, array transfer, GLB, DRAM word) x `mac_j`.

Of the foldings that fit, only those with the widest PE set that fits are kept: the chip strip-mines a layer's
output rows at the array's width (JSSC) and narrows a set only when a pass would not fit the GLB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.cost.record import Cost, checked
from dse.errors import InputError
from dse.hw.row_stationary import RowStationaryChip
from dse.workload.layer import Layer, Op, Pass

#: The folding parameters (JSSC's mapping parameters), in the order `Foldings` holds them.
PARAMETERS = ("n", "p", "q", "r", "t", "e", "m")


@dataclass(frozen=True)
class Shape:
    """A conv or FC layer in the chip's terms: N images, M filters and C channels per group of G (a grouped conv is
    G convolutions run one after another), R x S filters, stride U, padded H x W inputs, E x F outputs."""

    G: int
    N: int
    M: int
    C: int
    R: int
    S: int
    U: int
    H: int
    W: int
    E: int
    F: int


@dataclass(frozen=True)
class Foldings:
    """Candidate foldings of one layer, one entry per candidate (int64 arrays)."""

    n: np.ndarray
    p: np.ndarray
    q: np.ndarray
    r: np.ndarray
    t: np.ndarray
    e: np.ndarray
    m: np.ndarray

    def __len__(self) -> int:
        return len(self.n)

    def row(self, i: int) -> dict[str, int]:
        return {name: int(getattr(self, name)[i]) for name in PARAMETERS}

    @classmethod
    def of(cls, mappings: list[dict[str, int]]) -> "Foldings":
        """Foldings from dicts; `m` defaults to p*t (the GLB keeps the psums of one pass's filters)."""
        rows = [{"m": m["p"] * m["t"], **m} for m in mappings]
        return cls(*(np.array([m[name] for m in rows], dtype=np.int64) for name in PARAMETERS))


def supports(layer: Layer) -> bool:
    """Forward convolutions (grouped and depthwise ones group by group) and FC layers: what the chip's RS passes run."""
    return layer.pass_ is Pass.FORWARD and layer.op in (Op.CONV, Op.DWCONV, Op.FC) and layer.macs > 0


def shape(layer: Layer) -> Shape:
    if not supports(layer):
        raise InputError(f"layer {layer.name}: the row-stationary model runs forward conv and fc layers, "
                         f"not {layer.op.value} ({layer.pass_.value})")
    if layer.op is Op.FC:
        return Shape(1, layer.N, layer.K, layer.C, 1, 1, 1, 1, 1, 1, 1)
    if layer.stride_y != layer.stride_x:
        raise InputError(f"layer {layer.name}: the row-stationary model needs equal strides, "
                         f"got {layer.stride_y} x {layer.stride_x}")
    H, W = layer.Y + 2 * layer.pad_y, layer.X + 2 * layer.pad_x
    U = layer.stride_y
    G = layer.groups
    return Shape(G, layer.N, layer.K // G, layer.C // G, layer.R, layer.S, U, H, W, (H - layer.R) // U + 1,
                 (W - layer.S) // U + 1)


def _grid(*axes: np.ndarray) -> list[np.ndarray]:
    return [a.ravel() for a in np.meshgrid(*axes, indexing="ij")]


def foldings(layer: Layer, chip: RowStationaryChip) -> Foldings:
    """Every folding the array, the scratch pads and the GLB admit, at the widest PE set that admits one."""
    s = shape(layer)
    if s.R > chip.pe_rows:
        raise InputError(f"layer {layer.name}: a {s.R}-row filter does not fit the {chip.pe_rows}-row PE array of "
                         f"{chip.name}")
    sets = [(r, t, e) for e in range(1, min(chip.pe_cols, s.E) + 1)
            for r in range(1, min((chip.pe_rows // s.R) * (chip.pe_cols // e), s.C) + 1)
            for t in range(1, min((chip.pe_rows // s.R) * (chip.pe_cols // e) // r, s.M) + 1)]
    rte = np.array(sets, dtype=np.int64)
    images = np.array([d for d in range(1, s.N + 1) if s.N % d == 0])
    n, p, q, k = _grid(images, np.arange(1, min(chip.psum_spad_words, s.M) + 1),
                       np.arange(1, min(chip.ifmap_spad_words // s.S, s.C) + 1), np.arange(len(rte)))
    r, t, e = rte[k].T
    fits = (p * q * s.S <= chip.filter_spad_words) & (p * t <= s.M) & (q * r <= s.C)
    one_image, psum = glb_need(s, chip, n, p, q, r, t, e, p * t)
    space = ifmap_space(s, chip)
    fits &= (one_image <= space) & (psum <= chip.glb_bytes - space)
    if not fits.any():
        raise InputError(f"layer {layer.name}: no row-stationary folding fits {chip.name} (one pass needs more "
                         f"than its scratch pads or its {chip.glb_bytes:g}-byte GLB)")
    keep = fits & (e == e[fits].max())
    n, p, q, r, t, e = n[keep], p[keep], q[keep], r[keep], t[keep], e[keep]
    return Foldings(n, p, q, r, t, e, glb_filters(s, chip, n, p, q, r, t, e))


def glb_filters(s: Shape, chip: RowStationaryChip, n, p, q, r, t, e) -> np.ndarray:
    """JSSC's m, the filters whose psums the GLB keeps while one channel group's ifmap rows serve them all in
    m / (p*t) passes (the chip's loop order: m/(pt) passes, then channel groups, then strips, then M/m): the most the
    GLB holds beside the rows of the pass's n images, balanced over the layer's M filters (at most M); p*t if not
    even two passes' worth fits. More filters per GLB group means fewer DRAM reads of the ifmaps and nothing more elsewhere."""
    pt = p * t
    one_image, psum_pt = glb_need(s, chip, n, p, q, r, t, e, pt)
    most = np.floor((chip.glb_bytes - n * one_image) / psum_pt).astype(np.int64)
    passes = np.ceil(s.M / pt).astype(np.int64)
    per_group = np.clip(most, 1, passes)
    per_group = np.ceil(passes / np.ceil(passes / per_group)).astype(np.int64)  # same groups, fewest filters each
    return np.minimum(pt * per_group, s.M)


def ifmap_space(s: Shape, chip: RowStationaryChip) -> float:
    """GLB bytes for ifmaps: `glb_ifmap_bytes`, or the rows of the smallest pass (one channel, one output row) of a
    layer whose rows need more (AlexNet's CONV1: 11 rows of 227; the chip's GLB split is configurable)."""
    return max(chip.glb_ifmap_bytes, s.R * s.W * chip.word_bytes)


def glb_need(s: Shape, chip: RowStationaryChip, n, p, q, r, t, e, m) -> tuple[np.ndarray, np.ndarray]:
    """GLB bytes a pass holds: its ifmap rows, one image at a time while they stream to one pass (m = p*t), the rows
    of its n images while they serve m / (p*t) passes; and the psums of n images x m filters."""
    rows = (e - 1) * s.U + s.R
    one_image = q * r * rows * s.W * chip.word_bytes
    return np.where(m > p * t, n * one_image, one_image), n * m * e * s.F * chip.word_bytes


def rlc_bytes_per_value(chip: RowStationaryChip, zeros: float | np.ndarray) -> np.ndarray:
    """Off-chip bytes per activation under the chip's run-length code, zeros independent with probability `zeros`."""
    z = np.clip(np.asarray(zeros, dtype=float), 0.0, 1.0)
    period = chip.rlc_max_run + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        long_runs = np.where(z < 1.0, z ** period / (1.0 - z ** period), 0.0)
    pairs = (1.0 - z) * (1.0 + long_runs)
    return pairs / chip.rlc_pairs_per_word * chip.rlc_word_bits / 8


def evaluate(layer: Layer, chip: RowStationaryChip, folds: Foldings, zeros: float = 0.0,
             out_zeros: float | None = None) -> Cost:
    """Cost of `layer` under each folding (arrays, one entry per folding). `zeros` / `out_zeros`: shares of zero
    input / output activations (workload data; out_zeros defaults to zeros)."""
    s = shape(layer)
    n, p, q, r, t, e, m = (getattr(folds, name).astype(float) for name in PARAMETERS)
    wb = chip.word_bytes
    strips, rows = np.ceil(s.E / e), (e - 1) * s.U + s.R
    groups_m, groups_c, groups_n = np.ceil(s.M / (p * t)), np.ceil(s.C / (q * r)), np.ceil(s.N / n)
    passes = groups_m * strips * groups_c * groups_n
    compute_cycles = s.G * passes * n * s.F * p * q * s.S
    outputs = float(s.G * s.N * s.M * s.E * s.F)
    input_words = s.G * strips * rows * s.W * s.C * s.N  # one read of every strip's input rows
    ifmap_words = input_words * np.ceil(s.M / m)  # DRAM -> GLB once per group of m filters
    array_ifmap_words = input_words * groups_m  # GLB -> array once per pass
    psum_words = outputs * (2 * groups_c - 1)  # written per channel group, read back for all but the first
    glb_words = ifmap_words + array_ifmap_words + psum_words + outputs  # + the finished ofmap read out to DRAM
    glb_cycles = glb_words * wb / chip.glb_bw_bytes_per_cycle
    filter_words = float(s.G * s.M * s.C * s.R * s.S) * strips * groups_n
    dram_bytes = (ifmap_words * rlc_bytes_per_value(chip, zeros) + filter_words * wb
                  + outputs * rlc_bytes_per_value(chip, zeros if out_zeros is None else out_zeros))
    processing_s = np.maximum(compute_cycles, glb_cycles) / chip.clock_hz
    offchip_s = dram_bytes / chip.offchip_bw_bytes_per_s
    seconds = processing_s + offchip_s if chip.offchip_overlap == "none" else np.maximum(processing_s, offchip_s)
    macs = float(layer.macs)
    unit = chip.energy["mac_j"]
    array_words = array_ifmap_words + psum_words + filter_words
    energy = {"energy_mac_j": macs * chip.energy["mac_units"] * unit,
              "energy_l1_j": 4 * macs * chip.energy["spad_units"] * unit,  # ifmap, filter, psum read + psum write
              "energy_noc_j": array_words * chip.energy["array_units"] * unit,
              "energy_l2_j": glb_words * chip.energy["glb_units"] * unit,
              "energy_dram_j": dram_bytes / wb * chip.energy["dram_units"] * unit}
    ifmap_need, psum_need = glb_need(s, chip, n, p, q, r, t, e, m)
    cycles = seconds * chip.clock_hz
    cost = Cost(cycles=cycles, seconds=seconds, energy_j=sum(energy.values()), **energy, macs=macs,
                flops=2 * macs, dram_bytes=dram_bytes, utilization=macs / (cycles * chip.num_pes),
                l1_bytes=(q * s.S + p * q * s.S + p) * wb, l2_bytes=ifmap_need + psum_need,
                noc_bw_bytes_per_cycle=glb_words * wb / np.maximum(compute_cycles, glb_cycles),
                offchip_bw_bytes_per_cycle=dram_bytes / cycles,
                extra={"glb_access_bytes": glb_words * wb, "processing_s": processing_s, "offchip_s": offchip_s,
                       "active_pes": s.R * e * r * t})
    return checked(cost, "row-stationary", [layer.name])
