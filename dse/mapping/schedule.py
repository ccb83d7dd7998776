"""Simulate a mapping: per-layer host transfers, compute, link contention, start/end times, makespan and energy.

Each layer runs on its accelerator in three back-to-back phases, as in H2H's `getLayerPerf`: load (weights unless
pinned in local DRAM, plus every input tensor not fused), compute (the sub-accelerator model), store (every output
tensor some consumer reads from host memory, plus model outputs). The accelerator is held for the whole span.

Links and contention. Every accelerator has its own host link of `link_bw_bytes_per_s`; its transfers never
overlap each other because its phases are sequential. With `host_port_bw_bytes_per_s` finite, all host links also
share the host port: each transfer takes min(link rate, port capacity left over by transfers reserved before it),
re-evaluated wherever an earlier reservation starts or ends (first come, first served by the order layers become
ready; an earlier reservation keeps its rate). A tensor between two accelerators joined by a P2P link goes over
that link instead (sent in the producer's store phase; the consumer skips the host read); P2P links contend the
same way. Fusion: when a consumer runs right after its producer on the same accelerator, that tensor stays local
(no store, no load).

Energy = sum over layers of busy power x span + idle power x (makespan - busy time) per accelerator + bytes on
host and P2P links x their energy per byte.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dse.mapping.problem import Problem

PHASES = ("load", "compute", "store")


class ScheduleError(ValueError):
    """The per-accelerator order contradicts the data dependencies (a layer waits on one queued behind it)."""


@dataclass(frozen=True)
class Mapping:
    """Which layers run where, in which order, whose weights are pinned, and whether adjacent layers fuse."""

    order: tuple[tuple[int, ...], ...]  # per accelerator, group indices in execution order
    pinned: frozenset[int] = frozenset()
    fuse: bool = False

    def assignment(self, n: int) -> np.ndarray:
        acc = np.full(n, -1)
        for a, groups in enumerate(self.order):
            acc[list(groups)] = a
        return acc


class _Link:
    """Reservation profile of a shared link: piecewise-constant rate in use, as a sorted list of (time, delta)."""

    def __init__(self, capacity: float) -> None:
        self.capacity = capacity
        self.events: list[tuple[float, float]] = []

    def transfer(self, t0: float, nbytes: float, cap: float) -> float:
        """Reserve `nbytes` from `t0` at up to `cap` bytes/s; returns the finish time."""
        if nbytes <= 0:
            return t0
        if math.isinf(self.capacity):
            return t0 + nbytes / cap
        used, points = 0.0, []
        for t, delta in self.events:
            if t <= t0:
                used += delta
            else:
                points.append((t, delta))
        t, left, reserved = t0, nbytes, []
        for t_next, delta in points + [(math.inf, 0.0)]:
            rate = min(cap, max(self.capacity - used, 0.0))
            if rate > 0 and left <= rate * (t_next - t):
                reserved.append((t, t + left / rate, rate))
                t, left = t + left / rate, 0.0
                break
            if rate > 0:
                reserved.append((t, t_next, rate))
                left -= rate * (t_next - t)
            t, used = t_next, used + delta
        for start, end, rate in reserved:
            insort(self.events, (start, rate))
            insort(self.events, (end, -rate))
        return t


@dataclass
class Schedule:
    """Times per layer (group) and totals. `phase_*` arrays hold each phase's [start, end] in seconds."""

    problem: Problem
    mapping: Mapping
    acc: np.ndarray
    start: np.ndarray
    load_end: np.ndarray
    compute_end: np.ndarray
    end: np.ndarray
    load_bytes: np.ndarray
    store_bytes: np.ndarray
    p2p_bytes: np.ndarray
    energy_busy_j: float
    energy_idle_j: float
    energy_link_j: float

    @property
    def makespan_s(self) -> float:
        return float(self.end.max())

    @property
    def energy_j(self) -> float:
        return self.energy_busy_j + self.energy_idle_j + self.energy_link_j

    @property
    def compute_s(self) -> float:
        """Sum over layers of compute time (without transfers)."""
        return float((self.compute_end - self.load_end).sum())

    def utilization(self) -> dict[str, float]:
        """Fraction of the makespan each accelerator spends computing."""
        names = self.problem.system.names
        busy = np.bincount(self.acc, weights=self.compute_end - self.load_end, minlength=len(names))
        return {name: float(b / self.makespan_s) for name, b in zip(names, busy)}

    def table(self) -> pd.DataFrame:
        """Tidy schedule: one row per (layer, phase) with its accelerator, times and bytes moved."""
        names = self.problem.system.names
        rows = []
        bounds = (self.start, self.load_end, self.compute_end, self.end)
        moved = (self.load_bytes, np.zeros_like(self.load_bytes), self.store_bytes + self.p2p_bytes)
        for g, layer in enumerate(self.problem.layers):
            for k, phase in enumerate(PHASES):
                rows.append({"layer": layer.name, "op": layer.op.value, "backbone": self.problem.backbone[g],
                             "accelerator": names[self.acc[g]], "phase": phase, "start_s": float(bounds[k][g]),
                             "end_s": float(bounds[k + 1][g]), "bytes": float(moved[k][g]),
                             "pinned": g in self.mapping.pinned})
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, float]:
        return {"latency_s": self.makespan_s, "energy_j": self.energy_j, "compute_s": self.compute_s,
                "host_bytes": float(self.load_bytes.sum() + self.store_bytes.sum()),
                "p2p_bytes": float(self.p2p_bytes.sum()), "pinned_layers": len(self.mapping.pinned)}


def fused_edges(mapping: Mapping) -> set[tuple[int, int]]:
    """Pairs (producer, consumer) adjacent on one accelerator; only those that are also data edges fuse."""
    if not mapping.fuse:
        return set()
    return {(seq[i - 1], seq[i]) for seq in mapping.order for i in range(1, len(seq))}


def simulate(problem: Problem, mapping: Mapping) -> Schedule:
    """List-schedule the mapping: a layer starts once its accelerator is free and its inputs are in place."""
    n, system = problem.n, problem.system
    acc = mapping.assignment(n)
    if (acc < 0).any():
        raise ScheduleError(f"layer {problem.layers[int(np.argmax(acc < 0))].name!r} is not mapped")
    if np.isinf(problem.compute_s[np.arange(n), acc]).any():
        g = int(np.argmax(np.isinf(problem.compute_s[np.arange(n), acc])))
        raise ScheduleError(f"layer {problem.layers[g].name!r} mapped to {system.names[acc[g]]!r}, which cannot run it")
    fused = fused_edges(mapping)
    p2p = {}
    for link in system.p2p:
        a, b = system.index(link.a), system.index(link.b)
        p2p[(a, b)] = p2p[(b, a)] = (_Link(link.bw_bytes_per_s), link)
    host = _Link(system.host_port_bw_bytes_per_s)
    link_bw = [a.link_bw_bytes_per_s for a in system.accelerators]

    nxt = np.full(n, -1)
    waiting = np.array([len(problem.preds[g]) for g in range(n)])
    for seq in mapping.order:
        for i in range(1, len(seq)):
            nxt[seq[i - 1]] = seq[i]
            waiting[seq[i]] += 1
    start, load_end, compute_end, end = (np.zeros(n) for _ in range(4))
    load_bytes, store_bytes, p2p_bytes = np.zeros(n), np.zeros(n), np.zeros(n)
    acc_free = np.zeros(problem.n_acc)
    ready_at = np.zeros(n)
    heap = [(0.0, g) for g in range(n) if waiting[g] == 0]
    heapq.heapify(heap)
    link_energy, done = 0.0, 0
    while heap:
        t0, g = heapq.heappop(heap)
        a = acc[g]
        t0 = max(t0, acc_free[a])
        loads = problem.input_bytes[g] + (0.0 if g in mapping.pinned else problem.weight_bytes[g])
        for p, nbytes in problem.preds[g]:
            if (p, g) not in fused and (acc[p], a) not in p2p:
                loads += nbytes
        t = host.transfer(t0, loads, link_bw[a])
        start[g], load_end[g], load_bytes[g] = t0, t, loads
        t += problem.compute_s[g, a]
        compute_end[g] = t
        to_host, direct = set(), {}
        for h, tensor, nbytes in problem.succs[g]:
            if (g, h) in fused:
                continue
            if (a, acc[h]) in p2p:
                direct[(tensor, acc[h])] = nbytes
            else:
                to_host.add((tensor, nbytes))
        stores = problem.sink_bytes[g] + sum(b for _, b in to_host)
        t = host.transfer(t, stores, link_bw[a])
        for (tensor, b), nbytes in direct.items():
            link, spec = p2p[(a, b)]
            t = link.transfer(t, nbytes, spec.bw_bytes_per_s)
            p2p_bytes[g] += nbytes
            link_energy += nbytes * spec.energy_j_per_byte
        store_bytes[g], end[g] = stores, t
        acc_free[a] = t
        done += 1
        data_succs = {h for h, _, _ in problem.succs[g]}
        followers = data_succs | ({int(nxt[g])} if nxt[g] >= 0 else set())
        for h in data_succs:
            waiting[h] -= 1
        if nxt[g] >= 0:
            waiting[nxt[g]] -= 1
        for h in sorted(followers):
            ready_at[h] = max(ready_at[h], t)
            if waiting[h] == 0:
                waiting[h] = -1
                heapq.heappush(heap, (ready_at[h], h))
    if done < n:
        stuck = next(problem.layers[g].name for g in range(n) if waiting[g] > 0)
        raise ScheduleError(f"the accelerator order deadlocks: layer {stuck!r} waits on a layer queued after it")
    makespan = float(end.max())
    power = np.array([a.design.power_w for a in system.accelerators])
    idle = np.array([a.design.idle_power_w for a in system.accelerators])
    span = np.bincount(acc, weights=end - start, minlength=problem.n_acc)
    host_bytes = float(load_bytes.sum() + store_bytes.sum())
    return Schedule(problem, mapping, acc, start, load_end, compute_end, end, load_bytes, store_bytes, p2p_bytes,
                    energy_busy_j=float((span * power).sum()),
                    energy_idle_j=float(((makespan - span).clip(min=0) * idle).sum()),
                    energy_link_j=host_bytes * system.link_energy_j_per_byte + link_energy)
