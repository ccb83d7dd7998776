"""MAESTRO's cluster/iteration-case analysis of one layer (or a batch of layers) under one data-centric dataflow.

The Engine walks the cluster levels (dse.cost.dataflow.levels) from the top: per iteration case a delay of
ingress/egress NoC time and compute (or the slowest sub-cluster's runtime, from the next level's analysis),
overlapped by double buffering and, with MAESTRO's per-step bound, bounded by the off-chip fill time at the top.
Summing cases x occurrences gives runtime, access counts and energy terms; dse.cost.dataflow.metrics turns them into
MAESTRO's metrics and corrects (or, with compat="maestro", keeps) the MAESTRO bugs docs/dataflow.md lists.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dse.cost.dataflow.elementwise import _any, _div, _max, _not, _ratio, _rows, _sel
from dse.cost.dataflow.levels import (
    INIT,
    INPUT,
    OUTPUT,
    OVERLAP,
    WEIGHT,
    Level,
    _State,
    build_levels,
)
from dse.errors import InputError
from dse.hw.directives import Hardware, MaestroLayer


def distinct_rows(cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(first, inverse) of the rows of int columns: the index of each distinct row's first occurrence, in order of
    appearance, and for every row the position of its distinct row in `first`. Columns are packed into one int64
    key per row, renumbered whenever the next column would overflow 62 bits, and the keys are hashed: pandas'
    factorize numbers them in order of appearance in linear time, where sorting rows with np.unique took half of a
    co-design sweep's analysis (benchmarks/explore_speed.py)."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    bits = 0
    for column in cols:
        column = np.asarray(column, dtype=np.int64)
        low = int(column.min())
        width = (int(column.max()) - low).bit_length()
        if width > 62:
            column, low = pd.factorize(column)[0], 0
            width = int(column.max()).bit_length()
        if bits + width > 62:
            key = pd.factorize(key)[0]
            bits = int(key.max()).bit_length()
        key = (key << width) | (column - low)
        bits += width
    inverse = pd.factorize(key)[0]
    seen = np.maximum.accumulate(inverse)  # a row is its code's first when the running maximum steps up
    return np.flatnonzero(np.concatenate(([True], seen[1:] > seen[:-1]))), inverse


@dataclass
class LevelResult:
    runtime: int = 0
    macs: int = 0
    avg_active: float = 0.0
    spatial_occurrences: int = 1
    counts: dict = field(default_factory=dict)  # (buffer "l1"/"l2", "read"/"write", tensor) -> count
    size_req: dict = field(default_factory=dict)  # (buffer, tensor) -> elements
    peak_bw: int = 0
    avg_bw: float = 0.0
    offchip_bw: int = 0
    arithmetic_intensity: float = 0.0
    delay_avg: dict = field(default_factory=dict)

    def add(self, key: tuple, value: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + value


def _appended(bank: dict, rows: int, more: dict, total: int) -> dict:
    """A memo bank's columns (`rows` entries each, along the last axis) followed by `more`'s (the other
    total - rows), 0 where one side lacks a column; a column may carry a machine axis in front."""
    out = {}
    for key in dict.fromkeys([*bank, *more]):
        head, tail = bank.get(key, 0), more.get(key, 0)
        machines = max(np.shape(head)[:-1], np.shape(tail)[:-1], key=len)
        column = np.zeros((*machines, total), dtype=np.result_type(np.asarray(head).dtype, np.asarray(tail).dtype))
        column[..., :rows] = head
        column[..., rows:] = tail
        out[key] = column
    return out


class Engine:
    """Runs the per-level case analysis of one layer on one machine (MAESTRO's AnalyzeClusterLevel_V2), or of a
    batch of layers sharing one dataflow structure when `layer` holds arrays (dse.cost.dataflow.vectorized)."""

    def __init__(self, layer: MaestroLayer, hw: Hardware, batch: int | None = None) -> None:
        self.layer, self.hw, self.batch = layer, hw, batch
        self.levels, self.full, self.tensors = build_levels(layer, hw)
        self._memo: dict[tuple, LevelResult] = {}
        self._bank: dict[tuple, tuple[dict[bytes, int], dict, dict]] = {}
        self._classes: dict[int, np.ndarray] = {}
        self.first: LevelResult | None = None

    def run(self) -> tuple[LevelResult, LevelResult]:
        """(top level, first level analysis completed, i.e. the innermost one): counts come from the former, L1
        sizes from the latter."""
        self._memo, self._bank, self._classes, self.first = {}, {}, {}, None
        if self.batch is None:
            return self.analyze(0, self.full), self.first
        self._first_seen = np.zeros(self.batch, dtype=bool)
        self.first = LevelResult()
        top = self.analyze(0, self.full, np.arange(self.batch))
        return top, self.first

    def analyze(self, idx: int, dims: dict[str, int], rows: np.ndarray | None = None) -> LevelResult:
        """One level on given tile sizes. Lower levels see the same tile sizes in many cases, so one layer's
        results are memoized per (level, sizes); callers get a copy because they set its spatial_occurrences.
        On a batch (`rows`: the batch rows `dims` belong to) every level below the top is memoized per row (see
        _memoized)."""
        if rows is None:
            key = (idx, tuple(sorted(dims.items())))
            if key not in self._memo:
                self._memo[key] = self._analyze(idx, self.levels[idx], dims)
            return dataclasses.replace(self._memo[key])
        if idx > 0:
            return self._memoized(idx, dims, rows)
        return self._analyze(idx, self.levels[0], dims, rows)  # the top level sees every row once

    def _memoized(self, idx: int, dims: dict[str, int], rows: np.ndarray) -> LevelResult:
        """A lower level on a batch, memoized per row across calls: its result depends only on the row's tile
        sizes and the numbers of this level and those below it, and a batch repeats few of those (a mapping
        space's rows share most tile sizes; Eyeriss's middle level sees 7x fewer distinct rows than calls). Rows
        never seen get analysed together. A row analysed for the first time records the first analysis completed
        within (its L1 sizes), which the bank keeps beside each result."""
        cols = [np.broadcast_to(v, rows.shape) for _, v in sorted(dims.items())] + [self._class_below(idx)[rows]]
        first, inverse = distinct_rows(cols)
        keys = np.stack([c[first] for c in cols], axis=1).view(np.dtype((np.void, 8 * len(cols)))).ravel().tolist()
        where = (idx, tuple(sorted(dims)))
        index, bank, firsts = self._bank.get(where, ({}, {}, {}))
        slot = [index.get(k, -1) for k in keys]
        new = [j for j, pos in enumerate(slot) if pos < 0]
        if new:
            reps = first[new]
            res, res_first = self._with_firsts(idx, {k: (v[reps] if isinstance(v, np.ndarray) else v)
                                                     for k, v in dims.items()}, rows[reps])
            old, total = len(index), len(index) + len(new)
            # all the callers read, and all a row seen for the first time records
            bank = _appended(bank, old, {"runtime": res.runtime, "avg_active": res.avg_active}, total)
            firsts = _appended(firsts, old, res_first.size_req, total)
            for pos, j in enumerate(new, start=old):
                index[keys[j]] = slot[j] = pos
            self._bank[where] = (index, bank, firsts)
        picks = np.array(slot, dtype=np.int64)[inverse]
        new_rows = ~self._first_seen[rows]
        if new_rows.any():
            seen = picks[new_rows]
            self._record_first(LevelResult(size_req={k: _rows(v, seen) for k, v in firsts.items()}), rows[new_rows])
        return LevelResult(runtime=_rows(bank["runtime"], picks), avg_active=_rows(bank["avg_active"], picks))

    def _with_firsts(self, idx: int, dims: dict[str, int], rows: np.ndarray) -> tuple[LevelResult, LevelResult]:
        """(result, first): the level's analysis of `rows`, and per row the first analysis completed within it,
        collected as if every row were seen for the first time (the innermost level's is its own result)."""
        level = self.levels[idx].take(rows)
        if idx == len(self.levels) - 1:
            res = self._analyze(idx, level, dims, rows)
            return res, res
        outer = self.first, self._first_seen
        self.first, self._first_seen = LevelResult(), np.zeros(self.batch, dtype=bool)
        try:
            res = self._analyze(idx, level, dims, rows)
            collected = LevelResult(size_req={k: _rows(v, rows) for k, v in self.first.size_req.items()})
        finally:
            self.first, self._first_seen = outer
        return res, collected

    def _class_below(self, idx: int) -> np.ndarray:
        """Per batch row, an id of the numbers of level idx and the levels below it (their directives'
        sizes/offsets, dimensions, units and machine numbers): rows with the same id and the same tile sizes from
        above get the same analysis at level idx."""
        if idx not in self._classes:
            own = []
            for level in self.levels[idx:]:
                own += ([v for m in level.maps for v in (m.size, m.offset)] + list(level.dims.values())
                        + [level.units, level.noc_bw, level.noc_hops, level.simd_lanes])
            arrays = [v for v in own if isinstance(v, np.ndarray) and v.ndim == 1]  # a machine axis is every row's
            self._classes[idx] = distinct_rows(arrays)[1] if arrays else np.zeros(self.batch, dtype=np.int64)
        return self._classes[idx]

    def _sub(self, idx: int, dims: dict[str, int], need, rows: np.ndarray | None) -> LevelResult | None:
        """The next level's runtime and average active units on the rows that need it (None if none does); zeros on
        the other rows."""
        if rows is None:
            return self.analyze(idx, dims) if need else None
        sel = np.flatnonzero(np.broadcast_to(need, rows.shape))
        if not len(sel):
            return None
        sub = {k: (v[sel] if isinstance(v, np.ndarray) else v) for k, v in dims.items()}
        res = self.analyze(idx, sub, rows[sel])
        machines = np.shape(res.runtime)[:-1]  # the runtime has the machine axis if the delays do
        out = LevelResult(runtime=np.zeros((*machines, len(rows)), dtype=np.int64), avg_active=np.zeros(len(rows)))
        out.runtime[..., sel], out.avg_active[sel] = res.runtime, res.avg_active
        return out  # the caller reads only these two

    def _analyze(self, idx: int, level: Level, dims: dict[str, int], rows: np.ndarray | None = None) -> LevelResult:
        res = LevelResult()
        out_dims, in_tensors = self.tensors[OUTPUT], (INPUT, WEIGHT)
        avg_bw_acc, total_occ, case_id, active_acc = 0, 0, 0, 0.0
        for occ, st, exists in level.cases(dims):
            if _any(case_id == 0):
                self._buffer_sizes(res, level, dims, st, (case_id == 0) & exists)
            egress = level.egress(out_dims, st)
            psum_map = level.psum_mapping(out_dims, st)
            res.add(("l2", "write", OUTPUT), occ * egress)
            res.add(("l1", "write", OUTPUT), occ * psum_map)
            res.add(("l1", "read", OUTPUT), occ * psum_map)
            psums = level.critical_psums(out_dims, st)
            valid = (psums > 0) & exists
            if not _any(valid):
                continue
            occ = _sel(valid, occ, 0)  # a case without MACs counts no further (MAESTRO skips it)
            ingress = 0
            for name in in_tensors:
                traffic = level.ingress(self.tensors[name], st)
                ingress = ingress + traffic
                res.add(("l2", "read", name), occ * traffic)
                res.counts[("l1", "write", name)] = res.counts[("l2", "read", name)]
                res.add(("l1", "read", name), occ * psum_map)
            res.arithmetic_intensity = _sel(valid, _ratio(psum_map, ingress, math.inf), res.arithmetic_intensity)
            sp_state = st[level.spatial.dim]
            active = _sel(sp_state.edge, level.edge_units, level.units)
            units = 0
            if idx < len(self.levels) - 1:
                # edge-edge: one analysis of the edge-edge sub-cluster, one of the (edge_units - 1) full ones;
                # otherwise one analysis of every active sub-cluster
                two = sp_state.edge & sp_state.sp_edge_edge
                more = level.edge_units - 1 > 0
                a = self._sub(idx + 1, level.sub_dims(st, True), valid & two, rows)
                b = self._sub(idx + 1, level.sub_dims(st, False), valid & (_not(two) | more), rows)
                occ_b = _sel(two, level.edge_units - 1, active)
                if a is None:
                    compute, units = b.runtime, b.avg_active * occ_b
                elif b is None:
                    compute, units = a.runtime, a.avg_active * 1
                else:
                    compute = _sel(two & more, _max(a.runtime, b.runtime), _sel(two, a.runtime, b.runtime))
                    units = _sel(two, a.avg_active * 1 + _sel(more, b.avg_active * occ_b, 0.0), b.avg_active * occ_b)
            else:
                compute = -(-psums // level.simd_lanes)
            in_delay, out_delay = level.noc_delay(ingress), level.noc_delay(egress)
            if all(s.pos == INIT for s in st.values()):
                delay = compute + in_delay
            else:
                delay = _max(_max(out_delay, compute), in_delay)
            nonzero = _sel(compute == 0, 1, compute)
            if idx == 0:
                out_req = res.size_req.get(("l2", OUTPUT), 0)
                in_req = res.size_req.get(("l2", INPUT), 0) + res.size_req.get(("l2", WEIGHT), 0)
                step_bound = self.hw.step_offchip_bound  # a bool, or per row when a batch sweeps machines
                if _any(step_bound):
                    fill = _max(in_req // self.hw.offchip_bw // 2, out_req // self.hw.offchip_bw // 2)
                    delay = _sel(step_bound, _max(fill, delay), delay)
                if _any(valid & (compute == 0)):
                    raise InputError(
                        f"{self.layer.source}: layer {self.layer.name}: mapping rejected: an iteration case gives a "
                        f"sub-cluster no MACs (zero compute delay), so its bandwidth needs are unbounded; MAESTRO "
                        f"divides by zero here and crashes (the shipped *_rs.m files; use *_rs_frontend.m as YR-P)")
                offchip = _max(_max(res.offchip_bw, out_req // nonzero), in_req // nonzero) // 2
                res.offchip_bw = _sel(valid, offchip, res.offchip_bw)
            res.runtime = res.runtime + occ * delay
            res.macs = res.macs + occ * psum_map
            active_acc = active_acc + _sel(units != 0, units, active) * occ
            res.peak_bw = _sel(valid, _max(res.peak_bw, _max(ingress, egress) // nonzero), res.peak_bw)
            avg_bw_acc = avg_bw_acc + (occ * _max(ingress, egress)) // nonzero
            for key, value in (("ingress", in_delay), ("egress", out_delay), ("compute", nonzero)):
                res.delay_avg[key] = res.delay_avg.get(key, 0) + occ * value
            total_occ = total_occ + occ
            case_id = case_id + valid
        if _any(total_occ):
            res.avg_bw = _ratio(avg_bw_acc, total_occ, 0)
            res.avg_active = _ratio(active_acc, total_occ, 0.0)
            # whole cycles, truncated: MAESTRO stores these means in a `long` (CA_cost-analysis-results.hpp)
            res.delay_avg = {k: _div(v, _max(total_occ, 1)) for k, v in res.delay_avg.items()}
        self._record_first(res, rows)
        return res

    def _record_first(self, res: LevelResult, rows: np.ndarray | None) -> None:
        """Keep each layer's first completed level analysis (its L1 sizes are the ones MAESTRO reports)."""
        if rows is None:
            self.first = self.first or res
            return
        new = ~self._first_seen[rows]
        if new.any():
            target, fresh = rows[new], np.flatnonzero(new)
            for key, value in res.size_req.items():
                if key not in self.first.size_req:
                    self.first.size_req[key] = np.zeros(self.batch, dtype=np.int64)
                self.first.size_req[key][target] = np.broadcast_to(value, rows.shape)[fresh]
            self._first_seen[target] = True

    def _buffer_sizes(self, res: LevelResult, level: Level, dims: dict[str, int], st: dict[str, _State],
                      when=True) -> None:
        """Double-buffered sizes from the first case; L2 fills (tensor sizes) and output reads of the level.
        (MAESTRO repeats this on every case until one has MACs, adding up the L2/L1 input sizes.)"""
        def put(table: dict, key: tuple, value, add: bool = False) -> None:
            old = table.get(key, 0)
            table[key] = _sel(when, old + value if add else value, old)
        for name in (INPUT, WEIGHT):
            tdims = self.tensors[name]
            put(res.size_req, ("l2", name), 2 * level.ingress(tdims, st), add=True)
            put(res.counts, ("l2", "write", name), math.prod(dims.get(d, 1) for d in tdims))
            volume = math.prod(level.mapped[d] for d in tdims if d in level.mapped)
            put(res.size_req, ("l1", name), 2 * volume, add=True)
        tdims = self.tensors[OUTPUT]
        size = 1
        for d in tdims:
            if d in OVERLAP and level.overlapped:
                size = size * (dims.get(d, 1) - dims.get(OVERLAP[d], 1) + 1)
            else:
                size = size * dims.get(d, 1)
        put(res.size_req, ("l2", OUTPUT), 2 * level.egress(tdims, st))
        put(res.counts, ("l2", "read", OUTPUT), size)
        put(res.size_req, ("l1", OUTPUT), 2 * math.prod(level.mapped[d] for d in tdims if d in level.mapped))
