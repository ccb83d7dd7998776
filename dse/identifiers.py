"""Names that reach generated C++ or Tcl must be C identifiers: checked once here, wherever the name comes from."""

from __future__ import annotations

import keyword
import re

from dse.errors import InputError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "bool true false class namespace template typename this new delete public private protected virtual".split()
)


def to_identifier(text: str) -> str:
    """`text` made a C identifier: every other character becomes `_`, and a leading digit or a keyword gets `_`
    in front (a model file's stem or node names, such as `ch_PP-OCRv4_det` or `p2o.Conv.0`, as HLS names)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text) or "_"
    if name[0].isdigit() or name in _C_KEYWORDS or keyword.iskeyword(name):
        name = "_" + name
    return name


def check_identifier(where: str, field: str, value: object) -> str:
    """`value` if it is a C identifier that is not a C/C++ keyword (it may reach generated HLS code)."""
    if not isinstance(value, str) or not _IDENT.match(value) or value in _C_KEYWORDS or keyword.iskeyword(value):
        raise InputError(f"{where}: field {field} must be a C identifier, got {value!r}")
    return value
