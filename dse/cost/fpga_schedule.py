"""EF-Train's own tiling of the conv engine (Algorithm 1) and the resource check of a tiling.

Both belong with the FPGA cost model: Algorithm 1 is how the paper's design is sized (the baseline every search is
compared with, and the design the cross-platform comparison costs), and `fits` prices a tiling against a board.
The searches over tilings live in `dse.search.fpga_tiling`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.cost.fpga import Candidates, buffer_depths, pass_cycles
from dse.cost.fpga_network import ConvSpec
from dse.cost.fpga_resources import (
    ceil_div,
    conv_bram,
    conv_dsp,
    ifm_depth,
    ofm_depth,
    wei_depth,
)
from dse.errors import Infeasible, InputError
from dse.hw.fpga import BRAM_BUDGET, DSP_BUDGET, FPGABoard


@dataclass(frozen=True)
class Budget:
    """Fractions of the board's DSP and BRAM_18K the conv engine may use."""

    dsp: float = DSP_BUDGET
    bram: float = BRAM_BUDGET

    def __post_init__(self) -> None:
        for name in ("dsp", "bram"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise InputError(f"field budget.{name} must be in (0, 1], got {value!r}")

    def limits(self, board: FPGABoard) -> tuple[int, int]:
        """(DSP, BRAM_18K) the conv engine may use on `board`."""
        return int(self.dsp * board.dsp), int(self.bram * board.bram_18k)


@dataclass(frozen=True)
class Tiling:
    """One chosen tiling: Tm (= Tn) and per-layer Tr and M_on."""

    Tm: int
    Tr: tuple[int, ...]
    M_on: tuple[int, ...]

    def candidates(self) -> Candidates:
        return Candidates.single(self.Tm, self.Tr, self.M_on)


def max_tm(board: FPGABoard, budget: Budget) -> int:
    """Largest Tm with q*Tm^2 within the DSP budget (Algorithm 1, step 1)."""
    dsp_limit, _ = budget.limits(board)
    tm = int(np.sqrt(dsp_limit / board.dsp_per_fp32_mac))
    if tm < 1:
        raise Infeasible(f"board {board.name}: DSP budget {dsp_limit} cannot hold one FP32 MAC "
                         f"({board.dsp_per_fp32_mac} DSP)")
    return tm


def bank_limits(Tm: int, board: FPGABoard, budget: Budget) -> tuple[int, int, int, int]:
    """Largest useful bank counts per buffer and the half-budget in BRAM_18K for Tm."""
    _, bram_limit = budget.limits(board)
    half = bram_limit // 2
    return half // Tm, half // Tm, half // (Tm * Tm), half


def ef_train_schedule(specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse",
                      budget: Budget = Budget(), Tm: int | None = None) -> Tiling:
    """EF-Train's Algorithm 1: Tm = Tn from the DSP budget (or the board's published value); IFM/OFM buffers
    lower-bounded by one row of the widest map; each layer's M_on grown in Tm steps while BRAM fits; then the
    IFM/OFM buffers grown row by row on the widest map while BRAM fits, and each layer's Tr chosen by minimum
    latency among the rows that fit those buffers. Eqs. 29-30 size the buffers in whole banks, so a buffer holds
    its banks' full depth: a narrower layer may use a taller tile than the widest map's rows, up to that depth."""
    Tm = Tm or board.ef_train_tm or max_tm(board, budget)
    bank = board.bram_18k_fp32_words
    _, _, _, half = bank_limits(Tm, board, budget)
    widest = max(specs, key=lambda s: s.C)

    def io_banks(rows: int) -> int:
        return Tm * int(ceil_div(ifm_depth(rows, widest.C, widest.K, widest.S), bank)) \
            + Tm * int(ceil_div(ofm_depth(rows, widest.C), bank))

    M_on = []
    for s in specs:
        # grow in M/l steps (l = ceil(M/Tm) .. 1), each rounded up to a multiple of Tm
        choices = np.unique(ceil_div(ceil_div(s.M, np.arange(1, int(ceil_div(s.M, Tm)) + 1)), Tm) * Tm)
        wei = Tm * Tm * ceil_div(wei_depth(s.K, s.N, Tm, choices, Tm), bank)
        fits = choices[io_banks(1) + wei <= half]
        if fits.size == 0:
            raise Infeasible(f"board {board.name}: layer {s.name} does not fit the BRAM budget even with Tr = 1, "
                             f"M_on = Tm = {Tm}")
        M_on.append(int(fits.max()))
    wei_banks = max(int(ceil_div(wei_depth(s.K, s.N, Tm, m, Tm), bank)) for s, m in zip(specs, M_on)) * Tm * Tm
    rows = 1
    while rows < widest.R and io_banks(rows + 1) + wei_banks <= half:
        rows += 1
    ifm_cap = ceil_div(ifm_depth(rows, widest.C, widest.K, widest.S), bank) * bank
    ofm_cap = ceil_div(ofm_depth(rows, widest.C), bank) * bank
    Tr = []
    for i, s in enumerate(specs):
        tr = np.arange(1, s.R + 1)
        tr = tr[(ifm_depth(tr, s.C, s.K, s.S) <= ifm_cap) & (ofm_depth(tr, s.C) <= ofm_cap)]
        if tr.size == 0:
            tr = np.array([1])
        passes = pass_cycles([s], Candidates(np.full(tr.size, Tm), tr[:, None], np.full((tr.size, 1), M_on[i])),
                             batch, board, layout, first_is_input=i == 0)
        total = passes["fp"][:, 0] + passes["bp"][:, 0] + passes["wu"][:, 0]
        Tr.append(int(tr[int(np.argmin(total))]))
    return Tiling(Tm, tuple(Tr), tuple(M_on))


def fits(specs: list[ConvSpec], tiling: Tiling, board: FPGABoard, budget: Budget | None = None) -> tuple[int, int]:
    """(DSP, BRAM_18K) of the conv engine; raises InputError naming the resource, need and limit if over
    `budget` (or over the whole board when no budget is given)."""
    cand = tiling.candidates()
    depth = buffer_depths(specs, cand)
    dsp = int(conv_dsp(tiling.Tm, tiling.Tm, board.dsp_per_fp32_mac))
    bram = int(conv_bram(tiling.Tm, tiling.Tm, depth["ifm"], depth["ofm"], depth["wei"],
                         board.bram_18k_fp32_words)[0])
    dsp_limit, bram_limit = budget.limits(board) if budget else (board.dsp, board.bram_18k)
    if dsp > dsp_limit:
        raise Infeasible(f"tiling Tm={tiling.Tm}: DSP need {dsp} exceeds limit {dsp_limit} on {board.name}")
    if bram > bram_limit:
        raise Infeasible(f"tiling Tm={tiling.Tm}: BRAM_18K need {bram} exceeds limit {bram_limit} on {board.name}")
    return dsp, bram
