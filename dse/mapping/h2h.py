"""H2H (DAC'22) steps 1-4: computation-prioritized mapping, weight pinning, activation fusion, locality re-mapping.

1. Greedy rounds over the layers whose producers are all mapped: per op, enumerate assignments of (a subset of)
   those layers to the accelerators that run the op, each timed with every weight, IFM and OFM over the host link,
   and keep the one with the smallest running makespan.
2. Per accelerator, pin the most weight bytes that fit `R_wei x local DRAM` (exact knapsack); pinned layers skip
   the host weight read.
3. Fuse: a tensor between two layers that run back to back on one accelerator stays there.
4. For each layer (topological order) whose producer or consumer sits on another accelerator able to run it, move
   it next to that neighbour, redo steps 2 and 3, and keep the move only if the makespan drops; repeat passes until
   one makes no move (at most `max_passes`).
Every step's schedule is kept. Step 4 starts from the better of steps 2 and 3, so H2H never ends worse than step 2.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from dse.mapping.knapsack import knapsack
from dse.mapping.problem import Problem
from dse.mapping.schedule import Mapping, Schedule, ScheduleError, simulate

EPS_S = 1e-12


def host_seconds(problem: Problem) -> np.ndarray:
    """(groups, accelerators) latency with every weight, input and output over the host link (step 1's view)."""
    outputs = problem.sink_bytes + np.array([sum({t: b for _, t, b in s}.values()) for s in problem.succs])
    inputs = problem.input_bytes + np.array([sum(b for _, b in p) for p in problem.preds])
    moved = problem.weight_bytes + inputs + outputs
    bw = np.array([a.link_bw_bytes_per_s for a in problem.system.accelerators])
    return problem.compute_s + moved[:, None] / bw[None, :]


def greedy(problem: Problem, latency: np.ndarray) -> tuple[tuple[tuple[int, ...], ...], np.ndarray]:
    """Step 1 rounds with per-layer `latency` (groups x accelerators); returns the orders and the end times."""
    n = problem.n
    order: list[list[int]] = [[] for _ in range(problem.n_acc)]
    end = np.zeros(n)
    mapped = np.zeros(n, dtype=bool)
    acc_free = np.zeros(problem.n_acc)
    pred_groups = [[p for p, _ in problem.preds[g]] for g in range(n)]
    while not mapped.all():
        ready = [g for g in range(n) if not mapped[g] and all(mapped[p] for p in pred_groups[g])]
        ready_t = np.zeros(n)
        for g in ready:
            ready_t[g] = max((end[p] for p in pred_groups[g]), default=0.0)
        by_op: dict[object, list[int]] = {}
        for g in ready:
            by_op.setdefault(problem.layers[g].op, []).append(g)
        for layers in by_op.values():
            accs = [a for a in range(problem.n_acc) if np.isfinite(latency[layers[0], a])]
            if len(accs) > len(layers):
                subsets = [tuple(layers)]
                picks = list(itertools.product(accs, repeat=len(layers)))
            else:
                subsets = list(itertools.combinations(layers, len(accs)))
                picks = list(itertools.product(accs, repeat=len(accs)))
            lay = np.repeat(np.array(subsets), len(picks), axis=0)
            acc = np.tile(np.array(picks), (len(subsets), 1))
            free = np.tile(acc_free, (len(lay), 1))
            rows = np.arange(len(lay))
            starts, ends = np.zeros(lay.shape), np.zeros(lay.shape)
            for j in range(lay.shape[1]):
                s = np.maximum(free[rows, acc[:, j]], ready_t[lay[:, j]])
                e = s + latency[lay[:, j], acc[:, j]]
                free[rows, acc[:, j]] = e
                starts[:, j], ends[:, j] = s, e
            best = int(np.argmin(free.max(axis=1)))
            for j, g in enumerate(lay[best]):
                order[acc[best, j]].append(int(g))
                end[g] = ends[best, j]
                mapped[g] = True
            acc_free = free[best]
    return tuple(tuple(o) for o in order), end


class Pinner:
    """Step 2 per accelerator, cached by the set of layers it holds (step 4 changes two accelerators at a time)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.cache: dict[tuple[int, tuple[int, ...]], frozenset[int]] = {}

    def __call__(self, order: tuple[tuple[int, ...], ...]) -> frozenset[int]:
        pinned: set[int] = set()
        for a, groups in enumerate(order):
            key = (a, tuple(sorted(groups)))
            if key not in self.cache:
                acc = self.problem.system.accelerators[a]
                chosen = knapsack(self.problem.weight_bytes[list(key[1])], acc.local_dram_bytes * self.problem.system.r_wei)
                self.cache[key] = frozenset(key[1][i] for i in chosen)
            pinned |= self.cache[key]
        return frozenset(pinned)


@dataclass
class H2HResult:
    """The schedule after each step (keys 1-4), the moves step 4 accepted, and the search time."""

    steps: dict[int, Schedule]
    moves: list[tuple[str, str, str]] = field(default_factory=list)  # (layer, from, to)
    seconds: float = 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        return {str(k): s.summary() for k, s in self.steps.items()}


def _moved(order: tuple[tuple[int, ...], ...], g: int, src: int, dst: int, anchor: int, after: bool):
    seqs = [list(s) for s in order]
    seqs[src].remove(g)
    pos = seqs[dst].index(anchor) + (1 if after else 0)
    seqs[dst].insert(pos, g)
    return tuple(tuple(s) for s in seqs)


def remap(problem: Problem, start: Schedule, pinner: Pinner, max_passes: int) -> tuple[Schedule, list]:
    """Step 4: greedy data-locality moves, each re-pinned and re-fused, accepted only if the makespan drops."""
    best, moves = start, []
    names = problem.system.names
    for _ in range(max_passes):
        improved = False
        for g in range(problem.n):
            neighbours = [(p, True) for p, _ in problem.preds[g]] + [(h, False) for h, _, _ in problem.succs[g]]
            for other, after in dict.fromkeys(neighbours):
                acc = best.acc
                src, dst = int(acc[g]), int(acc[other])
                if src == dst or not np.isfinite(problem.compute_s[g, dst]):
                    continue
                order = _moved(best.mapping.order, g, src, dst, other, after)
                try:
                    trial = simulate(problem, Mapping(order, pinner(order), best.mapping.fuse))
                except ScheduleError:
                    continue
                if trial.makespan_s < best.makespan_s - EPS_S:
                    best, improved = trial, True
                    moves.append((problem.layers[g].name, names[src], names[dst]))
        if not improved:
            break
    return best, moves


def run_h2h(problem: Problem, max_passes: int = 2) -> H2HResult:
    """All four steps; `max_passes` bounds step 4 (H2H's code runs 2)."""
    began = time.perf_counter()
    order, _ = greedy(problem, host_seconds(problem))
    pinner = Pinner(problem)
    steps = {1: simulate(problem, Mapping(order))}
    pinned = pinner(order)
    steps[2] = simulate(problem, Mapping(order, pinned))
    steps[3] = simulate(problem, Mapping(order, pinned, fuse=True))
    base = steps[3] if steps[3].makespan_s <= steps[2].makespan_s else steps[2]
    steps[4], moves = remap(problem, base, pinner, max_passes)
    return H2HResult(steps, moves, time.perf_counter() - began)
