"""The repository stands alone: no tracked text names a path outside it (the old shared tree beside the
checkout), and the reference data the tests and benchmarks read is present with its source and licence."""

from __future__ import annotations

import re
from pathlib import Path

from .reference import MAESTRO, REFERENCE

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("dse", "tests", "benchmarks", "docs", "accelerators", "templates", "reference")
OUTSIDE = re.compile(r"\.\./" + "shared|/work/" + "shared")
TEXT = {".py", ".md", ".yaml", ".yml", ".j2", ".txt", ".toml", ".cfg", ".csv", ".m", ".h", ".tcl", ".cpp"}


def test_no_path_outside_the_repository() -> None:
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "setup.py"] + [
        f for folder in FOLDERS for f in (ROOT / folder).rglob("*") if f.suffix in TEXT and f.is_file()]
    hits = [f"{f.relative_to(ROOT)}:{n}: {line.strip()}" for f in files
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)]
    assert len(files) > 100 and not hits, "\n".join(hits)


def test_reference_sets_carry_source_and_licence() -> None:
    assert "MIT License" in (MAESTRO / "LICENSE").read_text() and "GT Synergy Lab" in (MAESTRO / "LICENSE").read_text()
    readme = (MAESTRO / "README.md").read_text()
    assert "4eb08d17c87c" in readme and "MIT" in readme
    assert "IEEE Journal of Solid-State Circuits 52(1)" in (REFERENCE / "eyeriss" / "README.md").read_text()
    assert len((MAESTRO / "vgg16_results.csv").read_text().splitlines()) > 325
