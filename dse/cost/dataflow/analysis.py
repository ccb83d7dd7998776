"""MAESTRO's cluster/iteration-case analysis of one layer under one data-centric dataflow.

Each cluster level maps the level's dimensions onto `units` sub-clusters. Its temporal steps fall into classes
("iteration cases": first step, steady steps, edge step of every directive) with occurrence counts. Per case we count
the new data each sub-cluster needs (temporal and spatial reuse, multicast), the outputs sent up, the MACs, and a
delay: ingress/egress NoC time, compute (or the slowest sub-cluster's runtime), overlapped by double buffering,
bounded by the off-chip fill time at the top. Summing cases x occurrences gives runtime, access counts and energy.

The case arithmetic follows MAESTRO (commit 4eb08d17c87c) closely, including the order it visits cases in, so that
the numbers agree with it; dse.cost.dataflow.metrics corrects (or, with compat="maestro", keeps) the MAESTRO bugs
docs/dataflow.md lists.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from dse.cost.dataflow.directives import CLUSTER, SPATIAL, TEMPORAL, Directive, Hardware, MaestroLayer
from dse.errors import InputError

INIT, STEADY, EDGE = 0, 1, 2
INPUT, WEIGHT, OUTPUT = "input", "filter", "output"
OVERLAP = {"Y": "R", "X": "S"}  # reference (input) dimension -> sliding (filter) dimension
OUT_OF = {"Y": "Y'", "X": "X'"}


def _div(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero), which MAESTRO's counts rely on."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def tensors(layer_type: str, has_n: bool) -> dict[str, tuple[str, ...]]:
    """Dimensions each tensor is indexed by. Outputs are indexed by input-side Y, X (MAESTRO's convention)."""
    n = ("N",) if has_n else ()
    if layer_type == "GEMM":
        return {INPUT: ("M", "K"), WEIGHT: ("K", "N"), OUTPUT: ("M", "N")}
    if layer_type == "DSCONV":
        return {INPUT: n + ("C", "Y", "X"), WEIGHT: ("C", "R", "S"), OUTPUT: n + ("C", "Y", "X")}
    return {INPUT: n + ("C", "Y", "X"), WEIGHT: ("K", "C", "R", "S"), OUTPUT: n + ("K", "Y", "X")}


@dataclass
class _Map:
    kind: str
    size: int
    offset: int
    dim: str


@dataclass(frozen=True)
class _State:
    pos: int
    occurrences: int
    unrolled: bool = False
    init_edge: bool = False
    sp_edge_edge: bool = False

    @property
    def edge(self) -> bool:
        return self.pos == EDGE or self.init_edge


class Level:
    """One cluster level: its directives, unit count, static tile sizes and per-dimension mapped/unique sizes."""

    def __init__(self, maps: list[_Map], dims: dict[str, int], units: int, overlapped: bool) -> None:
        self.maps, self.dims, self.units, self.overlapped = maps, dims, units, overlapped
        self.index = {m.dim: i for i, m in reversed(list(enumerate(maps)))}
        spatial = [i for i, m in enumerate(maps) if m.kind == SPATIAL]
        if not spatial:
            raise InputError("a cluster level has no SpatialMap: " + "; ".join(str(_d(m)) for m in maps))
        if len(spatial) > 2:
            raise InputError("more than two SpatialMaps in one cluster level: " + "; ".join(str(_d(m)) for m in maps))
        self.spatial = maps[spatial[0]]
        self.edge_units = self._edge_units()
        self._mapping_sizes()

    def size(self, dim: str) -> int:
        return self.dims.get(dim, 1)

    def _edge_units(self) -> int:
        sp, n = self.spatial, self.units
        total = self.size(sp.dim)
        if total <= sp.size:
            return 1
        if total > sp.offset * (n - 1) + sp.size:
            steady = _div(_div(total - sp.size, sp.offset) + 1, n) - 1
            remaining = total - (steady + 1) * sp.offset * n
            return 1 if remaining < sp.size else _div(remaining - sp.size, sp.offset) + 1
        units = _div(total - sp.size, sp.offset) + 1
        return units + 1 if sp.offset * (units - 1) + sp.size < total else units

    def _mapping_sizes(self) -> None:
        self.mapped, self.unique, self.mapped_edge, self.unique_edge = {}, {}, {}, {}
        for m in self.maps:
            total = self.size(m.dim)
            steady = max(_div(total - m.size, m.offset), 0)
            has_edge = steady * m.offset + m.size < total or m.size > total
            self.mapped[m.dim] = m.size
            self.unique[m.dim] = 0 if (m.kind == TEMPORAL and total <= m.size) else min(m.size, m.offset)
            edge = total - (steady + 1) * m.offset
            edge = total if edge < 0 else edge
            self.mapped_edge[m.dim] = edge if has_edge else m.size
            self.unique_edge[m.dim] = max(m.offset - (m.size - edge), 0)
        if self.overlapped:
            for m in self.maps:
                if m.dim in OVERLAP:
                    out, slide = OUT_OF[m.dim], OVERLAP[m.dim]
                    self.mapped[out] = self.mapped[m.dim] - self.mapped.get(slide, 0) + 1
                    self.unique[out] = min(m.offset, m.size)
                    self.mapped_edge[out] = self.mapped_edge[m.dim] - self.mapped_edge.get(slide, 0) + 1
                    self.unique_edge[out] = min(m.offset, self.mapped_edge[out])

    # ---- iteration cases ----------------------------------------------------------------------------------
    def cases(self, dims: dict[str, int]) -> list[tuple[int, dict[str, _State]]]:
        """(occurrences, state per dimension) for every iteration case, in MAESTRO's visiting order."""
        per_map = [self._states(m, dims.get(m.dim, 1)) for m in self.maps]
        freq, acc = [], 1
        for states in reversed(per_map):
            freq.append(acc)
            acc *= len(states)
        freq.reverse()
        counters = [0] * len(per_map)
        out = []
        for case in range(acc):
            status, occ = {}, 1
            for i, states in enumerate(per_map):
                state = states[counters[i]]
                status[self.maps[i].dim] = state
                occ *= state.occurrences
                if case % freq[i] == 0:
                    counters[i] = 0 if counters[i] + 1 == len(states) else counters[i] + 1
            out.append((occ, status))
        return out

    def _states(self, m: _Map, total: int) -> list[_State]:
        if m.kind == TEMPORAL:
            states = [_State(INIT, 1, total <= m.size, total < m.size)]
            steady = _div(total - m.size, m.offset)
            if m.size < total and steady > 0:
                states.append(_State(STEADY, steady))
            if not total < m.size and steady * m.offset + m.size < total:
                states.append(_State(EDGE, 1))
            return states
        n = self.units
        cover = m.size + m.offset * (n - 1)
        init_edge = total < cover
        states = [_State(INIT, 1, total <= cover, init_edge, init_edge)]
        steady = _div(_div(total - m.size, m.offset) + 1, n) - 1
        has_edge = (not total <= cover and (steady + 1) * m.offset * n + cover > total
                    and steady * m.offset * n + cover != total)
        if cover < total and steady > 0:
            states.append(_State(STEADY, steady))
        remaining = total - (steady + 1) * m.offset * n
        active = 1 if remaining < m.size else _div(remaining - m.size, m.offset) + 1
        edge_edge = (active - 1) * m.offset + m.size < remaining
        if not init_edge and has_edge:
            states.append(_State(EDGE, 1, sp_edge_edge=edge_edge))
        return states

    # ---- per-PE volumes -----------------------------------------------------------------------------------
    def pe_mapped(self, dims: tuple[str, ...], st: dict[str, _State], first: bool, see: bool) -> int:
        ret = 1
        for m in self.maps:
            if m.dim not in dims:
                continue
            s = st[m.dim]
            if m.kind == TEMPORAL:
                ret *= self.mapped_edge[m.dim] if s.edge else self.mapped[m.dim]
            elif s.edge:
                if self.edge_units == 1 and (first or see):
                    ret *= self.mapped_edge[m.dim]
                elif self.edge_units > 1:
                    ret *= self.mapped_edge[m.dim] if see else self.mapped[m.dim]
            else:
                ret *= self.mapped[m.dim]
        return ret

    def pe_ingress(self, dims: tuple[str, ...], st: dict[str, _State], first: bool, see: bool) -> int:
        """New elements of an input tensor one sub-cluster needs in this case (temporal and spatial reuse)."""
        changing = -1
        for i, m in enumerate(self.maps):
            if st[m.dim].pos != INIT:
                changing = i
        if changing == -1:
            return self.pe_mapped(dims, st, first, see)
        inited = any(st[m.dim].pos == INIT and m.dim in dims and i > changing and not st[m.dim].unrolled
                     for i, m in enumerate(self.maps))
        ret, moving = 1, False
        for i, m in enumerate(self.maps):
            if m.dim not in dims:
                continue
            s, d = st[m.dim], m.dim
            is_changing = i == changing
            moving |= is_changing
            if m.kind == TEMPORAL:
                if s.pos == INIT:
                    ret *= self.mapped_edge[d] if s.edge else self.mapped[d]
                elif is_changing and not inited:
                    ret *= max(self.unique[d], 1)
                else:
                    ret *= self.mapped[d]
                continue
            mapped = self.mapped_edge[d] if see else self.mapped[d]
            unique = self.unique_edge[d] if see else self.unique[d]
            if first:
                ret *= mapped
            elif s.pos == INIT:
                ret *= mapped if i <= changing else unique
            else:
                ret *= unique if (not inited and is_changing) else mapped
        return ret if moving else 0

    def pe_egress(self, dims: tuple[str, ...], st: dict[str, _State], psums: bool, first: bool, see: bool,
                  reuse_at_edge: bool = True) -> int:
        """Outputs one sub-cluster sends up (or, with psums, the MACs on its critical path)."""
        ret = 1
        if psums:
            for m in self.maps:
                if m.dim in dims:
                    continue
                s = st[m.dim]
                if m.kind == TEMPORAL:
                    ret *= self.mapped_edge[m.dim] if s.edge else self.mapped[m.dim]
                else:
                    ret *= self._spatial_out(m.dim, s, first, see, init_edge_unique=False)
        for d in dims:
            m = self.maps[self.index[d]] if d in self.index else None
            if m is None:
                continue
            s, actual = st[d], OUT_OF.get(d, d)
            if m.kind == TEMPORAL:
                if s.pos == INIT:
                    ret *= self.mapped_edge.get(actual, 0) if s.edge else self.mapped.get(actual, 0)
                elif s.pos == STEADY:
                    ret *= self.mapped.get(actual, 0)
                else:
                    ret *= self.mapped_edge.get(actual, 0)
            else:
                ret *= self._spatial_out(d, s, first, see, init_edge_unique=reuse_at_edge)
        return ret

    def _spatial_out(self, dim: str, s: _State, first: bool, see: bool, init_edge_unique: bool) -> int:
        """Factor of a spatially mapped dimension in an egress or partial-sum volume (keys: output-side name)."""
        actual = OUT_OF.get(dim, dim)
        unique = self.unique.get(actual, 0) or 1
        if s.pos == EDGE or (s.pos == INIT and s.edge and see):
            if self.edge_units == 1 and (first or see):
                # At an Edge position MAESTRO reads the input-side key (a typo for the output key); kept for agreement.
                return self.mapped_edge.get(dim if s.pos == EDGE else actual, 0)
            if self.edge_units > 1:
                if see:
                    use_unique = s.pos == EDGE or init_edge_unique
                    return self.unique_edge.get(actual, 0) if use_unique else self.mapped_edge.get(actual, 0)
                return self.mapped.get(actual, 0) if first else unique
            return 1
        return self.mapped.get(actual, 0) if first else unique

    # ---- whole sub-cluster array --------------------------------------------------------------------------
    def _spatial_state(self, dims: tuple[str, ...], st: dict[str, _State]) -> tuple[_State | None, bool]:
        """State of the (last) spatially mapped dimension among `dims`, and whether any of them is at an edge."""
        found, edge = None, False
        for d in dims:
            if d in self.index and self.maps[self.index[d]].kind == SPATIAL:
                found = st[d]
                edge |= found.edge
        return found, edge

    def _over_units(self, volume, sp: _State | None, edge: bool) -> int:
        """Sum a per-unit volume(first, edge_edge) over the active sub-clusters (first, full ones, edge-edge one)."""
        if sp is None:
            return volume(True, False)
        if not edge:
            return volume(True, False) + (self.units - 1) * volume(False, False)
        ret = volume(True, True) if (self.edge_units == 1 and sp.sp_edge_edge) else volume(True, False)
        if self.edge_units > 1:
            see = 1 if sp.sp_edge_edge else 0
            ret += max(self.edge_units - see - 1, 0) * volume(False, False) + see * volume(False, True)
        return ret

    def ingress(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """Elements of an input tensor sent from the upper buffer to the sub-clusters in this case."""
        return self._over_units(lambda f, e: self.pe_ingress(dims, st, f, e), *self._spatial_state(dims, st))

    def egress(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """Output elements sent up from the sub-clusters in this case."""
        return self._over_units(lambda f, e: self.pe_egress(dims, st, False, f, e), *self._spatial_state(dims, st))

    def critical_psums(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """MACs of one sub-cluster on the critical path (the compute delay at the innermost level)."""
        sp, edge = self._spatial_state(dims, st)
        if sp is None or not edge:
            return self.pe_egress(dims, st, True, True, False)
        return self.pe_egress(dims, st, True, True, self.edge_units == 1 and sp.sp_edge_edge)

    def psum_mapping(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """MACs over the whole sub-cluster array in this case."""
        sp = None
        edge = False
        for d in dims:
            if d in self.index and self.maps[self.index[d]].kind == SPATIAL:
                sp = st[d]
                edge |= sp.edge
        for m in self.maps:
            if m.kind == SPATIAL:
                sp = st[m.dim]
                edge |= sp.edge
        n = self.units
        if sp is None or not edge:
            return n * self.pe_egress(dims, st, True, True, False)
        ret = self.pe_egress(dims, st, True, True, self.edge_units == 1 and sp.sp_edge_edge)
        if self.edge_units > 1:
            see = 1 if sp.sp_edge_edge else 0
            ret += max(self.edge_units - see - 1, 0) * self.pe_egress(dims, st, True, True, False)
            ret += see * self.pe_egress(dims, st, True, False, True, reuse_at_edge=False)
        return ret

    def sub_dims(self, st: dict[str, _State], see: bool) -> dict[str, int]:
        """Tile sizes a sub-cluster sees in this case (MAESTRO's ConstructSubClusterDimension)."""
        out: dict[str, int] = {}
        for m in self.maps:
            s, d = st[m.dim], m.dim
            if m.kind == TEMPORAL:
                size = self.mapped_edge[d] if s.edge else self.mapped[d]
            elif s.pos == STEADY or (s.pos == INIT and not s.edge):
                size = self.mapped[d]
            else:
                size = self.mapped_edge[d] if (self.edge_units == 1 or see) else self.mapped[d]
            out.setdefault(d, size)
        for ref, slide in OVERLAP.items():
            if ref in out and self.overlapped:
                out.setdefault(OUT_OF[ref], out[ref] - out.get(slide, 1) + 1)
        return out


def _d(m: _Map) -> Directive:
    return Directive(m.kind, m.size, m.offset, m.dim)


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


def build_levels(layer: MaestroLayer, num_pes: int) -> tuple[list[Level], dict[str, int], dict[str, tuple[str, ...]]]:
    """Split the dataflow at its Cluster directives into levels, completing each level's directives as MAESTRO does:
    Y'/X' become input coordinates, a level inherits missing directives from the one above, input dimensions named
    nowhere are mapped whole, and a strided Y/X map covering the whole filter is widened to the stride."""
    full = layer.dim
    has_n = "N" in full
    tens = tensors(layer.type, has_n)
    input_vars = sorted(set(tens[INPUT]) | set(tens[WEIGHT]))
    overlapped = layer.type in ("CONV", "DSCONV")
    strides = {"Y": layer.stride_y, "X": layer.stride_x}
    clusters = [d.size for d in layer.dataflow if d.kind == CLUSTER]
    grouped = math.prod(clusters)
    if grouped > num_pes:
        raise InputError(f"{layer.source}: token 'Cluster({clusters[0]},P)': clusters group {grouped} PEs but the "
                         f"machine has {num_pes}")
    flow = list(layer.dataflow) + [Directive(CLUSTER, clusters[-1] if clusters else num_pes)]
    unit_sizes = [num_pes // grouped] + clusters
    levels: list[Level] = []
    dims, current, previous = dict(full), [], None
    for directive in flow:
        if directive.kind != CLUSTER:
            current.append(_Map(directive.kind, directive.size, directive.offset, directive.dim))
            continue
        _input_centric(current, dims)
        names = {m.dim for m in current}
        if previous is not None:
            for upper in previous:
                if upper.dim not in names:
                    current.insert(0, _Map(TEMPORAL, upper.size, upper.offset, upper.dim))
                    names.add(upper.dim)
        for var in input_vars:
            if var not in names and var in dims:
                current.append(_Map(TEMPORAL, dims[var], dims[var], var))
        is_top = not levels
        for m in current:
            stride = strides.get(m.dim, 1)
            slide = OVERLAP.get(m.dim)
            if overlapped and slide and stride != 1 and m.size >= full.get(slide, 1):
                filt = full.get(slide, 1)
                out_map = (m.size + stride - filt) // stride
                m.size = out_map * min(stride, filt) + max(filt - stride, 0)
                m.offset = out_map * (filt if (not is_top and filt < stride) else stride)
        levels.append(Level(current, dims, unit_sizes[len(levels)], overlapped))
        index = {m.dim: m for m in reversed(current)}
        dims = {var: min(index[var].size, dims[var]) for var in input_vars if var in index and var in dims}
        previous, current = current, []
    return levels, full, tens


def _input_centric(maps: list[_Map], dims: dict[str, int]) -> None:
    """Directives on output rows/columns (Y', X') become input ones: size + filter - 1, same offset."""
    for out, inp, filt in (("Y'", "Y", "R"), ("X'", "X", "S")):
        names = {m.dim for m in maps}
        for m in maps:
            if m.dim == out and inp not in names:
                filt_size = next((f.size for f in maps if f.dim == filt), dims.get(filt, 1))
                m.dim, m.size = inp, m.size + filt_size - 1


class Engine:
    """Runs the per-level case analysis of one layer on one machine (MAESTRO's AnalyzeClusterLevel_V2)."""

    def __init__(self, layer: MaestroLayer, hw: Hardware) -> None:
        self.layer, self.hw = layer, hw
        self.levels, self.full, self.tensors = build_levels(layer, hw.num_pes)
        self.results: list[LevelResult] = []
        self._memo: dict[tuple, LevelResult] = {}

    def noc_delay(self, traffic: int) -> int:
        return self.hw.noc_hops + (-(-traffic // self.hw.noc_bw)) - 1

    def run(self) -> tuple[LevelResult, LevelResult]:
        """(top level, first innermost level analysed): counts come from the former, L1 sizes from the latter."""
        self.results, self._memo = [], {}
        top = self.analyze(0, self.full)
        return top, self.results[0]

    def analyze(self, idx: int, dims: dict[str, int]) -> LevelResult:
        """One level on given tile sizes. Lower levels see the same tile sizes in many cases, so results are
        memoized per (level, sizes); callers get a copy because they set its spatial_occurrences."""
        key = (idx, tuple(sorted(dims.items())))
        if key not in self._memo:
            self._memo[key] = self._analyze(idx, dims)
        return dataclasses.replace(self._memo[key])

    def _analyze(self, idx: int, dims: dict[str, int]) -> LevelResult:
        level, res = self.levels[idx], LevelResult()
        out_dims, in_tensors = self.tensors[OUTPUT], (INPUT, WEIGHT)
        avg_bw_acc, total_occ, case_id, active_acc = 0, 0, 0, 0.0
        for occ, st in level.cases(dims):
            if case_id == 0:
                self._buffer_sizes(res, level, dims, st)
            egress = level.egress(out_dims, st)
            psum_map = level.psum_mapping(out_dims, st)
            res.add(("l2", "write", OUTPUT), occ * egress)
            res.add(("l1", "write", OUTPUT), occ * psum_map)
            res.add(("l1", "read", OUTPUT), occ * psum_map)
            psums = level.critical_psums(out_dims, st)
            if psums <= 0:
                continue
            ingress = 0
            for name in in_tensors:
                traffic = level.ingress(self.tensors[name], st)
                ingress += traffic
                res.add(("l2", "read", name), occ * traffic)
                res.counts[("l1", "write", name)] = res.counts[("l2", "read", name)]
                res.add(("l1", "read", name), occ * psum_map)
            res.arithmetic_intensity = psum_map / ingress if ingress else math.inf
            sp_state = st[level.spatial.dim]
            active = level.edge_units if sp_state.edge else level.units
            subs: list[LevelResult] = []
            if idx < len(self.levels) - 1:
                if sp_state.edge and sp_state.sp_edge_edge:
                    subs.append(self.analyze(idx + 1, level.sub_dims(st, True)))
                    if level.edge_units - 1 > 0:
                        subs.append(self.analyze(idx + 1, level.sub_dims(st, False)))
                        subs[-1].spatial_occurrences = level.edge_units - 1
                else:
                    subs.append(self.analyze(idx + 1, level.sub_dims(st, False)))
                    subs[-1].spatial_occurrences = level.edge_units if sp_state.edge else level.units
                compute = max(s.runtime for s in subs)
            else:
                compute = -(-psums // self.hw.simd_lanes)
            in_delay, out_delay = self.noc_delay(ingress), self.noc_delay(egress)
            if all(s.pos == INIT for s in st.values()):
                delay = compute + in_delay
            else:
                delay = max(out_delay, compute, in_delay)
            if idx == 0:
                out_req = res.size_req.get(("l2", OUTPUT), 0)
                in_req = res.size_req.get(("l2", INPUT), 0) + res.size_req.get(("l2", WEIGHT), 0)
                delay = max(in_req // self.hw.offchip_bw // 2, delay, out_req // self.hw.offchip_bw // 2)
                if compute == 0:
                    raise InputError(
                        f"{self.layer.source}: layer {self.layer.name}: mapping rejected: an iteration case gives a "
                        f"sub-cluster no MACs (zero compute delay), so its bandwidth needs are unbounded; MAESTRO "
                        f"divides by zero here and crashes (the shipped *_rs.m files; use *_rs_frontend.m as YR-P)")
                res.offchip_bw = max(res.offchip_bw, out_req // compute, in_req // compute) // 2
            res.runtime += occ * delay
            res.macs += occ * psum_map
            units = sum(s.avg_active * s.spatial_occurrences for s in subs)
            active_acc += (units if units != 0 else active) * occ
            compute = compute or 1
            res.peak_bw = max(res.peak_bw, max(ingress, egress) // compute)
            avg_bw_acc += (occ * max(ingress, egress)) // compute
            for key, value in (("ingress", in_delay), ("egress", out_delay), ("compute", compute)):
                res.delay_avg[key] = res.delay_avg.get(key, 0) + occ * value
            total_occ += occ
            case_id += 1
        if total_occ:
            res.avg_bw = avg_bw_acc / total_occ
            res.avg_active = active_acc / total_occ
            res.delay_avg = {k: v / total_occ for k, v in res.delay_avg.items()}
        self.results.append(res)
        return res

    def _buffer_sizes(self, res: LevelResult, level: Level, dims: dict[str, int], st: dict[str, _State]) -> None:
        """Double-buffered sizes from the first case; L2 fills (tensor sizes) and output reads of the level."""
        for name in (INPUT, WEIGHT):
            tdims = self.tensors[name]
            res.size_req[("l2", name)] = res.size_req.get(("l2", name), 0) + 2 * level.ingress(tdims, st)
            res.counts[("l2", "write", name)] = math.prod(dims.get(d, 1) for d in tdims)
            volume = math.prod(level.mapped[d] for d in tdims if d in level.mapped)
            res.size_req[("l1", name)] = res.size_req.get(("l1", name), 0) + 2 * volume
        tdims = self.tensors[OUTPUT]
        size = 1
        for d in tdims:
            if d in OVERLAP and level.overlapped:
                size *= dims.get(d, 1) - dims.get(OVERLAP[d], 1) + 1
            else:
                size *= dims.get(d, 1)
        res.size_req[("l2", OUTPUT)] = 2 * level.egress(tdims, st)
        res.counts[("l2", "read", OUTPUT)] = size
        res.size_req[("l1", OUTPUT)] = 2 * math.prod(level.mapped[d] for d in tdims if d in level.mapped)
