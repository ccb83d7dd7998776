"""Strategies that know a document's schema by starting from a valid one and making one thing wrong.

A YAML document gets one of: a value replaced (wrong type, sign, zero, NaN, inf, huge, tiny, empty, a unit string),
a number scaled to an absurd magnitude, a key removed, an unknown key added, a value nested deeply; or, as text,
a key given twice, the text truncated, re-encoded (UTF-16, Latin-1) or replaced by binary junk. Text formats
(MAESTRO `.m`) get a token replaced, removed or duplicated, or the same text-level damage.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import strategies as st

ODD_VALUES = [None, True, False, "", " ", "abc", "10 GB/s", "100 MHz", "1e", "0x10", "nan", ".inf", [], {}, [1, 2],
              {"value": 1}, {"value": "1"}, 0, -1, 0.0, -0.0, 0.5, 1, 2, 3.5, 1e-300, 5e-324, 1e300, 1.7e308,
              10**30, -(10**30), 2**63, 2**64, 99999999999999999999, float("nan"), float("inf"), float("-inf")]
SCALES = [0, -1, 1e-30, 1e-12, 1e6, 1e12, 1e30, 1e300, float("inf"), float("nan")]


def odd_values() -> st.SearchStrategy[Any]:
    leaves = (st.sampled_from(ODD_VALUES) | st.integers() | st.floats() | st.text(max_size=12)
              | st.booleans() | st.none())
    return leaves | st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                                 | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every position in a parsed document: mapping keys and list indices, containers included."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += paths(value, (*prefix, i))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _parent(doc: Any, path: tuple) -> tuple[Any, Any]:
    return _get(doc, path[:-1]), path[-1]


@st.composite
def mutated_document(draw: st.DrawFn, base: dict) -> Any:
    """`base` with one structural change (returned as data, dumped by the caller)."""
    doc = copy.deepcopy(base)
    where = draw(st.sampled_from(paths(doc)))
    parent, key = _parent(doc, where)
    kind = draw(st.sampled_from(["replace", "replace", "scale", "delete", "unknown", "nest"]))
    value = parent[key]
    if kind == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
        parent[key] = value * draw(st.sampled_from(SCALES)) if draw(st.booleans()) else draw(st.sampled_from(SCALES))
    elif kind == "delete" and isinstance(parent, dict):
        del parent[key]
    elif kind == "delete" and isinstance(parent, list):
        parent.pop(key)
    elif kind == "unknown":
        target = value if isinstance(value, dict) else parent if isinstance(parent, dict) else doc
        target[draw(st.sampled_from(["bogus", "valu", "sourc", "extra_w"]))] = draw(odd_values())
    elif kind == "nest":
        for _ in range(draw(st.integers(1, 60))):
            value = [value] if draw(st.booleans()) else {"value": value}
        parent[key] = value
    else:
        parent[key] = draw(odd_values())
    return doc


def dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> bytes:
    """The text made wrong as bytes: truncated, re-encoded, a line given twice, junk, deep nesting, or empty."""
    kind = draw(st.sampled_from(["truncate", "utf16", "latin1", "duplicate", "binary", "nesting", "empty"]))
    if kind == "truncate":
        return text.encode()[:draw(st.integers(0, max(0, len(text.encode()) - 1)))]
    if kind == "utf16":
        return text.encode("utf-16")
    if kind == "latin1":
        return ("# caf\u00e9\n" + text).encode("latin-1", errors="replace")
    if kind == "duplicate":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:]).encode()
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=200))
    if kind == "nesting":
        depth = draw(st.integers(100, 20_000))
        return ("a: " + "[" * depth + "]" * depth + "\n").encode()
    return b""


def yaml_files(base: dict) -> st.SearchStrategy[bytes]:
    """A YAML file of `base` with one field made wrong (mostly), or the file damaged as text."""
    return (mutated_document(base).map(lambda d: dump(d).encode())
            | mutated_document(base).map(lambda d: dump(d).encode())
            | damaged_text(dump(base)))


_TOKEN = re.compile(r"\d+|[A-Za-z_]\w*|[{}():;,]")
TOKEN_JUNK = ["0", "-1", "00", "99999999999999999999", "1e3", "1.5", "²", "٣", "", "{", "}", "(", ")", ";", ",", ":",
              "K", "C", "Y'", "Sz(R)", "SpatialMap", "TemporalMap", "Cluster", "Layer", "Network", "Dimensions"]


@st.composite
def mutated_tokens(draw: st.DrawFn, text: str) -> bytes:
    """`text` with one token replaced, removed or duplicated (or the text damaged as a whole)."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if not spans or draw(st.integers(0, 5)) == 0:
        return draw(damaged_text(text))
    start, end = draw(st.sampled_from(spans))
    kind = draw(st.sampled_from(["replace", "replace", "remove", "duplicate"]))
    if kind == "remove":
        new = ""
    elif kind == "duplicate":
        new = text[start:end] + " " + text[start:end]
    else:
        new = draw(st.sampled_from(TOKEN_JUNK) | st.integers().map(str) | st.text(max_size=6))
    return (text[:start] + new + text[end:]).encode("utf-8", errors="surrogatepass")
