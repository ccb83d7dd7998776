"""Where the data tests and benchmarks check against lives: `reference/` at the top of the source checkout, beside
`tests/` (it is test data, not installed with the package). Every test and benchmark takes its paths from here; a
missing file is an error, never a reason to skip."""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
MAESTRO = REFERENCE / "maestro"
