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

Repeated layers: at a vertex of P each layer's component is the unique minimiser of E + w*D, so identical layer
problems take the identical candidate. There is therefore always an optimum in which repeats share their choice,
and `choose` treats a problem occurring m times as one layer with m times its (D, E). Splitting repeats can tie
with that optimum but never beats it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import ConvexHull

from dse.search.objectives import OBJECTIVES


def pareto(seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """Indices of the latency/energy non-dominated points in ascending seconds (descending energy); of points
    with equal (seconds, energy) the first is kept. Sort by (seconds, energy), keep the ones below every energy
    seen before."""
    seconds, energy_j = np.asarray(seconds, dtype=float), np.asarray(energy_j, dtype=float)
    order = np.lexsort((energy_j, seconds))
    energy = energy_j[order]
    lowest_before = np.minimum.accumulate(np.concatenate(([np.inf], energy[:-1])))
    return order[energy < lowest_before]


def lower_hull(seconds: np.ndarray, energy_j: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the points of a Pareto front (ascending seconds, descending energy) that are
    vertices of its lower-left convex hull. The front is scaled onto the unit square's diagonal span (first point
    (0, 1), last (1, 0)) so Qhull's relative tolerances never flatten it, and closed with the corner (1, 1): the
    hull's other vertices are then exactly the lower-left ones."""
    n = len(seconds)
    if n < 3:
        return np.arange(n)
    d = (seconds - seconds[0]) / (seconds[-1] - seconds[0])
    e = (energy_j - energy_j[-1]) / (energy_j[0] - energy_j[-1])
    hull = ConvexHull(np.vstack([np.column_stack([d, e]), [1.0, 1.0]]))
    return np.sort(hull.vertices[hull.vertices < n])


def choose(fronts: Sequence[tuple[np.ndarray, np.ndarray]], counts: Sequence[int], objective: str) -> list[int]:
    """For each layer problem, the index into its Pareto front (seconds, energy_j arrays, as `pareto` orders
    them) that minimises the network objective of (sum of count x seconds, sum of count x energy); exact (see the
    module docstring)."""
    total = OBJECTIVES[objective]
    hulls = [lower_hull(np.asarray(s, dtype=float), np.asarray(e, dtype=float)) for s, e in fronts]
    start = np.zeros(2)
    steps, slopes, owner = [], [], []
    for g, ((s, e), m, h) in enumerate(zip(fronts, counts, hulls)):
        points = m * np.column_stack([np.asarray(s, dtype=float)[h], np.asarray(e, dtype=float)[h]])
        start += points[0]
        step = np.diff(points, axis=0)  # +seconds, -energy along the hull
        # energy saved per second added, non-increasing along a convex chain (accumulate guards rounding)
        slopes.append(np.minimum.accumulate(-step[:, 1] / step[:, 0]) if len(step) else step[:, 0])
        steps.append(step)
        owner.append(np.full(len(step), g))
    order = np.argsort(-np.concatenate(slopes), kind="stable")  # a layer's own edges stay in chain order
    path = start + np.vstack([np.zeros((1, 2)), np.cumsum(np.concatenate(steps)[order], axis=0)])
    best = int(np.argmin(total(path[:, 0], path[:, 1])))
    taken = np.bincount(np.concatenate(owner)[order[:best]].astype(int), minlength=len(fronts))
    return [int(h[k]) for h, k in zip(hulls, taken)]
