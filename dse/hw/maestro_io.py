"""Reader for MAESTRO's `.m` files: network/mapping files (Network, Layer, Type, Stride, Dimensions, Dataflow) and
hardware files (`num_pes: 256` lines). Every error names the file, line and offending token."""

from __future__ import annotations

import re
from pathlib import Path

from dse.errors import InputError
from dse.hw.directives import (
    CLUSTER,
    LAYER_TYPES,
    SPATIAL,
    TEMPORAL,
    Directive,
    Hardware,
    MaestroLayer,
)
from dse.hw.values import MAX_COUNT
from dse.inputs import Range, parse_whole, read_text
from dse.workload.layer import MAX_DIM

#: How `dse maestro` treats MAESTRO's known output bugs (docs/dataflow.md): "maestro" reproduces them, "fixed"
#: corrects them.
COMPAT = ("maestro", "fixed")
_TOKEN = re.compile(r"//[^\n]*|[A-Za-z_][\w']*|[0-9]+|[{}():;,]|\S")
_DIMS = {"N", "K", "C", "R", "S", "Y", "X", "G", "M", "Y'", "X'"}
_HW_KEYS = {"num_pes": "num_pes", "l1_size_cstr": "l1_size", "l2_size_cstr": "l2_size", "noc_bw_cstr": "noc_bw",
            "offchip_bw_cstr": "offchip_bw", "noc_hops": "noc_hops", "num_simd_lanes": "simd_lanes"}


class _Tokens:
    """A token stream that remembers line numbers, so errors can point at the source."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.items: list[tuple[str, int]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            for tok in _TOKEN.findall(line):
                if not tok.startswith("//"):
                    self.items.append((tok, number))
        self.pos = 0

    def error(self, message: str, tok: tuple[str, int] | None = None) -> InputError:
        tok = tok or (self.items[self.pos] if self.pos < len(self.items) else ("end of file", self.items[-1][1] if self.items else 0))
        return InputError(f"{self.path}:{tok[1]}: token {tok[0]!r}: {message}")

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def next(self) -> tuple[str, int]:
        if self.pos >= len(self.items):
            raise self.error("unexpected end of file")
        self.pos += 1
        return self.items[self.pos - 1]

    def expect(self, *values: str) -> tuple[str, int]:
        tok = self.next()
        if tok[0] not in values:
            self.pos -= 1
            raise self.error(f"expected {' or '.join(values)}")
        return tok

    def skip(self, *values: str) -> None:
        while self.peek() in values:
            self.pos += 1

    def integer(self, what: str) -> int:
        tok = self.next()
        if not _is_number(tok[0]):
            self.pos -= 1
            raise self.error(f"{what} must be a whole number")
        return self.whole(tok, what)

    def whole(self, tok: tuple[str, int], what: str) -> int:
        """A number token as an int in the layer-dimension range [1, 2**31] (dims, strides, map sizes and offsets
        all bound loop trip counts of the model's int64 arithmetic)."""
        return parse_whole(tok[0], f"{self.path}:{tok[1]}: token {tok[0]!r}: {what}", Range(1, MAX_DIM))


def _is_number(token: str) -> bool:
    """ASCII digits only: str.isdigit() also holds for '²' and '٣', which int() then refuses or misreads."""
    return token.isascii() and token.isdigit()


def read_mapping(path: str | Path) -> tuple[str, list[MaestroLayer]]:
    """Network name and its layers, in file order. A layer with an empty Dataflow inherits the previous one's."""
    path = Path(path)
    tokens = _Tokens(read_text(path, "mapping file"), str(path))
    if not tokens.items:
        raise InputError(f"{path}: empty mapping file")
    tokens.expect("Network")
    network = tokens.next()[0]
    tokens.expect("{")
    layers: list[MaestroLayer] = []
    while tokens.peek() != "}":
        if tokens.peek() is None:
            raise tokens.error("missing '}' closing the Network")
        layers.append(_layer(tokens, layers[-1].dataflow if layers else ()))
    tokens.next()
    if tokens.peek() is not None:
        raise tokens.error("text after the end of the Network block")
    if not layers:
        raise InputError(f"{path}: network {network!r} has no layers")
    return network, layers


def _layer(tokens: _Tokens, previous: tuple[Directive, ...]) -> MaestroLayer:
    start = tokens.expect("Layer")
    name = tokens.next()[0]
    tokens.expect("{")
    kind, dims, stride, raw_flow = None, None, {"Y": 1, "X": 1}, None
    while tokens.peek() != "}":
        tok = tokens.next()
        if tok[0] == "Type":
            tokens.skip(":")
            kind = tokens.next()
            if kind[0] not in LAYER_TYPES:
                raise tokens.error(f"unsupported layer type; known: {', '.join(LAYER_TYPES)}", kind)
        elif tok[0] == "Stride":
            tokens.expect("{")
            while tokens.peek() != "}":
                dim = tokens.next()
                if dim[0] not in ("X", "Y"):
                    raise tokens.error("Stride names X or Y", dim)
                tokens.skip(":")
                value = tokens.integer("a stride")
                stride[dim[0]] = value
                tokens.skip(",")
            tokens.next()
        elif tok[0] == "Dimensions":
            dims = _dimensions(tokens)
        elif tok[0] == "Dataflow":
            raw_flow = _dataflow(tokens)
        else:
            raise tokens.error("unknown keyword in a Layer (expected Type, Stride, Dimensions or Dataflow)", tok)
    tokens.next()
    where = f"{tokens.path}:{start[1]}"
    if kind is None:
        raise InputError(f"{where}: token 'Layer {name}': missing Type")
    if dims is None:
        raise InputError(f"{where}: token 'Layer {name}': missing Dimensions")
    sizes = dict(dims)
    if kind[0] in ("CONV", "DSCONV"):
        for need in ("R", "S"):
            sizes.setdefault(need, 1)
        for out, inp, filt in (("Y'", "Y", "R"), ("X'", "X", "S")):
            if out in sizes and inp not in sizes:
                sizes[inp] = sizes.pop(out) + sizes[filt] - 1
            if sizes.get(inp, 1) < sizes[filt]:
                raise InputError(f"{where}: token {inp}: input {sizes.get(inp)} smaller than filter {filt}={sizes[filt]}")
    flow = tuple(_resolve(tokens, raw, sizes) for raw in raw_flow) if raw_flow else previous
    if not flow:
        raise InputError(f"{where}: token 'Layer {name}': no Dataflow and no previous layer to inherit one from")
    return MaestroLayer(name=name, type=kind[0], dims=tuple(sizes.items()), dataflow=flow,
                        stride_y=stride["Y"], stride_x=stride["X"], source=where)


def _dimensions(tokens: _Tokens) -> list[tuple[str, int]]:
    tokens.expect("{")
    dims: list[tuple[str, int]] = []
    while tokens.peek() != "}":
        dim = tokens.next()
        if dim[0] not in _DIMS:
            raise tokens.error(f"unknown dimension; known: {', '.join(sorted(_DIMS))}", dim)
        tokens.skip(":")
        value = tokens.integer(f"dimension {dim[0]}")
        dims.append((dim[0], value))
        tokens.skip(",")
    tokens.next()
    return dims


def _dataflow(tokens: _Tokens) -> list[tuple]:
    """Directives with unresolved sizes: (kind, size-token, offset-token, dim, token for messages)."""
    tokens.expect("{")
    out = []
    while tokens.peek() != "}":
        head = tokens.next()
        if head[0] not in ("TemporalMap", "SpatialMap", "Cluster"):
            raise tokens.error("unknown directive (expected TemporalMap, SpatialMap or Cluster)", head)
        tokens.expect("(")
        size = _size_token(tokens)
        tokens.expect(",")
        if head[0] == "Cluster":
            typ = tokens.expect("P", "L")
            tokens.expect(")")
            tokens.skip(";")
            out.append((CLUSTER, size, ("1", typ[1]), "", head))
            continue
        offset = _size_token(tokens)
        tokens.expect(")")
        dim = tokens.next()
        if dim[0] not in _DIMS:
            raise tokens.error("unknown dimension in a directive", dim)
        tokens.expect(";")
        out.append((TEMPORAL if head[0] == "TemporalMap" else SPATIAL, size, offset, dim[0], head))
    tokens.next()
    return out


def _size_token(tokens: _Tokens) -> tuple[str, int]:
    tok = tokens.next()
    if tok[0] == "Sz":
        tokens.expect("(")
        dim = tokens.next()
        tokens.expect(")")
        return ("Sz:" + dim[0], dim[1])
    if not _is_number(tok[0]):
        tokens.pos -= 1
        raise tokens.error("a map size is a whole number or Sz(D)")
    return tok


def _resolve(tokens: _Tokens, raw: tuple, sizes: dict[str, int]) -> Directive:
    kind, size_tok, ofs_tok, dim, head = raw

    def value(tok: tuple[str, int]) -> int:
        if tok[0].startswith("Sz:"):
            name = tok[0][3:]
            derived = {"Y'": ("Y", "R"), "X'": ("X", "S")}
            if name in sizes:
                return sizes[name]
            if name in derived and derived[name][0] in sizes:
                return sizes[derived[name][0]] - sizes[derived[name][1]] + 1
            raise tokens.error(f"Sz({name}) of a dimension the layer does not declare", (f"Sz({name})", tok[1]))
        return tokens.whole(tok, "a map size or offset")

    size, offset = value(size_tok), value(ofs_tok)
    if size < 1 or offset < 1:  # Sz(Y') of a layer whose filter outgrows its input
        raise tokens.error("map size and offset must be at least 1", (str(size_tok[0]), size_tok[1]))
    if kind == TEMPORAL and dim in ("R", "S") and not (size == offset == sizes.get(dim, 1)):
        raise tokens.error(f"TemporalMap on {dim} must be whole: size = offset = Sz({dim}) = {sizes.get(dim, 1)}, "
                           f"got ({size},{offset})", head)
    return Directive(kind, size, offset, dim)


def parse_dataflow(directives: list[str], sizes: dict[str, int], where: str) -> tuple[Directive, ...]:
    """Resolve a dataflow written as MAESTRO directive lines (`SpatialMap(1,1) K`, `TemporalMap(Sz(R),1) Y`) against
    a layer's dimensions; `where` names the source in error messages (line numbers count the directives)."""
    tokens = _Tokens("{\n" + "\n".join(d.strip().rstrip(";") + ";" for d in directives) + "\n}", where)
    return tuple(_resolve(tokens, raw, sizes) for raw in _dataflow(tokens))


def read_hardware(path: str | Path) -> Hardware:
    """MAESTRO hardware file: `key: value` lines (num_pes, l1_size_cstr, l2_size_cstr, noc_bw_cstr, offchip_bw_cstr)."""
    path = Path(path)
    values: dict[str, int] = {}
    for number, line in enumerate(read_text(path, "hardware file").splitlines(), start=1):
        line = line.split("//")[0].strip()
        if not line:
            continue
        key, _, rest = line.partition(":")
        key, rest = key.strip(), rest.strip()
        if key not in _HW_KEYS:
            raise InputError(f"{path}:{number}: token {key!r}: unknown hardware keyword; known: {', '.join(_HW_KEYS)}")
        values[_HW_KEYS[key]] = parse_whole(rest, f"{path}:{number}: token {key}", Range(0, MAX_COUNT))
    hw = Hardware(**values)
    for field_name in ("num_pes", "noc_bw", "offchip_bw", "simd_lanes"):
        if getattr(hw, field_name) < 1:
            key = next(k for k, v in _HW_KEYS.items() if v == field_name)
            raise InputError(f"{path}: token {key}: {key} must be at least 1, got {getattr(hw, field_name)}")
    return hw
