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

import numpy as np

from dse.cost.dataflow.directives import CLUSTER, SPATIAL, TEMPORAL, Directive, Hardware, MaestroLayer
from dse.errors import InputError

INIT, STEADY, EDGE = 0, 1, 2
INPUT, WEIGHT, OUTPUT = "input", "filter", "output"
OVERLAP = {"Y": "R", "X": "S"}  # reference (input) dimension -> sliding (filter) dimension
OUT_OF = {"Y": "Y'", "X": "X'"}

# The equations below run on Python ints (one layer) or on numpy arrays over a batch of layers that share one
# dataflow structure (dse.cost.dataflow.vectorized). Size-dependent choices go through these helpers, which branch
# on a Python bool and select elementwise on an array. Which iteration cases exist is per row too: a case missing on
# a row has 0 occurrences there and is masked out of every running value (Level.cases, `exists`).


def _is_array(a, b) -> bool:
    return type(a) is np.ndarray or type(b) is np.ndarray


def _sel(cond, a, b):
    """`a if cond else b`, elementwise when cond is an array."""
    if cond is True:  # the scalar path's conditions are Python bools: answer them before any type test
        return a
    if cond is False:
        return b
    if isinstance(cond, np.ndarray):
        return np.where(cond, a, b)
    return a if cond else b


def _any(cond) -> bool:
    if cond is True or cond is False:
        return cond
    return bool(np.any(cond)) if isinstance(cond, np.ndarray) else bool(cond)


def _not(cond):
    if cond is True or cond is False:
        return not cond
    return np.logical_not(cond) if isinstance(cond, np.ndarray) else not cond


def _max(a, b):
    return np.maximum(a, b) if _is_array(a, b) else (b if b > a else a)


def _min(a, b):
    return np.minimum(a, b) if _is_array(a, b) else (b if b < a else a)


def _ratio(a, b, default):
    """a / b, or `default` where b is 0."""
    if _is_array(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b != 0, np.true_divide(a, np.where(b != 0, b, 1)), default)
    return a / b if b else default


def _div(a, b):
    """C++ integer division (truncates toward zero), which MAESTRO's counts rely on."""
    q = abs(a) // abs(b)
    if _is_array(a, b):
        return np.where((np.asarray(a) >= 0) == (np.asarray(b) > 0), q, -q)
    return q if (a >= 0) == (b > 0) else -q


def _distinct_rows(cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(one row index per distinct row of int columns, each row's distinct index). The columns are packed into one
    int64 per row when their value ranges fit in 62 bits, which np.unique sorts far faster than whole rows."""
    lows = [int(c.min()) for c in cols]
    bits = [(int(c.max()) - low).bit_length() for c, low in zip(cols, lows)]
    if sum(bits) <= 62:
        key = np.zeros(len(cols[0]), dtype=np.int64)
        for c, low, width in zip(cols, lows, bits):
            key = (key << width) | (c - low)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(np.stack(cols, axis=1), axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def visit_order(lengths: list[int]) -> list[tuple[int, ...]]:
    """MAESTRO's order of the iteration cases: one counter per directive (outermost first) over its `lengths[i]`
    states, counter i advancing after every case whose number is a multiple of the product of the inner lengths."""
    freq, total = [], 1
    for n in reversed(lengths):
        freq.append(total)
        total *= n
    freq.reverse()
    counters, out = [0] * len(lengths), []
    for case in range(total):
        out.append(tuple(counters))
        for i, n in enumerate(lengths):
            if case % freq[i] == 0:
                counters[i] = (counters[i] + 1) % n
    return out


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
    """A directive's position in an iteration case; the flags and counts are ints/bools or arrays over a batch."""

    pos: int
    occurrences: int
    unrolled: bool = False
    init_edge: bool = False
    sp_edge_edge: bool = False
    tiles: dict = field(default_factory=dict, compare=False, repr=False)  # dimension -> tile size (Level.tile)

    @property
    def edge(self):
        return True if self.pos == EDGE else self.init_edge


class Level:
    """One cluster level: its directives, unit count, static tile sizes and per-dimension mapped/unique sizes."""

    def __init__(self, maps: list[_Map], dims: dict[str, int], units: int, overlapped: bool, hw: Hardware) -> None:
        self.maps, self.dims, self.units, self.overlapped = maps, dims, units, overlapped
        # the machine's numbers this level's delays use (arrays when a batch sweeps machines)
        self.noc_bw, self.noc_hops, self.simd_lanes = hw.noc_bw, hw.noc_hops, hw.simd_lanes
        self.index = {m.dim: i for i, m in reversed(list(enumerate(maps)))}
        spatial = [i for i, m in enumerate(maps) if m.kind == SPATIAL]
        if not spatial:
            raise InputError("a cluster level has no SpatialMap: " + "; ".join(str(_d(m)) for m in maps))
        if len(spatial) > 2:
            raise InputError("more than two SpatialMaps in one cluster level: " + "; ".join(str(_d(m)) for m in maps))
        self.spatial = maps[spatial[0]]
        self.edge_units = self._edge_units()
        self._mapping_sizes()
        self._cache: dict[tuple, int] = {}  # per-unit factors that depend only on the level (see _spatial_out)

    def take(self, rows: np.ndarray) -> "Level":
        """The level restricted to some rows of a batch (arrays sliced, structure shared)."""
        def cut(v):
            return v[rows] if isinstance(v, np.ndarray) else v
        out = object.__new__(Level)
        out.__dict__.update(self.__dict__)
        out.maps = [_Map(m.kind, cut(m.size), cut(m.offset), m.dim) for m in self.maps]
        out.spatial = next(o for o, m in zip(out.maps, self.maps) if m is self.spatial)
        out.dims = {k: cut(v) for k, v in self.dims.items()}
        for name in ("mapped", "unique", "mapped_edge", "unique_edge"):
            setattr(out, name, {k: cut(v) for k, v in getattr(self, name).items()})
        for name in ("edge_units", "units", "noc_bw", "noc_hops", "simd_lanes"):
            setattr(out, name, cut(getattr(self, name)))
        out._cache = {}
        return out

    def size(self, dim: str) -> int:
        return self.dims.get(dim, 1)

    def noc_delay(self, traffic: int) -> int:
        """Cycles to move `traffic` elements over the NoC: hop latency plus one cycle per bandwidth-sized flit."""
        return self.noc_hops + (-(-traffic // self.noc_bw)) - 1

    def _edge_units(self) -> int:
        sp, n = self.spatial, self.units
        total = self.size(sp.dim)
        steady = _div(_div(total - sp.size, sp.offset) + 1, n) - 1
        remaining = total - (steady + 1) * sp.offset * n
        beyond = _sel(remaining < sp.size, 1, _div(remaining - sp.size, sp.offset) + 1)
        units = _div(total - sp.size, sp.offset) + 1
        within = _sel(sp.offset * (units - 1) + sp.size < total, units + 1, units)
        return _sel(total <= sp.size, 1, _sel(total > sp.offset * (n - 1) + sp.size, beyond, within))

    def _mapping_sizes(self) -> None:
        self.mapped, self.unique, self.mapped_edge, self.unique_edge = {}, {}, {}, {}
        for m in self.maps:
            total = self.size(m.dim)
            steady = _max(_div(total - m.size, m.offset), 0)
            has_edge = (steady * m.offset + m.size < total) | (m.size > total)
            self.mapped[m.dim] = m.size
            unique = _min(m.size, m.offset)
            self.unique[m.dim] = _sel(total <= m.size, 0, unique) if m.kind == TEMPORAL else unique
            edge = total - (steady + 1) * m.offset
            edge = _sel(edge < 0, total, edge)
            self.mapped_edge[m.dim] = _sel(has_edge, edge, m.size)
            self.unique_edge[m.dim] = _max(m.offset - (m.size - edge), 0)
        if self.overlapped:
            for m in self.maps:
                if m.dim in OVERLAP:
                    out, slide = OUT_OF[m.dim], OVERLAP[m.dim]
                    self.mapped[out] = self.mapped[m.dim] - self.mapped.get(slide, 0) + 1
                    self.unique[out] = _min(m.offset, m.size)
                    self.mapped_edge[out] = self.mapped_edge[m.dim] - self.mapped_edge.get(slide, 0) + 1
                    self.unique_edge[out] = _min(m.offset, self.mapped_edge[out])

    # ---- iteration cases ----------------------------------------------------------------------------------
    def cases(self, dims: dict[str, int]) -> list[tuple[int, dict[str, _State], bool]]:
        """(occurrences, state per dimension, exists) for every iteration case, in MAESTRO's visiting order.

        On a batch, a directive's steady or edge state may exist on some rows only: the cases are those of every
        state that exists on any row, and `exists` (an array) marks the rows that have the case, whose occurrences
        are 0 elsewhere. This keeps each row's own order: MAESTRO visits the all-initial case first, then orders the
        rest lexicographically with each directive's states ranked steady < edge < initial, and leaving out states
        a row lacks does not reorder the ones it has."""
        per_map = [[(s, exists) for s, exists in self._states(m, dims.get(m.dim, 1)) if _any(exists)]
                   for m in self.maps]
        out = []
        for choice in visit_order([len(states) for states in per_map]):
            status, occ, present = {}, 1, True
            for m, states, k in zip(self.maps, per_map, choice):
                state, exists = states[k]
                status[m.dim] = state
                occ = occ * state.occurrences
                if exists is not True:
                    present = present & exists
            out.append((_sel(present, occ, 0), status, present))
        return out

    def _states(self, m: _Map, total: int) -> list[tuple[_State, bool]]:
        """Init, steady and edge state of one directive, each with whether it exists."""
        if m.kind == TEMPORAL:
            steady = _div(total - m.size, m.offset)
            return [(_State(INIT, 1, total <= m.size, total < m.size), True),
                    (_State(STEADY, steady), (m.size < total) & (steady > 0)),
                    (_State(EDGE, 1), (total >= m.size) & (steady * m.offset + m.size < total))]
        n = self.units
        cover = m.size + m.offset * (n - 1)
        init_edge = total < cover
        steady = _div(_div(total - m.size, m.offset) + 1, n) - 1
        has_edge = ((total > cover) & ((steady + 1) * m.offset * n + cover > total)
                    & (steady * m.offset * n + cover != total))
        remaining = total - (steady + 1) * m.offset * n
        active = _sel(remaining < m.size, 1, _div(remaining - m.size, m.offset) + 1)
        edge_edge = (active - 1) * m.offset + m.size < remaining
        return [(_State(INIT, 1, total <= cover, init_edge, init_edge), True),
                (_State(STEADY, steady), (cover < total) & (steady > 0)),
                (_State(EDGE, 1, sp_edge_edge=edge_edge), (total >= cover) & has_edge)]

    # ---- per-PE volumes -----------------------------------------------------------------------------------
    def tile(self, s: _State, dim: str) -> int:
        """A dimension's tile size in state s (its edge size at an edge). Cached on the state, which every iteration
        case holding it shares: on a batch each is an elementwise select."""
        size = s.tiles.get(dim)
        if size is None:
            size = s.tiles[dim] = _sel(s.edge, self.mapped_edge.get(dim, 0), self.mapped.get(dim, 0))
        return size

    def pe_mapped(self, dims: tuple[str, ...], st: dict[str, _State], first: bool, see) -> int:
        ret = 1
        for m in self.maps:
            if m.dim not in dims:
                continue
            s, d = st[m.dim], m.dim
            if m.kind == TEMPORAL:
                ret = ret * self.tile(s, d)
            else:
                key = ("mapped", d, first, see) if type(see) is bool else None
                at_edge = self._cache.get(key)
                if at_edge is None:
                    at_edge = _sel(self.edge_units == 1, _sel(first | see, self.mapped_edge[d], 1),
                                   _sel(self.edge_units > 1, _sel(see, self.mapped_edge[d], self.mapped[d]), 1))
                    if key is not None:
                        self._cache[key] = at_edge
                ret = ret * _sel(s.edge, at_edge, self.mapped[d])
        return ret

    def pe_ingress(self, dims: tuple[str, ...], st: dict[str, _State], first: bool, see) -> int:
        """New elements of an input tensor one sub-cluster needs in this case (temporal and spatial reuse)."""
        changing = -1
        for i, m in enumerate(self.maps):
            if st[m.dim].pos != INIT:
                changing = i
        if changing == -1:
            return self.pe_mapped(dims, st, first, see)
        inited = False
        for i, m in enumerate(self.maps):
            if st[m.dim].pos == INIT and m.dim in dims and i > changing:
                inited = inited | _not(st[m.dim].unrolled)
        ret, moving = 1, False
        for i, m in enumerate(self.maps):
            if m.dim not in dims:
                continue
            s, d = st[m.dim], m.dim
            is_changing = i == changing
            moving |= is_changing
            if m.kind == TEMPORAL:
                if s.pos == INIT:
                    ret = ret * self.tile(s, d)
                elif is_changing:
                    ret = ret * _sel(inited, self.mapped[d], _max(self.unique[d], 1))
                else:
                    ret = ret * self.mapped[d]
                continue
            mapped = _sel(see, self.mapped_edge[d], self.mapped[d])
            unique = _sel(see, self.unique_edge[d], self.unique[d])
            if first:
                ret = ret * mapped
            elif s.pos == INIT:
                ret = ret * (mapped if i <= changing else unique)
            else:
                ret = ret * (_sel(inited, mapped, unique) if is_changing else mapped)
        return ret if moving else 0

    def pe_egress(self, dims: tuple[str, ...], st: dict[str, _State], psums: bool, first: bool, see,
                  reuse_at_edge: bool = True) -> int:
        """Outputs one sub-cluster sends up (or, with psums, the MACs on its critical path)."""
        ret = 1
        if psums:
            for m in self.maps:
                if m.dim in dims:
                    continue
                s = st[m.dim]
                if m.kind == TEMPORAL:
                    ret = ret * self.tile(s, m.dim)
                else:
                    ret = ret * self._spatial_out(m.dim, s, first, see, init_edge_unique=False)
        for d in dims:
            m = self.maps[self.index[d]] if d in self.index else None
            if m is None:
                continue
            s, actual = st[d], OUT_OF.get(d, d)
            if m.kind == TEMPORAL:
                if s.pos == INIT:
                    ret = ret * self.tile(s, actual)
                elif s.pos == STEADY:
                    ret = ret * self.mapped.get(actual, 0)
                else:
                    ret = ret * self.mapped_edge.get(actual, 0)
            else:
                ret = ret * self._spatial_out(d, s, first, see, init_edge_unique=reuse_at_edge)
        return ret

    def _spatial_out(self, dim: str, s: _State, first: bool, see, init_edge_unique: bool) -> int:
        """Factor of a spatially mapped dimension in an egress or partial-sum volume (keys: output-side name)."""
        actual = OUT_OF.get(dim, dim)
        unique = self._cache.get(("unique", actual))
        if unique is None:
            unique = self.unique.get(actual, 0)
            unique = self._cache["unique", actual] = _sel(unique == 0, 1, unique)
        normal = self.mapped.get(actual, 0) if first else unique
        at_edge = True if s.pos == EDGE else (s.edge & see if s.pos == INIT else False)
        if not _any(at_edge):
            return normal
        # The factor at an edge depends on the level alone when `see` is not per row: cached for the other cases.
        key = ("edge", dim, s.pos == EDGE, init_edge_unique, first, see) if type(see) is bool else None
        edge = self._cache.get(key)
        if edge is None:
            # At an Edge position MAESTRO reads the input-side key (a typo for the output key); kept for agreement.
            single = self.mapped_edge.get(dim if s.pos == EDGE else actual, 0)
            use_unique = s.pos == EDGE or init_edge_unique
            seen = self.unique_edge.get(actual, 0) if use_unique else self.mapped_edge.get(actual, 0)
            edge = _sel((self.edge_units == 1) & (first | see), single,
                        _sel(self.edge_units > 1, _sel(see, seen, normal), 1))
            if key is not None:
                self._cache[key] = edge
        return _sel(at_edge, edge, normal)

    # ---- whole sub-cluster array --------------------------------------------------------------------------
    def _spatial_state(self, dims: tuple[str, ...], st: dict[str, _State]) -> tuple[_State | None, bool]:
        """State of the (last) spatially mapped dimension among `dims`, and whether any of them is at an edge."""
        found, edge = None, False
        for d in dims:
            if d in self.index and self.maps[self.index[d]].kind == SPATIAL:
                found = st[d]
                edge = edge | found.edge
        return found, edge

    def _at_edge(self, volume, sp: _State) -> int:
        """Sum of a per-unit volume(first, see) over the sub-clusters active when the spatial map is at its edge:
        the first one (the edge-edge one if it is alone), the full ones, and the edge-edge one."""
        eu = self.edge_units
        ret = _sel((eu == 1) & sp.sp_edge_edge, volume(True, True), volume(True, False)) if _any(
            sp.sp_edge_edge) else volume(True, False)
        if not _any(eu > 1):
            return ret
        see = _sel(sp.sp_edge_edge, 1, 0)
        rest = _max(eu - see - 1, 0) * volume(False, False)
        if _any(sp.sp_edge_edge):
            rest = rest + see * volume(False, True)
        return ret + _sel(eu > 1, rest, 0)

    def _over_units(self, volume, sp: _State | None, edge) -> int:
        """Sum a per-unit volume(first, edge_edge) over the active sub-clusters (first, full ones, edge-edge one)."""
        if sp is None:
            return volume(True, False)
        full = 0
        if not (edge is True):
            full = volume(True, False) + (self.units - 1) * volume(False, False)
        if not _any(edge):
            return full
        return _sel(edge, self._at_edge(volume, sp), full)

    def ingress(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """Elements of an input tensor sent from the upper buffer to the sub-clusters in this case."""
        return self._over_units(lambda f, e: self.pe_ingress(dims, st, f, e), *self._spatial_state(dims, st))

    def egress(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """Output elements sent up from the sub-clusters in this case."""
        return self._over_units(lambda f, e: self.pe_egress(dims, st, False, f, e), *self._spatial_state(dims, st))

    def critical_psums(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """MACs of one sub-cluster on the critical path (the compute delay at the innermost level)."""
        sp, edge = self._spatial_state(dims, st)
        if sp is None or not _any(edge):
            return self.pe_egress(dims, st, True, True, False)
        see = _sel(edge, (self.edge_units == 1) & sp.sp_edge_edge, False)
        return self.pe_egress(dims, st, True, True, see)

    def psum_mapping(self, dims: tuple[str, ...], st: dict[str, _State]) -> int:
        """MACs over the whole sub-cluster array in this case."""
        sp = None
        edge = False
        for d in dims:
            if d in self.index and self.maps[self.index[d]].kind == SPATIAL:
                sp = st[d]
                edge = edge | sp.edge
        for m in self.maps:
            if m.kind == SPATIAL:
                sp = st[m.dim]
                edge = edge | sp.edge
        n = self.units
        full = n * self.pe_egress(dims, st, True, True, False)
        if sp is None or not _any(edge):
            return full

        def volume(first: bool, see):
            # the first unit counts its critical path; the edge-edge unit does not reuse at the init edge
            return self.pe_egress(dims, st, True, True if first else not see, see, reuse_at_edge=first or not see)
        return _sel(edge, self._at_edge(volume, sp), full)

    def sub_dims(self, st: dict[str, _State], see: bool) -> dict[str, int]:
        """Tile sizes a sub-cluster sees in this case (MAESTRO's ConstructSubClusterDimension)."""
        out: dict[str, int] = {}
        for m in self.maps:
            s, d = st[m.dim], m.dim
            if m.kind == TEMPORAL:
                size = self.tile(s, d)
            elif s.pos == STEADY:
                size = self.mapped[d]
            else:
                at_edge = _sel((self.edge_units == 1) | see, self.mapped_edge[d], self.mapped[d])
                size = at_edge if s.pos == EDGE else _sel(s.edge, at_edge, self.mapped[d])
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

    @staticmethod
    def scatter(parts: list[tuple[np.ndarray, "LevelResult"]], n: int) -> "LevelResult":
        """One batch result of `n` rows from results on subsets of its rows (0 where no part has a value)."""
        def merge(values: list) -> np.ndarray:
            dtype = np.result_type(*[np.asarray(v).dtype for v in values])
            out = np.zeros(n, dtype=dtype)
            for (sel, _), v in zip(parts, values):
                out[sel] = v
            return out
        res = LevelResult()
        for name in ("runtime", "macs", "avg_active", "peak_bw", "avg_bw", "offchip_bw", "arithmetic_intensity"):
            setattr(res, name, merge([getattr(p, name) for _, p in parts]))
        for name in ("counts", "size_req", "delay_avg"):
            keys = dict.fromkeys(k for _, p in parts for k in getattr(p, name))
            setattr(res, name, {k: merge([getattr(p, name).get(k, 0) for _, p in parts]) for k in keys})
        return res

    def take(self, pos: np.ndarray) -> "LevelResult":
        """The rows `pos` of a batch result."""
        def cut(v):
            return v[pos] if isinstance(v, np.ndarray) else v
        res = LevelResult()
        for name in ("runtime", "macs", "avg_active", "spatial_occurrences", "peak_bw", "avg_bw", "offchip_bw",
                     "arithmetic_intensity"):
            setattr(res, name, cut(getattr(self, name)))
        for name in ("counts", "size_req", "delay_avg"):
            setattr(res, name, {k: cut(v) for k, v in getattr(self, name).items()})
        return res


def build_levels(layer: MaestroLayer, hw: Hardware) -> tuple[list[Level], dict[str, int], dict[str, tuple[str, ...]]]:
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
    num_pes = hw.num_pes
    if _any(grouped > num_pes):
        raise InputError(f"{layer.source}: token 'Cluster({clusters[0]},P)': clusters group {grouped} PEs but the "
                         f"machine has {np.min(num_pes)}")
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
            if not (overlapped and slide):
                continue
            filt = full.get(slide, 1)
            widen = (stride != 1) & (m.size >= filt)
            if not _any(widen):
                continue
            out_map = _sel(widen, m.size + stride - filt, 0) // stride
            step = stride if is_top else _sel(filt < stride, filt, stride)
            m.size = _sel(widen, out_map * _min(stride, filt) + _max(filt - stride, 0), m.size)
            m.offset = _sel(widen, out_map * step, m.offset)
        levels.append(Level(current, dims, unit_sizes[len(levels)], overlapped, hw))
        index = {m.dim: m for m in reversed(current)}
        dims = {var: _min(index[var].size, dims[var]) for var in input_vars if var in index and var in dims}
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
    """Runs the per-level case analysis of one layer on one machine (MAESTRO's AnalyzeClusterLevel_V2), or of a
    batch of layers sharing one dataflow structure when `layer` holds arrays (dse.cost.dataflow.vectorized)."""

    def __init__(self, layer: MaestroLayer, hw: Hardware, batch: int | None = None) -> None:
        self.layer, self.hw, self.batch = layer, hw, batch
        self.levels, self.full, self.tensors = build_levels(layer, hw)
        self._memo: dict[tuple, LevelResult] = {}
        self._bank: dict[tuple, tuple[dict[bytes, int], LevelResult]] = {}
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
        On a batch (`rows`: the batch rows `dims` belong to) the innermost level of a multi-level dataflow is
        memoized per row (see _innermost)."""
        if rows is None:
            key = (idx, tuple(sorted(dims.items())))
            if key not in self._memo:
                self._memo[key] = self._analyze(idx, self.levels[idx], dims)
            return dataclasses.replace(self._memo[key])
        if 0 < idx == len(self.levels) - 1:
            return self._innermost(idx, dims, rows)
        level = self.levels[0] if idx == 0 else self.levels[idx].take(rows)  # the top level sees every row
        return self._analyze(idx, level, dims, rows)

    def _innermost(self, idx: int, dims: dict[str, int], rows: np.ndarray) -> LevelResult:
        """The innermost level on a batch, memoized per row across calls: its result depends only on the row's tile
        sizes and the level's own numbers, and a batch repeats few of those (mapping search: random shapes, few
        tile sizes). Rows never seen get analysed together; every row then records its first result as usual."""
        cols = [np.broadcast_to(v, rows.shape) for _, v in sorted(dims.items())] + [self._own_class(idx)[rows]]
        first, inverse = _distinct_rows(cols)
        keys = np.stack([c[first] for c in cols], axis=1).view(np.dtype((np.void, 8 * len(cols)))).ravel().tolist()
        where = (idx, tuple(sorted(dims)))
        index, bank = self._bank.get(where, ({}, LevelResult()))
        slot = [index.get(k, -1) for k in keys]
        new = [j for j, pos in enumerate(slot) if pos < 0]
        if new:
            reps = first[new]
            sub = {k: (v[reps] if isinstance(v, np.ndarray) else v) for k, v in dims.items()}
            res = self._analyze(idx, self.levels[idx].take(rows[reps]), sub, rows[reps])
            old, total = len(index), len(index) + len(new)
            bank = LevelResult.scatter([(np.arange(old), bank), (np.arange(old, total), res)], total)
            for pos, j in enumerate(new, start=old):
                index[keys[j]] = slot[j] = pos
            self._bank[where] = (index, bank)
        picks = np.array(slot, dtype=np.int64)[inverse]
        new_rows = ~self._first_seen[rows]
        if new_rows.any():
            self._record_first(bank.take(picks[new_rows]), rows[new_rows])
        return LevelResult(runtime=bank.runtime[picks], avg_active=bank.avg_active[picks])  # all the caller reads

    def _own_class(self, idx: int) -> np.ndarray:
        """Per batch row, an id of the level's own numbers (its directives' sizes/offsets, dimensions, units and
        machine numbers): rows with the same id and the same tile sizes from above get the same analysis."""
        if idx not in self._classes:
            level = self.levels[idx]
            own = ([v for m in level.maps for v in (m.size, m.offset)] + list(level.dims.values())
                   + [level.units, level.noc_bw, level.noc_hops, level.simd_lanes])
            arrays = [v for v in own if isinstance(v, np.ndarray)]
            self._classes[idx] = _distinct_rows(arrays)[1] if arrays else np.zeros(self.batch, dtype=np.int64)
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
        out = LevelResult(runtime=np.zeros(len(rows), dtype=np.int64), avg_active=np.zeros(len(rows)))
        out.runtime[sel], out.avg_active[sel] = res.runtime, res.avg_active
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
