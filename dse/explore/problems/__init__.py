"""Problems `dse explore` can search: each a family of design points evaluated in batch by a cost model.

A problem class declares its parameters (with defaults), the metrics its evaluation returns (Cost field names and
model-specific extras), and evaluates many points in one call. Modules in this package declare
`PROBLEMS = {kind: class}` and are collected here, so a new problem is one new module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from dse.registry import collect


class Problem:
    """Base of every problem. Subclasses set `kind`, `DEFAULTS` and `METRICS` and implement `evaluate`."""

    kind: ClassVar[str] = ""
    #: parameter -> default value; every parameter a config may fix or sweep.
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    #: metric columns `evaluate` returns; objectives and constraints are chosen among them.
    METRICS: ClassVar[frozenset[str]] = frozenset()
    #: parameter -> check(value, where) returning the value or raising a one-line InputError (dse.inputs); the
    #: config runs it on every fixed value, every categorical choice and both ends of every range.
    CHECKS: ClassVar[dict[str, Callable[[Any, str], Any]]] = {}

    def __init__(self, fixed: dict[str, Any]) -> None:
        self.fixed = {**self.DEFAULTS, **fixed}

    @classmethod
    def parameters(cls) -> dict[str, Any]:
        return dict(cls.DEFAULTS)

    @classmethod
    def metrics(cls) -> set[str]:
        return set(cls.METRICS)

    def evaluate(self, points: list[dict[str, Any]]) -> pd.DataFrame:
        """One row per point (fixed parameters already merged in), metric columns plus `violation_*` columns
        for the problem's own feasibility limits (feasible when <= 0)."""
        raise NotImplementedError

    def artifacts(self, point: dict[str, Any], out: Path) -> dict[str, Path]:
        """Files worth keeping for a chosen point (a schedule plot, an HLS project); none by default."""
        return {}


PROBLEMS: dict[str, type[Problem]] = collect(__name__, __path__, "PROBLEMS")
