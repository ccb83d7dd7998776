"""A table of mappings for one layer (one row per mapping, one int column per template parameter), validated and
resolved against the accelerator's template once, whatever the number of rows.

The checks and messages are those of `DataflowAccelerator.dataflow` on each row: unknown parameter names, values
that are not positive integers (the first bad one is named), and MAESTRO's rule that a TemporalMap on R or S covers
the whole filter (the message the parser gives for the first row that breaks it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dse.errors import InputError
from dse.hw.dataflow import DataflowAccelerator, Placeholder, is_count, resolve_symbolic
from dse.hw.directives import TEMPORAL, Directive

#: Parameter name -> one value per mapping (numpy int array, list of ints), or a DataFrame with those columns.
Table = Mapping[str, np.ndarray | Sequence[int]] | pd.DataFrame


def table_rows(acc: DataflowAccelerator, table: Table) -> int:
    """Number of mappings in a table (an empty dict is the one default mapping)."""
    if isinstance(table, pd.DataFrame):
        return len(table)
    for name, col in table.items():
        if np.ndim(col) != 1:
            raise InputError(f"accelerator {acc.name}: mapping table column {name} must be a list or 1-d array of "
                             f"values, one per mapping, got {col!r}")
    lengths = {name: len(col) for name, col in table.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"accelerator {acc.name}: mapping table columns differ in length: {lengths}")
    return next(iter(lengths.values()), 1)


def parameter_columns(acc: DataflowAccelerator, sizes: dict[str, int], table: Table,
                      rows: int) -> dict[str, np.ndarray]:
    """Every template parameter as an int64 column of `rows` values: the table's, else the default rule."""
    acc.check_names(table.keys())
    out = {}
    for p in acc.parameters.values():
        if p.name not in table:
            out[p.name] = np.full(rows, acc.default(p, sizes), dtype=np.int64)
            continue
        col = table[p.name]
        col = col.to_numpy() if isinstance(col, pd.Series) else col
        if len(col) != rows:
            raise InputError(f"accelerator {acc.name}: mapping table column {p.name} has {len(col)} values, "
                             f"expected {rows}")
        if isinstance(col, np.ndarray) and col.dtype.kind in "iu":
            values = col.astype(np.int64)
        else:  # lists, object or float arrays: exactly the values `dataflow` accepts (ints, not bools)
            items = col.tolist() if isinstance(col, np.ndarray) else list(col)
            if not set(map(type, items)) <= {int}:
                bad = [v for v in items if not is_count(v)]
                if bad:
                    raise acc.bad_value(p.name, bad[0])
            values = np.array(items, dtype=np.int64)
        low = np.flatnonzero(values < 1)
        if len(low):
            raise acc.bad_value(p.name, values[low[0]].item())
        out[p.name] = values
    return out


def resolve_table(acc: DataflowAccelerator, layer_type: str, sizes: dict[str, int], table: Table,
                  rows: int) -> tuple[tuple[Directive, ...], dict[str, np.ndarray]]:
    """(directives, columns): the template resolved once on the layer, parameter slots as Placeholders, and the
    validated parameter columns that fill them."""
    columns = parameter_columns(acc, sizes, table, rows)
    key, lines = acc.template(layer_type)
    first = tuple((name, int(col[0])) for name, col in columns.items())
    flow = resolve_symbolic(lines, first, tuple(sizes.items()), f"{acc.path}: dataflow.{key}")
    broken = np.zeros(rows, dtype=bool)
    for d in flow:  # the parser checked row 0 only
        if d.kind == TEMPORAL and d.dim in ("R", "S"):
            for slot in (d.size, d.offset):
                if isinstance(slot, Placeholder):
                    broken |= columns[slot.name] != sizes.get(d.dim, 1)
    if broken.any():
        row = int(np.argmax(broken))
        acc.dataflow(layer_type, sizes, {name: int(col[row]) for name, col in columns.items()})  # raises its message
    return flow, columns
