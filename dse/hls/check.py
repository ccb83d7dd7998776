"""`dse hls check`: what would make Vitis HLS refuse the design or blow it up, found in the generated files before
anyone runs the tool (large designs otherwise die in synthesis after hours). Every problem is one line naming the
limit it breaks:

- BRAM_18K: the kernel's static on-chip arrays, as declared and partitioned, against the board's BRAM_18K. A
  bank holds `bram_18k_fp32_words` 32-bit words (512, UG473's 512 x 36 mode) or 4x as many int8; a bank of one
  element is a register.
- ARRAY_PARTITION / UNROLL: banks of a partitioned array and copies of an unrolled loop body against 4096, the
  ceiling at which Vivado HLS stops unrolling (`XFORM 203-504 Stop unrolling loop ... because it may cause large
  runtime`), as the hls4ml maintainers state it (fastmachinelearning/hls4ml issue #1013: "with Vivado HLS ... the
  limit is 4,096"); a complete partition into more banks than that needs as many unrolled accesses to be useful,
  so the same ceiling applies (dse's reading, not a documented Vitis number). ARRAY_PARTITION on a top-level
  m_axi port is refused outright (UG1399, pragma HLS array_partition: "not supported for M_AXI Interfaces on the
  top-level function").
- m_axi depth: each port's `depth=` against the largest DRAM region any layer of the header's table (at the
  tiling's batch) or of the testbench's layer set touches through it; a smaller depth makes co-simulation read
  past its model of the memory.
- identifiers: the network and layer names, which become the top function and LAYER_<name>, must be C
  identifiers.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path

from dse.errors import InputError
from dse.hls import golden
from dse.hls.generate import TILING_FILE, spans
from dse.hls.golden import Buffers, KernelLayer
from dse.hw.fpga import load_board
from dse.identifiers import check_identifier
from dse.inputs import read_yaml


@dataclass(frozen=True)
class Limit:
    value: int
    source: str


UNROLL_LIMIT = Limit(4096, "Vivado HLS unroll ceiling, XFORM 203-504; hls4ml issue #1013")
PARTITION_LIMIT = Limit(4096, "the unroll ceiling applied to partitioned banks; hls4ml issue #1013")
_BITS = {"float": 32, "signed char": 8}
_DEFINE = re.compile(r"^#define (\w+) (.+?)\s*$", re.M)
_STATIC = re.compile(r"^\s*static (float|signed char) (\w+)((?:\[[^\]]+\])+);", re.M)
_PARTITION = re.compile(r"#pragma HLS ARRAY_PARTITION variable=(\w+) (complete|cyclic|block)(?: factor=(\w+))? "
                        r"dim=(\d+)")
_UNROLL = re.compile(r"#pragma HLS UNROLL factor=(\w+)")
_M_AXI = re.compile(r"#pragma HLS INTERFACE m_axi port=(\w+) .*depth=(\d+)")
_LAYER_ROW = re.compile(r"^\s*\{ ([-\d, ]+) \}, // (\S+)$", re.M)
_OPS = {ast.Mult: operator.mul, ast.Add: operator.add, ast.Sub: operator.sub, ast.FloorDiv: operator.floordiv,
        ast.Div: operator.floordiv}


def _value(expr: str, defines: dict[str, str], where: str) -> int:
    """An integer C constant expression over #defines (+ - * / and parentheses only)."""

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and node.id in defines:
            return _value(defines[node.id], defines, where)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise InputError(f"{where}: cannot evaluate {expr!r} as an integer constant")

    try:
        return walk(ast.parse(expr.strip(), mode="eval"))
    except SyntaxError:
        raise InputError(f"{where}: cannot evaluate {expr!r} as an integer constant") from None


def _files(project: Path) -> tuple[str, str, str, dict]:
    """(top, header text, kernel text, tiling YAML) of a generated project."""
    tiling = project / TILING_FILE
    if not tiling.is_file():
        raise InputError(f"{project}: not a generated HLS project (no {TILING_FILE}); run `dse hls generate` first")
    data = read_yaml(tiling, "tiling file")
    if not isinstance(data, dict) or not isinstance(data.get("network"), str):
        raise InputError(f"{tiling}: field network missing")
    top = f"{data['network']}_train"
    header, kernel = project / f"{top}.h", project / f"{top}.cpp"
    if not header.is_file() or not kernel.is_file():
        raise InputError(f"{project}: no {header.name} / {kernel.name} for network {data['network']!r}")
    return top, header.read_text(), kernel.read_text(), data


def banks(dims: list[int], partitions: list[tuple[str, int, int]]) -> int:
    """Banks of an array of `dims` after its partitions (kind, factor, dim; dim 0 = every dimension)."""
    count = 1
    for kind, factor, dim in partitions:
        for d in range(len(dims)) if dim == 0 else [dim - 1]:
            count *= dims[d] if kind == "complete" else factor
    return count


def bram(arrays: dict[str, tuple[int, list[int]]], partitions: dict[str, list[tuple[str, int, int]]],
         bank_words: int) -> dict[str, int]:
    """BRAM_18K per static array (bits, dims) after its partitions."""
    use = {}
    for name, (bits, dims) in arrays.items():
        count = banks(dims, partitions.get(name, []))
        depth = math.ceil(math.prod(dims) / count)
        use[name] = 0 if depth <= 1 else count * math.ceil(depth / (bank_words * 32 // bits))
    return use


def check(project: str | Path) -> list[str]:
    """One line per problem found in a generated project; empty when none."""
    project = Path(project)
    top, header, kernel, data = _files(project)
    where = str(project / f"{top}.h")
    defines = dict(_DEFINE.findall(header))
    board = load_board(str(data.get("board")))
    problems = []

    arrays = {name: (_BITS[ctype], [_value(d, defines, where) for d in re.findall(r"\[([^\]]+)\]", dims)])
              for ctype, name, dims in _STATIC.findall(kernel)}
    partitions: dict[str, list[tuple[str, int, int]]] = {}
    ports = dict(_M_AXI.findall(kernel))
    for var, kind, factor, dim in _PARTITION.findall(kernel):
        if var in ports:
            problems.append(f"ARRAY_PARTITION of m_axi port {var}: not supported on top-level M_AXI interfaces "
                            f"(UG1399, pragma HLS array_partition)")
            continue
        partitions.setdefault(var, []).append((kind, _value(factor, defines, where) if factor else 0, int(dim)))
    for name, (_, dims) in arrays.items():
        count = banks(dims, partitions.get(name, []))
        if count > PARTITION_LIMIT.value:
            problems.append(f"ARRAY_PARTITION of {name}: {count} banks > {PARTITION_LIMIT.value} "
                            f"({PARTITION_LIMIT.source})")

    use = bram(arrays, partitions, board.bram_18k_fp32_words)
    if sum(use.values()) > board.bram_18k:
        detail = ", ".join(f"{n} {b}" for n, b in use.items())
        problems.append(f"BRAM_18K: on-chip arrays need {sum(use.values())} ({detail}) > {board.bram_18k} on "
                        f"{board.name} (accelerators/fpga/{board.name}.yaml bram_18k)")

    mac = _value("TM * TN", defines, where)
    if mac > UNROLL_LIMIT.value:
        problems.append(f"UNROLL: the pipelined MAC loops unroll TM x TN = {mac} copies > {UNROLL_LIMIT.value} "
                        f"({UNROLL_LIMIT.source})")
    for factor in _UNROLL.findall(kernel):
        if _value(factor, defines, where) > UNROLL_LIMIT.value:
            problems.append(f"UNROLL factor={factor}: {_value(factor, defines, where)} copies > "
                            f"{UNROLL_LIMIT.value} ({UNROLL_LIMIT.source})")

    problems += _identifiers(data, header, where)
    if not problems:  # the layer table parses only when its names do
        problems += _depths(header, defines, data, where, ports)
    return problems


def _depths(header: str, defines: dict[str, str], data: dict, where: str,
            ports: dict[str, str]) -> list[str]:
    """m_axi depth of each port against the largest region the header's layers (and the testbench's) touch."""
    T = _value("T_GROUP", defines, where)
    layers = [KernelLayer(name, *[int(v) for v in row.split(", ")]) for row, name in _LAYER_ROW.findall(header)]
    buf = Buffers(*(_value(n, defines, where) for n in ("IFM_DEPTH", "OFM_DEPTH", "WEI_DEPTH", "POOL_LINE")))
    batch = data.get("batch")
    if not isinstance(batch, int) or batch < 1 or not layers:
        raise InputError(f"{where}: no layer table, or field batch of {TILING_FILE} is not a positive integer")
    tests = golden.layer_set(T, buf, where, any(l.bn for l in layers))
    need = spans([(layers, batch), (tests, golden.BATCH)], T)
    return [f"m_axi {port}: depth {depth} < {need[port]} words the layer table touches through it at batch "
            f"{batch} (co-simulation models only depth words)"
            for port, depth in ports.items() if port in need and int(depth) < need[port]]


def _identifiers(data: dict, header: str, where: str) -> list[str]:
    """Names that become C++ identifiers (the network's top function, LAYER_<name>, BUF_<...>_<name>) and are not:
    the tiling's network and layer names, and the names in the header's layer table."""
    layers = data.get("layers") if isinstance(data.get("layers"), list) else []
    names = [("network", f"{data.get('network')}_train")]
    names += [("layers.name", f"LAYER_{l.get('name')}") for l in layers if isinstance(l, dict)]
    names += [("layer table", f"LAYER_{name}") for _, name in _LAYER_ROW.findall(header)]
    problems = []
    for field, name in names:
        try:
            check_identifier(where, field, name)
        except InputError as exc:
            problems.append(f"identifier: {exc}")
    return problems
