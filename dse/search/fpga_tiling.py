"""Tiling search for EF-Train's conv engine: the paper's scheduler (Algorithm 1) as baseline, an exact vectorized
enumeration, and an Optuna multi-objective study.

The exact search uses the structure of the resource model: BRAM depends on the tiling only through three bank
counts (IFM, OFM and weight banks per buffer, each the maximum over layers). For every Tm and every layer all
(Tr, M_on) candidates are priced at once; the best latency of each layer for every bank-count triple (a, b, c) is a
cumulative minimum over a small 3-D grid; summing layers and masking triples over the BRAM budget leaves the exact
optimum. Optuna searches the same hardware parameters (Tm and the three bank counts) and schedules each layer
exactly inside them, so its trials are always tilings the board can hold or are reported infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.cost.fpga import Candidates, buffer_depths, evaluate, pass_cycles
from dse.cost.fpga_network import ConvSpec
from dse.cost.fpga_resources import ceil_div, conv_bram, conv_dsp, ifm_depth, ofm_depth, wei_depth
from dse.errors import InputError
from dse.hw.fpga import FPGABoard
from dse.search.results import CONSTRAINT_PREFIX

#: EF-Train §2.5: the conv engine gets about 80% of the DSPs and 75% of the BRAM; the rest is for pooling, BN,
#: address generation and extra weight-fetch buffers.
DSP_BUDGET = 0.80
BRAM_BUDGET = 0.75


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
        raise InputError(f"board {board.name}: DSP budget {dsp_limit} cannot hold one FP32 MAC "
                         f"({board.dsp_per_fp32_mac} DSP)")
    return tm


def _m_on_choices(M: int, Tm: int) -> np.ndarray:
    return np.arange(1, int(ceil_div(M, Tm)) + 1) * Tm


def _layer_grid(spec: ConvSpec, index: int, Tm: int, batch: int, board: FPGABoard, layout: str, bank: int):
    """All (Tr, M_on) of one layer: bank counts (a, b, c) and cycles, flattened."""
    Tr = np.arange(1, spec.R + 1)
    M_on = _m_on_choices(spec.M, Tm)
    tr, mon = (g.ravel() for g in np.meshgrid(Tr, M_on, indexing="ij"))
    passes = pass_cycles([spec], Candidates(np.full(tr.size, Tm), tr[:, None], mon[:, None]), batch, board, layout,
                         first_is_input=index == 0)
    cycles = passes["fp"][:, 0] + passes["bp"][:, 0] + passes["wu"][:, 0]
    a = ceil_div(ifm_depth(tr, spec.C, spec.K, spec.S), bank)
    b = ceil_div(ofm_depth(tr, spec.C), bank)
    c = ceil_div(wei_depth(spec.K, spec.N, Tm, mon, Tm), bank)
    return tr, mon, a, b, c, cycles


@dataclass
class ExactResult:
    """The exact optimum and how many per-layer candidates were priced to find it."""

    tiling: Tiling
    cycles: int
    evaluated: int


def compute_bound(specs: list[ConvSpec], Tm: int, batch: int) -> int:
    """A lower bound on training cycles with Tm = Tn: every tile of every pass spends at least t_COMP, and the
    tiles of a pass cover ceil(M/Tm) x ceil(N/Tm) x R x C x K^2 per image (layer 1 has no BP)."""
    per_pass = [batch * int(ceil_div(s.M, Tm) * ceil_div(s.N, Tm)) * s.R * s.C * s.K ** 2 for s in specs]
    return 3 * sum(per_pass) - per_pass[0]


def _bank_limits(Tm: int, board: FPGABoard, budget: Budget) -> tuple[int, int, int, int]:
    """Largest useful bank counts per buffer and the half-budget in BRAM_18K for Tm."""
    _, bram_limit = budget.limits(board)
    half = bram_limit // 2
    return half // Tm, half // Tm, half // (Tm * Tm), half


def exact(specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse",
          budget: Budget = Budget(), tms: list[int] | None = None) -> ExactResult:
    """The minimum-latency tiling under the DSP and BRAM budgets, by exhaustive vectorized enumeration."""
    bank = board.bram_18k_fp32_words
    best: ExactResult | None = None
    evaluated = 0
    for Tm in sorted(tms or range(1, max_tm(board, budget) + 1), reverse=True):
        if best is not None and compute_bound(specs, Tm, batch) >= best.cycles:
            continue  # even a perfectly overlapped engine of this size is slower than the best found
        A, B, C, half = _bank_limits(Tm, board, budget)
        layers = [_layer_grid(spec, i, Tm, batch, board, layout, bank) for i, spec in enumerate(specs)]
        A = min(A, max(int(g[2].max()) for g in layers))
        B = min(B, max(int(g[3].max()) for g in layers))
        C = min(C, max(int(g[4].max()) for g in layers))
        if A < 1 or B < 1 or C < 1:
            continue
        total = np.zeros((A + 1, B + 1, C + 1))
        for g in layers:
            evaluated += g[0].size
            total += _cell_minimum((A + 1, B + 1, C + 1), *g[2:])
        a_idx, b_idx, c_idx = np.meshgrid(np.arange(A + 1), np.arange(B + 1), np.arange(C + 1), indexing="ij")
        total = np.where(Tm * a_idx + Tm * b_idx + Tm * Tm * c_idx <= half, total, np.inf)
        cell = np.unravel_index(int(np.argmin(total)), total.shape)
        if not np.isfinite(total[cell]):
            continue
        tiling = _pick(layers, Tm, *cell)
        cycles = int(evaluate(specs, tiling.candidates(), batch, board, layout).cycles[0])
        if best is None or cycles < best.cycles:
            best = ExactResult(tiling, cycles, 0)
    if best is None:
        raise InputError(f"board {board.name}: no tiling fits the DSP/BRAM budget {budget}")
    best.evaluated = evaluated
    return best


def _cell_minimum(shape: tuple[int, int, int], a, b, c, cycles) -> np.ndarray:
    """Per bank-count cell (a, b, c): the lowest cycles of a candidate needing at most those banks (inf: none)."""
    ok = (a < shape[0]) & (b < shape[1]) & (c < shape[2])
    grid = np.full(shape, np.inf)
    np.minimum.at(grid, (a[ok], b[ok], c[ok]), cycles[ok].astype(float))
    for axis in range(3):
        np.minimum.accumulate(grid, axis=axis, out=grid)
    return grid


def _pick(layers: list, Tm: int, a: int, b: int, c: int) -> Tiling | None:
    """Each layer's fastest (Tr, M_on) within a IFM, b OFM and c weight banks; None if a layer has none."""
    Tr, M_on = [], []
    for tr, mon, la, lb, lc, cycles in layers:
        ok = np.flatnonzero((la <= a) & (lb <= b) & (lc <= c))
        if ok.size == 0:
            return None
        k = ok[np.argmin(cycles[ok])]
        Tr.append(int(tr[k]))
        M_on.append(int(mon[k]))
    return Tiling(Tm, tuple(Tr), tuple(M_on))


def ef_train_schedule(specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse",
                      budget: Budget = Budget(), Tm: int | None = None) -> Tiling:
    """EF-Train's Algorithm 1: Tm = Tn from the DSP budget (or the board's published value); IFM/OFM buffers
    lower-bounded by one row of the widest map; each layer's M_on grown in Tm steps while BRAM fits; then the
    IFM/OFM buffers grown row by row on the widest map while BRAM fits, and each layer's Tr chosen by minimum
    latency among the rows that fit those buffers."""
    Tm = Tm or board.ef_train_tm or max_tm(board, budget)
    bank = board.bram_18k_fp32_words
    _, _, _, half = _bank_limits(Tm, board, budget)
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
            raise InputError(f"board {board.name}: layer {s.name} does not fit the BRAM budget even with Tr = 1, "
                             f"M_on = Tm = {Tm}")
        M_on.append(int(fits.max()))
    wei_banks = max(int(ceil_div(wei_depth(s.K, s.N, Tm, m, Tm), bank)) for s, m in zip(specs, M_on)) * Tm * Tm
    rows = 1
    while rows < widest.R and io_banks(rows + 1) + wei_banks <= half:
        rows += 1
    ifm_cap = ifm_depth(rows, widest.C, widest.K, widest.S)
    ofm_cap = ofm_depth(rows, widest.C)
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
        raise InputError(f"tiling Tm={tiling.Tm}: DSP need {dsp} exceeds limit {dsp_limit} on {board.name}")
    if bram > bram_limit:
        raise InputError(f"tiling Tm={tiling.Tm}: BRAM_18K need {bram} exceeds limit {bram_limit} on {board.name}")
    return dsp, bram


class BufferScheduler:
    """Schedules every layer exactly inside given buffers: Tm and the IFM / OFM / weight bank counts per buffer
    half fix the hardware, and each layer then takes its fastest (Tr, M_on) that fits. The per-Tm candidate grids
    are computed once and reused, so a search that samples buffer sizes stays cheap."""

    def __init__(self, specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse") -> None:
        self.specs, self.batch, self.board, self.layout = specs, batch, board, layout
        self._grids: dict[int, list] = {}

    def banks(self, Tm: int, wei_banks: int, ifm_share: float, bram_limit: int) -> tuple[int, int, int]:
        """(IFM, OFM, weight) banks: the weight buffer first, the rest of half the BRAM budget split by share."""
        left = max((bram_limit // 2) // Tm - Tm * wei_banks, 0)
        ifm = max(1, int(ifm_share * left))
        return ifm, max(1, left - ifm), wei_banks

    def _layers(self, Tm: int) -> list:
        if Tm not in self._grids:
            bank = self.board.bram_18k_fp32_words
            self._grids[Tm] = [_layer_grid(s, i, Tm, self.batch, self.board, self.layout, bank)
                               for i, s in enumerate(self.specs)]
        return self._grids[Tm]

    def minimum_banks(self, Tm: int) -> tuple[int, int, int]:
        """The smallest (IFM, OFM, weight) banks that hold every layer's smallest tile (Tr = 1, M_on = Tm)."""
        layers = self._layers(Tm)
        return tuple(max(int(g[k].min()) for g in layers) for k in (2, 3, 4))  # type: ignore[return-value]

    def tiling(self, Tm: int, a: int, b: int, c: int) -> Tiling | None:
        """The fastest tiling within the banks, or None when some layer fits no (Tr, M_on)."""
        return _pick(self._layers(Tm), Tm, a, b, c)


def optuna_study(specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse",
                 budget: Budget = Budget(), trials: int = 300, seed: int = 0, storage: str | None = None,
                 study_name: str = "fpga_tiling"):
    """Multi-objective Optuna study (latency s, energy J, DSP, BRAM_18K) over Tm and the three buffer sizes (bank
    counts per half); every layer is scheduled exactly inside the sampled buffers. DSP and BRAM budgets are
    constraints (`trial.set_constraint`), so infeasible trials never enter the Pareto set."""
    import optuna

    dsp_limit, bram_limit = budget.limits(board)
    tm_max = int(np.sqrt(board.dsp / board.dsp_per_fp32_mac))
    scheduler = BufferScheduler(specs, batch, board, layout)

    def objective(trial: "optuna.Trial") -> tuple[float, float, float, float]:
        Tm = trial.suggest_int("Tm", 1, tm_max)
        c = trial.suggest_int("wei_banks", 1, max(1, (bram_limit // 2) // (Tm * Tm)))
        share = trial.suggest_float("ifm_share", 0.0, 1.0)  # of the BRAM left after the weight buffer
        a, b, c = scheduler.banks(Tm, c, share, bram_limit)
        dsp = int(conv_dsp(Tm, Tm, board.dsp_per_fp32_mac))
        tiling = scheduler.tiling(Tm, a, b, c)
        trial.set_constraint("unscheduled_layers", 0.0 if tiling else 1.0)
        if tiling is None:
            trial.set_constraint("dsp", dsp - dsp_limit)
            trial.set_constraint("bram_18k", 2 * Tm * (a + b + Tm * c) - bram_limit)
            return float("inf"), float("inf"), float(dsp), float("inf")
        cost = evaluate(specs, tiling.candidates(), batch, board, layout)
        trial.set_constraint("dsp", float(cost.extra["dsp_conv"][0]) - dsp_limit)
        trial.set_constraint("bram_18k", float(cost.extra["bram_18k_conv"][0]) - bram_limit)
        trial.set_user_attr("Tr", list(tiling.Tr))
        trial.set_user_attr("M_on", list(tiling.M_on))
        trial.set_user_attr("gflops", float(cost.extra["gflops"][0]))
        return float(cost.seconds[0]), float(cost.energy_j[0]), float(cost.dsp[0]), float(cost.bram_18k[0])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=min(30, trials))
    study = optuna.create_study(directions=["minimize"] * 4, sampler=sampler, storage=storage,
                                study_name=study_name, load_if_exists=storage is not None)
    study.set_user_attr("metric_names", ["seconds_per_batch", "energy_j", "dsp", "bram_18k"])
    study.optimize(objective, n_trials=trials)
    return study


def feasible(trial) -> bool:
    """A completed trial whose constraints all hold."""
    from optuna.trial import TrialState
    values = [v for k, v in trial.system_attrs.items() if k.startswith(CONSTRAINT_PREFIX)]
    return trial.state is TrialState.COMPLETE and bool(values) and all(v <= 0 for v in values)


def best_trial_tiling(study) -> Tiling:
    """The fastest feasible trial of a study as a `Tiling`."""
    trials = [t for t in study.trials if feasible(t)]
    if not trials:
        raise InputError(f"study {study.study_name!r}: no feasible trial")
    best = min(trials, key=lambda t: t.values[0])
    return Tiling(best.params["Tm"], tuple(best.user_attrs["Tr"]), tuple(best.user_attrs["M_on"]))
