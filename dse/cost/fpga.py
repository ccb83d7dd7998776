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

from dse.cost.fpga_resources import ceil_div, conv_bram, conv_dsp, ifm_depth, ofm_depth, wei_depth
from dse.cost.fpga_network import ConvSpec, dims, training_flops
from dse.cost.record import Cost
from dse.errors import InputError
from dse.hw.fpga import FPGABoard

LAYOUTS = ("bchw", "bhwc_reuse", "reshaped", "reshaped_reuse")
_REUSE = {"bchw": False, "bhwc_reuse": True, "reshaped": False, "reshaped_reuse": True}


@dataclass
class Candidates:
    """Tilings to evaluate: Tm (= Tn) of shape (n,), Tr and M_on of shape (n, layers)."""

    Tm: np.ndarray
    Tr: np.ndarray
    M_on: np.ndarray

    @classmethod
    def single(cls, Tm: int, Tr, M_on) -> "Candidates":
        return cls(np.array([Tm]), np.atleast_2d(np.asarray(Tr)), np.atleast_2d(np.asarray(M_on)))


def _transfers(pass_: str, layout: str, d: dict, Tm, Tr, M_on, p: int, ts: int) -> dict:
    """DMA cycles per tile for one pass: IFM (and WU's OFM), WEI, OUT (Eqs. 15-18 and their layout variants)."""
    K2 = d["K"] ** 2
    h_in = (Tr - 1) * d["S"] + d["K"]  # input rows of a tile
    w_in = (d["C"] - 1) * d["S"] + d["K"]  # input columns (Tc = C)
    Tc = d["C"]
    if layout == "bchw":
        ifm = Tm * h_in * (ts + ceil_div(w_in, p))
        row_out = Tm * Tr * (ts + ceil_div(Tc, p))
        wei_fp = Tm * (ts + ceil_div(Tm * K2, p))
        t = {"ifm": ifm, "out": row_out, "wei": wei_fp}
        if pass_ == "bp":
            t["wei"] = Tm * Tm * (ts + ceil_div(K2, p))
        if pass_ == "wu":
            t["ofm"], t["out"] = row_out, wei_fp
        return t
    # Channel-group-major features: when a tile spans the whole map (R <= Tr) consecutive input-channel tiles are
    # adjacent in DRAM, so the IFM stream does not restart between them (an FC input streams as one burst).
    ifm = ts * (Tr < d["R"]) + ceil_div(Tm, p) * h_in * w_in
    wei = ceil_div(Tm * Tm, p) * K2
    t = {"ifm": ifm, "wei": wei, "out": ceil_div(Tm, p) * Tr * Tc}
    if pass_ == "bp":
        group = M_on if _REUSE[layout] else Tm
        if layout == "bhwc_reuse":
            t["wei"] = ceil_div(group, Tm) * Tm * K2 * (ts + ceil_div(Tm, p))
        else:
            t["wei"] = ceil_div(group * Tm, p) * K2 + ts
    if pass_ == "wu":
        t["ofm"] = ts + Tr * Tc * ceil_div(Tm, p)
        t["out"] = wei
        if layout == "bhwc_reuse":
            t["ifm"] = h_in * w_in * (ts + ceil_div(Tm, p))
            t["ofm"] = Tr * Tc * (ts + ceil_div(Tm, p))
    return t


def _fp_bp(pass_: str, layout: str, d: dict, Tm, Tr, M_on, B: int, p: int, ts: int):
    """FP or BP cycles of each layer (Eqs. 19-24); without reuse every image is a first image with M_on = Tm."""
    t = _transfers(pass_, layout, d, Tm, Tr, M_on, p, ts)
    comp = Tr * d["C"] * d["K"] ** 2
    load = np.maximum(t["ifm"], t["wei"])
    prod1, prod2 = np.maximum(t["ifm"], comp), np.maximum(load, comp)
    store = np.maximum(comp, t["out"])
    n_in = ceil_div(d["N"], Tm) - 1
    n_row = ceil_div(d["R"], Tr)
    lat1 = n_in * prod1 + t["ifm"] + comp
    lat2 = n_in * prod1 + t["ifm"] + store
    latb1 = n_in * prod2 + load + comp
    latb2 = n_in * prod2 + load + store
    if not _REUSE[layout]:
        per_image = (ceil_div(d["M"], Tm) * n_row - 1) * latb2 + latb1 + t["out"] + ts
        return B * per_image
    groups = ceil_div(M_on, Tm)
    lat3 = (groups * n_row - 1) * lat2 + lat1 + t["out"] + ts
    if pass_ == "fp":
        latb3 = groups * (n_row - 1) * lat2 + (groups - 1) * latb2 + latb1 + t["out"] + ts
    else:
        latb3 = (groups * n_row - 1) * lat2 + latb1 + t["out"] + ts
    return ceil_div(d["M"], M_on) * ((B - 1) * lat3 + latb3)


def _wu(layout: str, d: dict, Tm, Tr, M_on, B: int, p: int, ts: int):
    """WU cycles of each layer (Eqs. 25-27, with the R <= Tr case); without reuse the gradient tiles of every image
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
    groups, n_in, n_row = ceil_div(M_on, Tm), ceil_div(d["N"], Tm), ceil_div(d["R"], Tr)
    lat1 = (n_row - 1) * prod1 + load + comp
    latb1 = (n_row - 1) * prod1 + load + store
    tall = ((B - 1) * groups * n_in + 1) * lat1 + (groups * n_in - 1) * latb1 + t["out"]
    tall = tall * ceil_div(d["M"], M_on)
    lat1_s = (n_in - 1) * prod2 + load + comp
    latb1_s = (n_in - 1) * (prod2 + t["out"]) + load + comp + t["out"]
    short = ceil_div(d["M"], M_on) * groups * ((B - 1) * lat1_s + latb1_s)
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
    p, ts = board.dma_words_per_cycle, board.dma_start_cycles
    fp = _fp_bp("fp", layout, d, Tm, Tr, M_on, batch, p, ts)
    bp = _fp_bp("bp", layout, d, Tm, Tr, M_on, batch, p, ts)
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
    d = dims(specs)
    Tm = np.asarray(cand.Tm, dtype=np.int64)
    Tr = np.minimum(np.asarray(cand.Tr, dtype=np.int64), d["R"][None, :])
    return {
        "ifm": ifm_depth(Tr, d["C"][None, :], d["K"][None, :], d["S"][None, :]).max(axis=1),
        "ofm": ofm_depth(Tr, d["C"][None, :]).max(axis=1),
        "wei": wei_depth(d["K"][None, :], d["N"][None, :], Tm[:, None], cand.M_on, Tm[:, None]).max(axis=1),
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
    return Cost(
        cycles=cycles, seconds=seconds, energy_j=energy, energy_static_j=board.static_w * seconds,
        macs=3 * macs, flops=np.full_like(seconds, flops), dsp=dsp, bram_18k=bram,
        utilization=flops / 2 / (Tm * Tm) / cycles,
        extra={"gflops": gflops, "gflops_per_w": gflops / power, "power_w_model": power,
               "dsp_conv": dsp_conv, "dsp_aux": np.full_like(dsp_conv, dsp_aux), "bram_18k_conv": bram,
               "cycles_fp": passes["fp"], "cycles_bp": passes["bp"], "cycles_wu": passes["wu"],
               "cycles_bn_fp": bn["fp"], "cycles_bn_bp": bn["bp"],
               "ifm_depth": depth["ifm"], "ofm_depth": depth["ofm"], "wei_depth": depth["wei"]},
    )
