"""Vitis HLS project generation from a tiling record."""
