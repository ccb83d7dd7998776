"""EF-Train's analytical training-cycle model (TODAES'22 §4, Eqs. 15-27), vectorized over candidate tilings.

A candidate is (Tm = Tn, per-layer Tr, per-layer M_on) with Tc = C. `pass_cycles` returns FP, BP and WU cycles of
every layer for every candidate as (candidates, layers) arrays; `evaluate` adds BN, resources, power and FLOPs and
returns the shared `Cost` record. ReLU and max-pooling run fused in the engine's load/store path (as in EF-Train's
HLS code), so they add no cycles; BN runs in its own DMA-bound unit (`bn_cycles`).

Memory layouts (the data-reshaping ablation, §2.3) change the DMA transfer terms and whether weights are reused
across the mini-batch:
  reshaped_reuse  the paper's design: channel-group-major features, tile-major weights, M_on weight reuse. An IFM
                  tile pays t_start unless it covers the whole map (then channel groups are contiguous).
  reshaped        same transfers, no reuse: every image reloads its weight tiles (M_on = Tm).
  bhwc_reuse      inference-style BHWC with reuse: FP as reshaped; BP weights arrive in bursts of Tm, WU
                  activations and losses in bursts of Tn / Tm words, each burst paying t_start.
  bchw            PyTorch-style BCHW, no reuse: every channel row is one burst (Tc or Tc_in words), FP weights
                  one burst of Tn*K^2 per output channel, BP weights one burst of K^2 per (m, n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.cost.fpga_network import ConvSpec, dims, training_flops
from dse.cost.fpga_resources import (
    ceil_div,
    conv_bram,
    conv_dsp,
    ifm_depth,
    ofm_depth,
    wei_depth,
)
from dse.cost.record import Cost, checked
from dse.errors import InputError
from dse.hw.fpga import LAYOUTS, FPGABoard

_REUSE = {"bchw": False, "bhwc_reuse": True, "reshaped": False, "reshaped_reuse": True}


@dataclass
class Candidates:
    """Tilings to evaluate: Tm (= Tn) of shape (n,), Tr and M_on of shape (n, layers). `M_on_bp` is the BP pass's
    own weight-block width (Table 6 of the paper lists it separately); None derives it with `bp_m_on`."""

    Tm: np.ndarray
    Tr: np.ndarray
    M_on: np.ndarray
    M_on_bp: np.ndarray | None = None

    @classmethod
    def single(cls, Tm: int, Tr, M_on, M_on_bp=None) -> "Candidates":
        bp = None if M_on_bp is None else np.atleast_2d(np.asarray(M_on_bp))
        return cls(np.array([Tm]), np.atleast_2d(np.asarray(Tr)), np.atleast_2d(np.asarray(M_on)), bp)

    @classmethod
    def concat(cls, parts: list["Candidates"]) -> "Candidates":
        """The candidates of `parts` in order, to price many tilings in one call (`M_on_bp` derived unless every
        part gives it)."""
        bp = [p.M_on_bp for p in parts]
        return cls(np.concatenate([p.Tm for p in parts]), np.concatenate([p.Tr for p in parts]),
                   np.concatenate([p.M_on for p in parts]), None if any(b is None for b in bp) else np.concatenate(bp))


def bp_dims(d: dict) -> dict:
    """The layer as BP runs it (§4.1, Fig. 8c): output and input channels swap, M' = N and N' = M. Rows, columns,
    kernel and stride stay the layer's own (exact for stride-1 'same' convs and FC layers; a strided conv's BP
    would need the input map size, which the paper's BP equations do not spell out)."""
    return {**d, "M": d["N"], "N": d["M"]}


def bp_m_on(d: dict, Tm, M_on):
    """BP weight-block width when the tiling does not give one: the widest multiple of Tm whose BP block
    (K^2 ceil(M / 2Tn) words per bank per group, Eq. 31 on the swapped layer) fits the words the layer's FP
    weight block already occupies, at least Tm, at most ceil(N/Tm)*Tm. An assumption: the paper gives BP values
    (Table 6) but no rule."""
    fp_words = wei_depth(d["K"], d["N"], Tm, M_on, Tm)
    per_group = d["K"] ** 2 * ceil_div(d["M"], 2 * Tm)
    groups = np.clip(fp_words // per_group, 1, ceil_div(d["N"], Tm))
    return groups * Tm


def _in_channels(d: dict, Tm):
    """Input channels in a tile: Tn, or all of them when the layer has fewer (AlexNet/VGG conv1, N = 3). Table 6
    of the paper (conv1 FP, model column) is reproduced exactly only when the IFM and weight tiles of a 3-channel
    layer carry 3 channels, not Tn."""
    return np.minimum(Tm, d["N"])


def _transfers(pass_: str, layout: str, d: dict, Tm, Tr, M_on, p: int, ts: int) -> dict:
    """DMA cycles per tile for one pass: IFM (and WU's OFM), WEI, OUT (§5.1 and its layout variants). In BP,
    `d` is already the swapped layer and `M_on` the BP block width."""
    K2 = d["K"] ** 2
    h_in = (Tr - 1) * d["S"] + d["K"]  # input rows of a tile
    w_in = (d["C"] - 1) * d["S"] + d["K"]  # input columns (Tc = C)
    Tc = d["C"]
    tn = _in_channels(d, Tm)
    if layout == "bchw":
        ifm = tn * h_in * (ts + ceil_div(w_in, p))
        row_out = Tm * Tr * (ts + ceil_div(Tc, p))
        wei_fp = Tm * (ts + ceil_div(tn * K2, p))
        t = {"ifm": ifm, "out": row_out, "wei": wei_fp, "wei_first": wei_fp}
        if pass_ == "bp":
            t["wei"] = Tm * tn * (ts + ceil_div(K2, p))
        if pass_ == "wu":
            t["ofm"], t["out"] = row_out, wei_fp
        return t
    # §5.1: the IFM burst equals one tile, so every IFM tile pays t_start (Table 6 of the paper confirms it for
    # conv tiles that span the whole map too). FC layers (1x1 map, K = 1) are the exception, a modelling choice:
    # their Tn-word tiles are adjacent in DRAM and stream as one burst; a restart per 16 words would cost the
    # '1X' CNN's FC layer 10 M cycles, more than the paper's measured whole-network time allows (docs/fpga.md).
    fc = (d["R"] == 1) & (d["C"] == 1) & (d["K"] == 1)
    ifm = ts * ~fc + ceil_div(tn, p) * h_in * w_in
    wei = ceil_div(Tm * tn, p) * K2
    t = {"ifm": ifm, "wei": wei, "wei_first": wei, "out": ceil_div(Tm, p) * Tr * Tc}
    if pass_ == "bp":
        group = M_on if _REUSE[layout] else Tm
        if layout == "bhwc_reuse":
            t["wei"] = ceil_div(group, Tm) * Tm * K2 * (ts + ceil_div(tn, p))
        else:
            t["wei"] = ceil_div(group * tn, p) * K2 + ts
    if pass_ == "wu":
        t["ofm"] = ts + Tr * Tc * ceil_div(Tm, p)
        t["out"] = wei
        if layout == "bhwc_reuse":
            t["ifm"] = h_in * w_in * (ts + ceil_div(tn, p))
            t["ofm"] = Tr * Tc * (ts + ceil_div(Tm, p))
    return t


def _chunked(d: dict, Tm, M_on, per_chunk):
    """Eqs. 21, 24 and 27 multiply one chunk of ceil(M_on/Tm) groups by ceil(M/M_on); when M_on does not divide M
    the last chunk holds only the groups left (the paper's model column of Table 6 for M = 384, M_on = 112 counts
    24 groups, not 28). `per_chunk(groups)` prices one chunk."""
    n = ceil_div(d["M"], M_on)
    full = ceil_div(M_on, Tm)
    last = ceil_div(d["M"], Tm) - (n - 1) * full
    return (n - 1) * per_chunk(full) + per_chunk(last)


def _fp_bp(pass_: str, layout: str, d: dict, Tm, Tr, M_on, B: int, p: int, ts: int):
    """FP or BP cycles of each layer (Eqs. 15-21 and §5.1's BP variant); without reuse every image is a first
    image with M_on = Tm. For BP pass the swapped layer (`bp_dims`) and the BP block width."""
    comp = Tr * d["C"] * d["K"] ** 2
    n_in = ceil_div(d["N"], Tm) - 1
    n_row = ceil_div(d["R"], Tr)

    def chunk(groups):
        t = _transfers(pass_, layout, d, Tm, Tr, groups * Tm, p, ts)
        load = np.maximum(t["ifm"], t["wei"])
        prod1, prod2 = np.maximum(t["ifm"], comp), np.maximum(load, comp)
        store = np.maximum(comp, t["out"])
        lat1 = n_in * prod1 + t["ifm"] + comp
        lat2 = n_in * prod1 + t["ifm"] + store
        # The first tile's load is FP's t_LOAD even in BP; the M_on x Tn BP weight blocks enter only through
        # t_PROD2 (Table 6's BP model column, conv2-conv5, is reproduced exactly this way and only this way).
        first = np.maximum(t["ifm"], t["wei_first"])
        latb1 = n_in * prod2 + first + comp
        latb2 = n_in * prod2 + first + store
        if not _REUSE[layout]:
            return B * ((groups * n_row - 1) * latb2 + latb1 + t["out"] + ts)
        lat3 = (groups * n_row - 1) * lat2 + lat1 + t["out"] + ts
        if pass_ == "fp":
            latb3 = groups * (n_row - 1) * lat2 + (groups - 1) * latb2 + latb1 + t["out"] + ts
        else:
            latb3 = (groups * n_row - 1) * lat2 + latb1 + t["out"] + ts
        return (B - 1) * lat3 + latb3

    if not _REUSE[layout]:
        return chunk(ceil_div(d["M"], Tm))
    return _chunked(d, Tm, M_on, chunk)


def _wu(layout: str, d: dict, Tm, Tr, M_on, B: int, p: int, ts: int):
    """WU cycles of each layer (Eqs. 22-27, with the R <= Tr case); without reuse the gradient tiles of every image
    after the first are read back before accumulating."""
    if not _REUSE[layout]:
        once = _wu_reuse(layout, d, Tm, Tr, Tm, 1, p, ts)
        t = _transfers("wu", layout, d, Tm, Tr, Tm, p, ts)
        return B * once + (B - 1) * ceil_div(d["M"], Tm) * ceil_div(d["N"], Tm) * t["wei"]
    return _wu_reuse(layout, d, Tm, Tr, M_on, B, p, ts)


def _wu_reuse(layout: str, d: dict, Tm, Tr, M_on, B: int, p: int, ts: int):
    t = _transfers("wu", layout, d, Tm, Tr, M_on, p, ts)
    comp = Tr * d["C"] * d["K"] ** 2
    load = np.maximum(t["ifm"], t["ofm"])
    prod1, prod2 = np.maximum(load, comp), np.maximum(t["ifm"], comp)
    store = np.maximum(comp, t["out"])
    n_in, n_row = ceil_div(d["N"], Tm), ceil_div(d["R"], Tr)
    lat1 = (n_row - 1) * prod1 + load + comp
    latb1 = (n_row - 1) * prod1 + load + store
    tall = _chunked(d, Tm, M_on, lambda g: ((B - 1) * g * n_in + 1) * lat1 + (g * n_in - 1) * latb1 + t["out"])
    lat1_s = (n_in - 1) * prod2 + load + comp
    latb1_s = (n_in - 1) * (prod2 + t["out"]) + load + comp + t["out"]
    short = ceil_div(d["M"], Tm) * ((B - 1) * lat1_s + latb1_s)
    return np.where(d["R"] <= Tr, short, tall)


def pass_cycles(specs: list[ConvSpec], cand: Candidates, batch: int, board: FPGABoard,
                layout: str = "reshaped_reuse", first_is_input: bool = True) -> dict[str, np.ndarray]:
    """FP, BP and WU cycles, each (candidates, layers). The network's first layer has no BP (its input needs no
    gradient); pass `first_is_input=False` when `specs` is a slice that starts later in the network."""
    if layout not in LAYOUTS:
        raise InputError(f"field layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    d = {k: v[None, :] for k, v in dims(specs).items()}
    Tm = np.asarray(cand.Tm, dtype=np.int64)[:, None]
    Tr = np.minimum(np.asarray(cand.Tr, dtype=np.int64), d["R"])
    M_on = np.asarray(cand.M_on, dtype=np.int64)
    M_on_bp = bp_m_on(d, Tm, M_on) if cand.M_on_bp is None else np.asarray(cand.M_on_bp, dtype=np.int64)
    p, ts = board.dma_words_per_cycle, board.dma_start_cycles
    fp = _fp_bp("fp", layout, d, Tm, Tr, M_on, batch, p, ts)
    bp = _fp_bp("bp", layout, bp_dims(d), Tm, Tr, M_on_bp, batch, p, ts)
    if first_is_input:
        bp[:, 0] = 0
    wu = _wu(layout, d, Tm, Tr, M_on, batch, p, ts)
    return {"fp": fp, "bp": bp, "wu": wu}


def bn_cycles(specs: list[ConvSpec], batch: int, board: FPGABoard) -> dict[str, np.ndarray]:
    """Cycles of the BN unit per layer, shape (layers,). It streams p words per cycle and is DMA-bound:
    FP reads A once for E[X], E[X^2], then reads A again while writing A_hat and A_out on the one OUT channel;
    BP reads L and A_hat on two channels for dgamma, dbeta, then again while writing L_in. Each pass restarts DMA."""
    p, ts = board.dma_words_per_cycle, board.dma_start_cycles
    words = np.array([batch * s.M * s.R * s.C if s.bn else 0 for s in specs], dtype=np.int64)
    on = (words > 0).astype(np.int64)
    stream = ceil_div(words, p)
    return {"fp": stream + 2 * stream + 2 * ts * on, "bp": 2 * stream + 2 * ts * on}


#: FP32 adds and multiplies per element in the BN unit's datapath (Lu et al. SiPS'20 as EF-Train uses it):
#: FP stats x (add), x*x (mul, add); normalise (A-E) (add), *lambda (mul), *gamma (mul), +beta (add);
#: BP L*A_hat (mul, add), sum L (add), L - dbeta/n (add), - A_hat*dgamma/n (mul, add), *gamma*lambda (mul).
BN_ADDS = 4 + 4
BN_MULS = 3 + 3


def bn_dsp(specs: list[ConvSpec], board: FPGABoard) -> int:
    """DSPs of the BN unit: one datapath per DMA lane (p), its adds and multiplies priced at the board's
    full-DSP FP32 operator costs. 0 when the network has no BN."""
    if not any(s.bn for s in specs):
        return 0
    return board.dma_words_per_cycle * (BN_ADDS * board.dsp_per_fp32_add + BN_MULS * board.dsp_per_fp32_mul)


def buffer_depths(specs: list[ConvSpec], cand: Candidates) -> dict[str, np.ndarray]:
    """Per-bank words of IFM, OFM and weight buffers each candidate needs (maximum over layers), shape (n,)."""
    d = {k: v[None, :] for k, v in dims(specs).items()}
    Tm = np.asarray(cand.Tm, dtype=np.int64)[:, None]
    Tr = np.minimum(np.asarray(cand.Tr, dtype=np.int64), d["R"])
    M_on = np.asarray(cand.M_on, dtype=np.int64)
    M_on_bp = bp_m_on(d, Tm, M_on) if cand.M_on_bp is None else np.asarray(cand.M_on_bp, dtype=np.int64)
    fp_wei = wei_depth(d["K"], d["N"], Tm, M_on, Tm)
    bp_wei = wei_depth(d["K"], d["M"], Tm, M_on_bp, Tm)  # the swapped layer's block (Eq. 31 with N' = M)
    return {
        "ifm": ifm_depth(Tr, d["C"], d["K"], d["S"]).max(axis=1),
        "ofm": ofm_depth(Tr, d["C"]).max(axis=1),
        "wei": np.maximum(fp_wei, bp_wei).max(axis=1),
    }


def evaluate(specs: list[ConvSpec], cand: Candidates, batch: int, board: FPGABoard,
             layout: str = "reshaped_reuse", clock_hz: float | None = None) -> Cost:
    """Totals per candidate as a `Cost` (arrays of shape (n,)); per-layer cycles are in extra['cycles_fp'] etc."""
    clock = board.clock_hz if clock_hz is None else clock_hz
    if clock <= 0:
        raise InputError(f"field clock_hz must be positive, got {clock!r}")
    passes = pass_cycles(specs, cand, batch, board, layout)
    bn = bn_cycles(specs, batch, board)
    cycles = (passes["fp"] + passes["bp"] + passes["wu"]).sum(axis=1) + bn["fp"].sum() + bn["bp"].sum()
    seconds = cycles / clock
    flops = training_flops(specs, batch)
    depth = buffer_depths(specs, cand)
    Tm = np.asarray(cand.Tm, dtype=np.int64)
    dsp_conv = conv_dsp(Tm, Tm, board.dsp_per_fp32_mac)
    dsp_aux = bn_dsp(specs, board)
    bram = conv_bram(Tm, Tm, depth["ifm"], depth["ofm"], depth["wei"], board.bram_18k_fp32_words)
    dsp = dsp_conv + dsp_aux
    power = board.power_w(dsp, bram)
    energy = power * seconds
    gflops = flops / seconds / 1e9
    macs = sum(s.M * s.N * s.R * s.C * s.K ** 2 for s in specs) * batch
    return checked(Cost(
        cycles=cycles, seconds=seconds, energy_j=energy, energy_static_j=board.static_w * seconds,
        macs=3 * macs, flops=np.full_like(seconds, flops), dsp=dsp, bram_18k=bram,
        utilization=flops / 2 / (Tm * Tm) / cycles,
        extra={"gflops": gflops, "gflops_per_w": gflops / power, "power_w_model": power,
               "dsp_conv": dsp_conv, "dsp_aux": np.full_like(dsp_conv, dsp_aux), "bram_18k_conv": bram,
               "cycles_fp": passes["fp"], "cycles_bp": passes["bp"], "cycles_wu": passes["wu"],
               "cycles_bn_fp": bn["fp"], "cycles_bn_bp": bn["bp"],
               "ifm_depth": depth["ifm"], "ofm_depth": depth["ofm"], "wei_depth": depth["wei"]},
    ), f"EF-Train on {board.name}", [f"all layers, tiling candidate {i}" for i in range(len(seconds))])
