"""Weight-locality knapsack (H2H step 2): pin the most weight bytes that fit an accelerator's reserved DRAM.

H2H maximizes pinned weight (item value = item weight), i.e. a subset-sum. Solved exactly on weights rounded up to
`unit_bytes` (so a chosen set always fits in real bytes) with a bitset of reachable sums held in a Python int:
one shift-or per item, then a walk back through the saved bitsets recovers the set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

UNIT_BYTES = 4096.0  # rounding grain; H2H's code rounds to 1000 FP32 elements (4000 bytes)


def knapsack(weights: Sequence[float], capacity: float, unit_bytes: float = UNIT_BYTES) -> list[int]:
    """Indices of the items whose rounded weights sum to the largest total not above `capacity` (bytes)."""
    sizes = [math.ceil(w / unit_bytes) for w in weights]
    cap = int(math.floor(capacity / unit_bytes + 1e-9))
    if cap < 0:
        return []
    if sum(sizes) <= cap:
        return list(range(len(sizes)))
    mask = (1 << (cap + 1)) - 1
    reach, history = 1, []
    for size in sizes:
        history.append(reach)
        reach = (reach | (reach << size)) & mask
    best = reach.bit_length() - 1
    chosen = []
    for i in range(len(sizes) - 1, -1, -1):
        if not (history[i] >> best) & 1:
            chosen.append(i)
            best -= sizes[i]
    return sorted(chosen)
