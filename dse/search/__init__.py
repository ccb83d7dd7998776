"""Searches: Optuna studies and exact enumeration over design points."""
