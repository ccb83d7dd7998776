"""Run `dse` in-process on fuzzed input and check the one property every surface shares.

The property: the command exits 0 with finite, non-negative numbers in its `--json` output, or exits 2 with one
line on stderr naming the file or option; never another exception (a traceback), never exit 1, never a hang (a
time limit per example), and never a file written outside its `--out` (each run has its own empty working folder).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dse.cli import main
from dse.errors import InputError

#: Wall-clock limit of one command; a fuzzed input that runs longer is a hang.
TIME_LIMIT_S = 60


class Hang(Exception):
    """A command outlived TIME_LIMIT_S."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    folder: Path


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    """An empty folder, the working directory while a command runs; inputs go in `in/`, outputs in `out`."""
    with tempfile.TemporaryDirectory(prefix="dse-fuzz-") as name:
        folder = Path(name)
        (folder / "in").mkdir()
        yield folder


def write_input(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / "in" / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def run_cli(argv: list[str], folder: Path, seconds: float = TIME_LIMIT_S) -> Run:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit(seconds):
            code = main(argv)
    finally:
        os.chdir(cwd)
    return Run(code, out.getvalue(), err.getvalue(), folder)


def check_run(run: Run, names: list[str], outputs: tuple[str, ...] = ("out",)) -> None:
    """The shared property; `names` are what a one-line error may name (the file, the option)."""
    assert run.code in (0, 2), f"exit {run.code}: {run.stderr[-2000:]}"
    stray = sorted(str(p.relative_to(run.folder)) for p in run.folder.iterdir() if p.name not in ("in", *outputs))
    assert not stray, f"wrote outside --out: {stray}"
    if run.code == 2:
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {run.stderr!r}"
        assert names_one(lines[0], names), f"error names none of {names}: {lines[0]!r}"
    elif run.stdout.lstrip().startswith(("{", "[")):
        check_numbers(json.loads(run.stdout))


def names_one(message: str, names: list[str]) -> bool:
    """Whether the message names one of `names`: a file path, an option (`--dsp-budget`, also as "dsp budget")."""
    text = message.lower()
    return any(n.lower() in text or n.lstrip("-").replace("-", " ").lower() in text for n in names)


def check_numbers(value: object, where: str = "") -> None:
    """Every number in a JSON document is finite and non-negative."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_numbers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_numbers(item, f"{where}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        assert math.isfinite(value) and value >= 0, f"{where} = {value!r}"


def check_loader(call, names: list[str]):
    """A library loader either returns its record or raises one InputError line naming the file; returns the record
    (None after an InputError)."""
    try:
        return call()
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message.strip(), f"multi-line error: {message!r}"
        assert names_one(message, names), f"error names none of {names}: {message!r}"
        return None
