"""Arithmetic that runs on Python ints (one layer) or elementwise on numpy arrays (a batch of layers).

The dataflow analysis (dse.cost.dataflow.levels, .analysis) is written once for both: a size-dependent choice is a
select that branches on a Python bool and selects elementwise on an array, and the scalar path answers Python
bools/ints before any numpy type test, so one layer pays no per-operation array check.

On a batch the rows are the last axis. A batch may also carry a machine axis in front (dse.cost.dataflow.vectorized:
machines that differ only in their NoC and off-chip numbers): those numbers are (machines, 1) arrays, the delays
they enter become (machines, rows), and everything else stays (rows,). An array whose last axis has length 1 is the
same on every row and broadcasts; `_rows` takes rows along the last axis and leaves such an array as it is.
"""

from __future__ import annotations

import numpy as np


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


def _rows(v, rows):
    """The given rows (positions along the last axis) of a batch value; a scalar or a value the same on every row
    (last axis of length 1) is returned as it is, since it broadcasts against them."""
    if type(v) is not np.ndarray or not v.ndim or v.shape[-1] == 1:
        return v
    return v[..., rows]


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
