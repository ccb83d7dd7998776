"""Numbers, text and YAML from users, checked once at the boundary: every loader and command option goes through here.

A number a user gives must be finite, inside the range its field documents, and (for integers) small enough that
the models' int64 arithmetic cannot overflow. Anything else is an `InputError` of one line naming the file and key
(or the option), the range and the value. Command options use `option(...)` as their argparse `type=`, so a bad
value exits 2 with argparse's one-line "argument --batch: ..." message.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dse.errors import InputError

#: Largest batch any command or config accepts. Chosen so a network's MACs times the batch stay far inside int64
#: (9.2e18): VGG-16 training is ~4.7e10 MACs per sample, x 1e6 = 4.7e16. Larger batches are "out of range".
MAX_BATCH = 1_000_000
#: Largest sequence length: a 2**20-token attention matrix times a 4096-wide model is ~4.5e15 MACs, inside int64.
MAX_SEQ_LEN = 1 << 20
#: Largest sample count of a search (trials): a study this long already takes hours.
MAX_TRIALS = 10_000_000
#: numpy and Optuna seeds are 32-bit.
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Range:
    """A closed or half-open interval; `None` is unbounded on that side. Its text appears in every message."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.high_open and value == self.high))

    def __str__(self) -> str:
        low = "-inf" if self.low is None else _show(self.low)
        high = "inf" if self.high is None else _show(self.high)
        return f"{'(' if self.low_open or self.low is None else '['}{low}, {high}{')' if self.high_open or self.high is None else ']'}"


def _show(bound: float) -> str:
    """An integer bound in full (a batch limit of 1000000), any other in short form (1e-30)."""
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


POSITIVE = Range(0.0, None, low_open=True)
NON_NEGATIVE = Range(0.0, None)
FRACTION = Range(0.0, 1.0)  # [0, 1]
SHARE = Range(0.0, 1.0, low_open=True)  # (0, 1]
INT64 = Range(-(2**63), 2**63 - 1)

# Ranges of the fields users give on the command line and in configs, decided per field (docs/conventions.md).
#: Host link bandwidth, GB/s: 1 byte/s to 1 EB/s. Transfers at 1e-9 GB/s take ~1e9 s per GB, still finite.
LINK_BW_GBPS = Range(1e-9, 1e9)
#: Device lifetime, years: a century bounds any edge device.
LIFETIME_YEARS = Range(0.0, 100.0)
#: A clock given on the command line, Hz: 1 Hz to 1 THz.
CLOCK_HZ = Range(1.0, 1e12)
#: Seconds between a worker's heartbeats.
HEARTBEAT_SECONDS = Range(1, 3600)
#: PE counts and NoC / off-chip bandwidths (elements per cycle) of a MAESTRO machine.
MAESTRO_COUNT = Range(1, 1 << 30)


def real(value: Any, where: str, within: Range = Range()) -> float:
    """`value` as a finite float inside `within`, else an InputError naming `where`, the range and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: must be a number in {within}, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise InputError(f"{where}: must be a number in {within}, got {value!r}") from None
    if not math.isfinite(number) or number not in within:
        raise InputError(f"{where}: must be a finite number in {within}, got {value!r}")
    return number


def whole(value: Any, where: str, within: Range = Range(1, None)) -> int:
    """`value` as an int inside `within` and inside int64 (a float with an integer value is accepted)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: must be an integer in {_int_range(within)}, got {value!r}")
    if value not in within or value not in INT64:
        raise InputError(f"{where}: must be an integer in {_int_range(within)}, got {value!r}")
    return value


Check = Callable[[Any, str], Any]


def real_in(within: Range) -> Check:
    """A check (value, where) -> float for a record's or config's numeric field."""
    return lambda value, where: real(value, where, within)


def whole_in(within: Range) -> Check:
    return lambda value, where: whole(value, where, within)


def text(value: Any, where: str) -> str:
    """A name (of a board, a model, a grid): non-empty text; the loader it reaches says whether it exists."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: must be a name (text), got {value!r}")
    return value


def flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: must be true or false, got {value!r}")
    return value


def one_of(choices: Any) -> Check:
    """A check that a value is one of `choices` (names)."""
    allowed = tuple(choices)

    def check(value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise InputError(f"{where}: must be one of {', '.join(allowed)}, got {value!r}")
        return value

    return check


def known(load: Callable[[str], Any]) -> Check:
    """A check that `load(name)` finds the named thing (a board, a model, a grid), its error prefixed by `where`."""
    def check(value: Any, where: str) -> str:
        text(value, where)
        try:
            load(value)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        return value

    return check


def optional(check: Check) -> Check:
    """`check`, or None for "not given" (the model's own default)."""
    return lambda value, where: None if value is None else check(value, where)


def _int_range(within: Range) -> Range:
    """The range as shown for an integer: an open end shown as the closed integer bound."""
    low = INT64.low if within.low is None else within.low
    high = INT64.high if within.high is None else within.high
    return Range(math.floor(low) + (1 if within.low_open else 0), math.ceil(high) - (1 if within.high_open else 0))


def _plain(text: object) -> bool:
    """Whether a number's text is plain ASCII without digit-group underscores. Python's int() and float() also
    read `1_000` and non-ASCII digits (`٣` is 3); a user's file or option should say what it means in the digits
    every other tool reads, so those are refused (docs/conventions.md)."""
    return isinstance(text, str) and text.isascii() and "_" not in text


def parse_real(text: str, where: str, within: Range = Range()) -> float:
    """A number written as text (a constraint bound, a command option)."""
    try:
        value = float(text) if _plain(text) else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        raise InputError(f"{where}: {text!r} is not a number")
    return real(value, where, within)


def parse_whole(text: str, where: str, within: Range = Range(1, None)) -> int:
    try:
        value = int(text.strip(), 10) if _plain(text) else None
    except ValueError:
        value = None
    if value is None:
        raise InputError(f"{where}: {text!r} is not a whole number")
    return whole(value, where, within)


def option(kind: type, within: Range) -> Any:
    """An argparse `type=` for a numeric option: bad values become argparse's one-line usage error (exit 2)."""
    parse = parse_whole if kind is int else parse_real

    def convert(text: str) -> int | float:
        try:
            return parse(text, "value", within)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None

    convert.__name__ = kind.__name__  # argparse names the type in its messages
    return convert


def is_file(path: Path | str) -> bool:
    """Whether a user's path names a file; a name the OS refuses (too long, a NUL) is no file, not an OSError."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def read_text(path: Path, what: str = "file") -> str:
    """A user's text file as UTF-8; a missing file, a folder or other bytes are one-line InputErrors."""
    if not is_file(path):
        raise InputError(f"{what} {str(path)!r} does not exist")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """`yaml.safe_load` that refuses a key given twice in one mapping (PyYAML silently keeps the last). It parses
    with libyaml's C parser where PyYAML was built with it (about 10x faster than the pure-Python parser: a GPU
    file in 0.4 ms instead of 4.5 ms); construction stays PyYAML's safe constructor either way."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader reports it below
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, what: str = "file") -> Any:
    """A user's YAML file (safe loader, duplicate keys refused); every failure is one line naming the file."""
    text = read_text(path, what)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass: no Python objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}:{where} is not valid YAML: {problem}") from None
    except RecursionError:
        raise InputError(f"{path}: YAML nested too deeply") from None


def read_json(path: Path, what: str = "file") -> Any:
    """A user's JSON file; not UTF-8, not JSON or nested beyond the parser's depth is one line naming the file.
    (JSON's NaN and Infinity parse; the fields they reach refuse them.)"""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
