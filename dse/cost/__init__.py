"""Analytical cost models. Every model returns a `Cost` record (scalars, or numpy arrays in batch form)."""

from dse.cost.record import Cost

__all__ = ["Cost"]
