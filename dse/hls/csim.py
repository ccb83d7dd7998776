"""C simulation of a generated project on this machine: the project's own `make csim` (g++), nothing from Xilinx."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dse.errors import InputError

TIMEOUT_S = 600


@dataclass(frozen=True)
class CsimResult:
    passed: bool
    returncode: int
    output: str  # build and testbench output, stdout then stderr


def run(project: str | Path, timeout_s: float = TIMEOUT_S) -> CsimResult:
    """Build kernel + testbench with g++ and run the testbench; passed only when both exit 0."""
    return make(project, "csim", [], timeout_s)


def make(project: str | Path, target: str, variables: list[str], timeout_s: float = TIMEOUT_S) -> CsimResult:
    """`make target VAR=value...` in the project (g++ build, then the run); passed only when make exits 0."""
    project = Path(project)
    if not (project / "Makefile").is_file():
        raise InputError(f"{project}: not a generated HLS project (no Makefile); run `dse hls generate` first")
    if shutil.which("make") is None or shutil.which("g++") is None:
        raise InputError(f"make {target} needs make and g++ on PATH")
    try:
        proc = subprocess.run(["make", "--no-print-directory", "-C", str(project), target, *variables],
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        return CsimResult(False, -1, f"{exc.stdout or ''}{exc.stderr or ''}make {target} timed out after {timeout_s} s")
    return CsimResult(proc.returncode == 0, proc.returncode, proc.stdout + proc.stderr)
