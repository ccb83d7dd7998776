"""Mapping workloads onto multi-accelerator systems (H2H) and schedule simulation."""
