"""Tiling search for EF-Train's conv engine: an exact vectorized enumeration and an Optuna multi-objective study
(the paper's own scheduler, Algorithm 1, is the baseline in `dse.cost.fpga_schedule`).

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

from dse.cost.fpga import Candidates, evaluate, pass_cycles
from dse.cost.fpga_network import ConvSpec
from dse.cost.fpga_resources import ceil_div, conv_dsp, ifm_depth, ofm_depth, wei_depth
from dse.cost.fpga_schedule import Budget, Tiling, bank_limits, max_tm
from dse.errors import Infeasible, InputError
from dse.hw.fpga import FPGABoard


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


def exact(specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse",
          budget: Budget = Budget(), tms: list[int] | None = None) -> ExactResult:
    """The minimum-latency tiling under the DSP and BRAM budgets, by exhaustive vectorized enumeration."""
    bank = board.bram_18k_fp32_words
    best: ExactResult | None = None
    evaluated = 0
    for Tm in sorted(tms or range(1, max_tm(board, budget) + 1), reverse=True):
        if best is not None and compute_bound(specs, Tm, batch) >= best.cycles:
            continue  # even a perfectly overlapped engine of this size is slower than the best found
        A, B, C, half = bank_limits(Tm, board, budget)
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
        (tiling,) = _pick(layers, Tm, np.array([cell]))
        cycles = int(evaluate(specs, tiling.candidates(), batch, board, layout).cycles[0])
        if best is None or cycles < best.cycles:
            best = ExactResult(tiling, cycles, 0)
    if best is None:
        raise Infeasible(f"board {board.name}: no tiling fits the DSP/BRAM budget {budget}")
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


def _pick(layers: list, Tm: int, cells: np.ndarray) -> list[Tiling | None]:
    """For each row (a, b, c) of `cells`: each layer's fastest (Tr, M_on) within a IFM, b OFM and c weight banks, or
    None if some layer has none. All cells of a layer are decided in one masked argmin."""
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 3)
    fits = np.ones(len(cells), dtype=bool)
    Tr, M_on = [], []
    for tr, mon, la, lb, lc, cycles in layers:
        ok = ((la[None, :] <= cells[:, :1]) & (lb[None, :] <= cells[:, 1:2]) & (lc[None, :] <= cells[:, 2:]))
        k = np.argmin(np.where(ok, cycles[None, :].astype(float), np.inf), axis=1)
        fits &= ok[np.arange(len(cells)), k]
        Tr.append(tr[k])
        M_on.append(mon[k])
    Tr, M_on = np.array(Tr).T, np.array(M_on).T
    return [Tiling(Tm, tuple(int(x) for x in Tr[i]), tuple(int(x) for x in M_on[i])) if fits[i] else None
            for i in range(len(cells))]


class BufferScheduler:
    """Schedules every layer exactly inside given buffers: Tm and the IFM / OFM / weight bank counts per buffer
    half fix the hardware, and each layer then takes its fastest (Tr, M_on) that fits. The per-Tm candidate grids
    are computed once and reused, so a search that samples buffer sizes stays cheap."""

    def __init__(self, specs: list[ConvSpec], batch: int, board: FPGABoard, layout: str = "reshaped_reuse") -> None:
        self.specs, self.batch, self.board, self.layout = specs, batch, board, layout
        self._grids: dict[int, list] = {}
        self._minimum: dict[int, tuple[int, int, int]] = {}

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
        if Tm not in self._minimum:
            layers = self._layers(Tm)
            self._minimum[Tm] = tuple(max(int(g[k].min()) for g in layers) for k in (2, 3, 4))  # type: ignore
        return self._minimum[Tm]

    def tiling(self, Tm: int, a: int, b: int, c: int) -> Tiling | None:
        """The fastest tiling within the banks, or None when some layer fits no (Tr, M_on)."""
        return self.tilings(Tm, np.array([(a, b, c)]))[0]

    def tilings(self, Tm: int, cells: np.ndarray) -> list[Tiling | None]:
        """`tiling` of every (IFM, OFM, weight) banks row of `cells` at once."""
        return _pick(self._layers(Tm), Tm, cells)


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
    values = trial.constraints.values()
    return trial.state is TrialState.COMPLETE and bool(values) and all(v <= 0 for v in values)


def best_trial_tiling(study) -> Tiling:
    """The fastest feasible trial of a study as a `Tiling`."""
    trials = [t for t in study.trials if feasible(t)]
    if not trials:
        raise InputError(f"study {study.study_name!r}: no feasible trial")
    best = min(trials, key=lambda t: t.values[0])
    return Tiling(best.params["Tm"], tuple(best.user_attrs["Tr"]), tuple(best.user_attrs["M_on"]))
