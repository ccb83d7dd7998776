"""Network-level mapping choice: one candidate per layer, minimising the NETWORK's latency, energy or EDP.

Layers run one after another, so the network's latency D (s) and energy E (J) are the sums of the chosen
candidates'. For latency and energy the per-layer optima sum to the network optimum; for EDP they do not, because
network EDP = (sum E)(sum D) is not the sum of per-layer EDPs.

Why the hull sweep of `choose` is exact. Let S be the set of network totals (D, E) over all combinations of
candidates (the Minkowski sum of the per-layer sets) and P = conv(S) + R^2_+ (everything no better than a point of
the hull). On the positive quadrant, f(D, E) = D*E is
- quasi-concave: its superlevel sets {D*E >= c} = {E >= c/D} are convex, so f(sum l_i v_i) >= min_i f(v_i) for
  every convex combination. (f is NOT concave along every line: along (1, 1) it is a convex parabola; it is
  concave only along lines of negative slope.)
- non-decreasing in D and in E.
P is a polyhedron with recession cone R^2_+, so every x in P is sum l_i v_i + r with v_i vertices of P and r >= 0;
then f(x) >= f(sum l_i v_i) >= min_i f(v_i). Hence the minimum of f over S (a subset of P) is attained at a vertex
of P, and vertices of P are points of S. The same holds for f = D and f = E (linear functions are both).
Every vertex of P minimises E + w*D uniquely for some w in (0, inf) (or is the lexicographic minimum of (D, E) or
(E, D), the limits w -> inf and w -> 0); that minimiser is the sum of each layer's unique minimiser of its own
E + w*D, a vertex of the layer's lower-left hull. So the sweep needs only each layer's lower-left hull (a subset
of its Pareto set), and walking w from inf to 0 the layers' choices change at the slopes of their hull edges:
sorting all hull edges by slope, steepest first, the prefix sums of the sorted edges pass through every vertex of
P (the points in between lie on P's edges and are valid combinations too). Evaluating f at all of them and taking
the least is exact over the given candidate sets - no fallback search is needed.

Many designs at once (dse.search.codesign) call `choose_grouped` on the candidates of a whole batch of designs,
each design a network: the Pareto sets, the hulls and the sweeps of every layer of every network run in single
numpy passes, with no per-layer or per-design Python loop. The hull is
found by pruning: a point on or above the chord between its two neighbours is no hull vertex (it lies on or above
a segment between two points of the set), so every such point is dropped at once, and the passes repeat until
none is left; scipy's Qhull would take one layer per call.

Repeated layers: at a vertex of P each layer's component is the unique minimiser of E + w*D, so identical layer
problems take the identical candidate. There is therefore always an optimum in which repeats share their choice,
and `choose` treats a problem occurring m times as one layer with m times its (D, E). Splitting repeats can tie
with that optimum but never beats it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dse.search.objectives import OBJECTIVES


def pareto(seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """Indices of the latency/energy non-dominated points in ascending seconds (descending energy); of points
    with equal (seconds, energy) the first is kept."""
    return pareto_groups(np.zeros(len(seconds), dtype=np.int64), seconds, energy_j)


def pareto_groups(group: np.ndarray, seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """`pareto` of every group (non-negative ints) at once: indices ordered by group, then ascending seconds. Sort
    by (group, seconds, energy) and keep the rows below every energy seen before in their group; the running
    minimum restarts at each group because energies are replaced by their ranks offset by group x (rows + 1).
    The sort is one stable argsort of the integer (group, seconds rank, energy rank), which on the co-design's
    batches takes half the time of lexsort over the three columns; lexsort remains for keys beyond int64."""
    group = np.asarray(group, dtype=np.int64)
    seconds, energy_j = np.asarray(seconds, dtype=float), np.asarray(energy_j, dtype=float)
    n = len(seconds)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    seconds_rank = np.unique(seconds, return_inverse=True)[1].reshape(-1)
    rank = np.unique(energy_j, return_inverse=True)[1].reshape(-1)
    span = n + 1  # every rank is below n
    if (int(group.max()) + 1) * span * span <= np.iinfo(np.int64).max:
        order = np.argsort((group * span + seconds_rank) * span + rank, kind="stable")
    else:
        order = np.lexsort((rank, seconds_rank, group))
    rank = rank[order]
    key = rank - group[order] * (n + 1)
    lowest_before = np.minimum.accumulate(np.concatenate(([np.iinfo(np.int64).max], key[:-1])))
    return order[key < lowest_before]


def inside_extremes(starts: np.ndarray, seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """Mask of the rows (groups contiguous, each beginning at its entry of `starts`) that neither extreme point of
    their group beats: no more energy than its fastest point (least energy among the least seconds) and no more
    seconds than its most frugal point. A row outside is dominated by an extreme, so the mask keeps every group's
    Pareto set and each of its points' duplicates; segmented minima, no sort. On the co-design's candidates it
    leaves ~10% of the rows for `pareto_groups` to sort."""
    seconds, energy_j = np.asarray(seconds, dtype=float), np.asarray(energy_j, dtype=float)
    sizes = np.diff(np.append(starts, len(seconds)))
    least = lambda values: np.repeat(np.minimum.reduceat(values, starts), sizes)  # noqa: E731
    fastest_energy = least(np.where(seconds == least(seconds), energy_j, np.inf))
    frugal_seconds = least(np.where(energy_j == least(energy_j), seconds, np.inf))
    return (energy_j <= fastest_energy) & (seconds <= frugal_seconds)


def lower_hull(seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the points of a Pareto front (ascending seconds, descending energy) that are
    vertices of its lower-left convex hull."""
    return np.flatnonzero(_hull_groups(np.zeros(len(seconds), dtype=np.int64), np.asarray(seconds, dtype=float),
                                       np.asarray(energy_j, dtype=float)))


def _hull_groups(group: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of the lower-left hull vertices of every group's front (rows grouped, each front in ascending x and
    descending y): drop every inner point on or above the chord of its kept neighbours until none is left."""
    keep = np.ones(len(x), dtype=bool)
    while True:
        idx = np.flatnonzero(keep)
        if len(idx) < 3:
            return keep
        p, c, q = idx[:-2], idx[1:-1], idx[2:]
        inner = (group[p] == group[c]) & (group[c] == group[q])
        below = (y[c] - y[p]) * (x[q] - x[p]) < (y[q] - y[p]) * (x[c] - x[p])
        drop = inner & ~below
        if not drop.any():
            return keep
        keep[c[drop]] = False


def choose_grouped(network: np.ndarray, group: np.ndarray, seconds: np.ndarray, energy_j: np.ndarray,
                   counts: Sequence[int], objective: str) -> np.ndarray:
    """For each network n = 0..N-1 and group g = 0..G-1 (every pair has rows; rows in any order), the row that
    minimises network n's objective of (sum of counts[g] x seconds, sum of counts[g] x energy_j), as an (N, G)
    array; exact (see the module docstring). The networks share every numpy pass: their (network, group) pairs are
    the groups of the Pareto and hull passes, and their sweeps are the rows of one padded array (a row's padding
    repeats its last point, which `argmin` never prefers to the first), so one network gives the same rows alone
    or among others."""
    total = OBJECTIVES[objective]
    counts = np.asarray(counts, dtype=float)
    groups = len(counts)
    pair = np.asarray(network, dtype=np.int64) * groups + np.asarray(group, dtype=np.int64)
    front = pareto_groups(pair, seconds, energy_j)
    p = pair[front]
    x = np.asarray(seconds, dtype=float)[front] * counts[p % groups]
    y = np.asarray(energy_j, dtype=float)[front] * counts[p % groups]
    hull = _hull_groups(p, x, y)
    rows, p, x, y = front[hull], p[hull], x[hull], y[hull]
    first = np.concatenate(([True], p[1:] != p[:-1]))
    heads = np.flatnonzero(first)
    networks = len(heads) // groups
    edge = ~first[1:]  # hull edges join consecutive vertices of one pair
    owner = p[1:][edge]
    dx, dy = np.diff(x)[edge], np.diff(y)[edge]  # +seconds, -energy along the hull
    slopes = -dy / dx  # energy saved per second added, non-increasing along a convex chain
    net = owner // groups
    # per network: steepest first; a layer's own edges in chain order
    order = np.lexsort((np.arange(len(slopes)), -slopes, net))
    owner, net = owner[order], net[order]
    per_net = np.bincount(net, minlength=networks)
    at = np.arange(len(order)) - np.repeat(np.cumsum(per_net) - per_net, per_net)  # position in its network
    path_x = np.zeros((networks, per_net.max(initial=0) + 1))
    path_y = np.zeros_like(path_x)
    path_x[net, at + 1], path_y[net, at + 1] = dx[order], dy[order]
    path_x = x[first].reshape(networks, groups).sum(axis=1)[:, None] + np.cumsum(path_x, axis=1)
    path_y = y[first].reshape(networks, groups).sum(axis=1)[:, None] + np.cumsum(path_y, axis=1)
    best = np.argmin(total(path_x, path_y), axis=1)
    taken = np.bincount(owner[at < best[net]], minlength=networks * groups)
    return rows[heads + taken].reshape(networks, groups)


def choose(fronts: Sequence[tuple[np.ndarray, np.ndarray]], counts: Sequence[int], objective: str) -> list[int]:
    """For each layer problem, the index into its Pareto front (seconds, energy_j arrays, as `pareto` orders
    them) that minimises the network objective of (sum of count x seconds, sum of count x energy); exact (see the
    module docstring)."""
    sizes = [len(s) for s, _ in fronts]
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    group = np.repeat(np.arange(len(fronts)), sizes)
    rows = choose_grouped(np.zeros(len(group), dtype=np.int64), group,
                          np.concatenate([np.asarray(s, dtype=float) for s, _ in fronts]),
                          np.concatenate([np.asarray(e, dtype=float) for _, e in fronts]), counts, objective)[0]
    return [int(r - offsets[i]) for i, r in enumerate(rows)]
