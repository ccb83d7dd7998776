"""MAESTRO's cluster levels and iteration cases: what one level of a data-centric dataflow moves and computes.

Each cluster level maps the level's dimensions onto `units` sub-clusters. Its temporal steps fall into classes
("iteration cases": first step, steady steps, edge step of every directive) with occurrence counts. Per case a
Level counts the new data each sub-cluster needs (temporal and spatial reuse, multicast), the outputs sent up and
the MACs; dse.cost.dataflow.analysis turns them into delays, runtime and access counts.

The numbers are Python ints (one layer) or numpy arrays over a batch of layers that share one dataflow structure
(dse.cost.dataflow.vectorized), through dse.cost.dataflow.elementwise. Which iteration cases exist is per row too:
a case missing on a row has 0 occurrences there and is masked out of every running value (Level.cases, `exists`).
The arithmetic follows MAESTRO (commit 4eb08d17c87c) closely, including the order it visits cases in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dse.cost.dataflow.elementwise import _any, _div, _max, _min, _not, _rows, _sel
from dse.errors import InputError
from dse.hw.directives import (
    CLUSTER,
    SPATIAL,
    TEMPORAL,
    Directive,
    Hardware,
    MaestroLayer,
)

INIT, STEADY, EDGE = 0, 1, 2
INPUT, WEIGHT, OUTPUT = "input", "filter", "output"
OVERLAP = {"Y": "R", "X": "S"}  # reference (input) dimension -> sliding (filter) dimension
OUT_OF = {"Y": "Y'", "X": "X'"}


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

    def __init__(self, maps: list[_Map], dims: dict[str, int], units: int, overlapped: bool, hw: Hardware,
                 source: str = "") -> None:
        self.maps, self.dims, self.units, self.overlapped = maps, dims, units, overlapped
        # the machine's numbers this level's delays use (arrays when a batch sweeps machines)
        self.noc_bw, self.noc_hops, self.simd_lanes = hw.noc_bw, hw.noc_hops, hw.simd_lanes
        self.index = {m.dim: i for i, m in reversed(list(enumerate(maps)))}
        spatial = [i for i, m in enumerate(maps) if m.kind == SPATIAL]
        if not spatial or len(spatial) > 2:
            problem = ("a cluster level has no SpatialMap" if not spatial
                       else "more than two SpatialMaps in one cluster level")
            raise InputError(f"{source or 'dataflow'}: {problem}: "
                             + "; ".join(str(_d(m)) for m in maps))
        self.spatial = maps[spatial[0]]
        self.edge_units = self._edge_units()
        self._mapping_sizes()
        self._cache: dict[tuple, int] = {}  # per-unit factors that depend only on the level (see _spatial_out)

    def take(self, rows: np.ndarray) -> "Level":
        """The level restricted to some rows of a batch (arrays sliced, structure shared)."""
        out = object.__new__(Level)
        out.__dict__.update(self.__dict__)
        out.maps = [_Map(m.kind, _rows(m.size, rows), _rows(m.offset, rows), m.dim) for m in self.maps]
        out.spatial = next(o for o, m in zip(out.maps, self.maps) if m is self.spatial)
        out.dims = {k: _rows(v, rows) for k, v in self.dims.items()}
        for name in ("mapped", "unique", "mapped_edge", "unique_edge"):
            setattr(out, name, {k: _rows(v, rows) for k, v in getattr(self, name).items()})
        for name in ("edge_units", "units", "noc_bw", "noc_hops", "simd_lanes"):
            setattr(out, name, _rows(getattr(self, name), rows))
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
        levels.append(Level(current, dims, unit_sizes[len(levels)], overlapped, hw, layer.source))
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
