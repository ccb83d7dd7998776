"""Fill `templates/hls/` from a tiling record, so the HLS kernel and the FPGA cost model read the same numbers
(Tm, Tn, Tr, M_on, buffer depths, part, clock). Everything that reaches C++ or Tcl is checked first."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2

from dse.cost.tiling_record import TilingRecord
from dse.errors import InputError
from dse.hls import golden
from dse.hls import registers, train
from dse.hls.golden import Buffers, KernelLayer
from dse.hls.host import ARG_EXPR, HostPlan, plan
from dse.hls.reference import BN_EPS, conv_out_size
from dse.hls.reshape import fc_in_words
from dse.hw.fpga import load_board
from dse.identifiers import check_identifier
from dse.resources import templates

#: template -> file name in the project ({top} is the kernel's top function).
PROJECT_FILES = {"kernel.h.j2": "{top}.h", "kernel.cpp.j2": "{top}.cpp", "testbench.cpp.j2": "{top}_tb.cpp",
                 "run_hls.tcl.j2": "run_hls.tcl", "Makefile.j2": "Makefile", "README.md.j2": "README.md"}
#: the host program and the board driver, generated when the network is a chain the host can train (`host.plan`).
HOST_FILES = {"host.h.j2": "{top}_host.h", "host_sim.cpp.j2": "{top}_host_sim.cpp",
              "host_xrt.cpp.j2": "{top}_host_xrt.cpp", "driver.py.j2": "{top}_driver.py"}
TILING_FILE = "tiling.yaml"
DATA_DIR = "data"
#: The kernel indexes each DRAM port with a 32-bit int, so no region (m_axi depth) may hold more words.
MAX_SPAN_WORDS = 2**31 - 1
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def buffers(record: TilingRecord) -> Buffers:
    """Per-bank depths of the record's buffers and the pool line width its layers need (a BN layer's conv stores
    its whole C-wide output through the line, running without pool; BN applies the pool)."""
    b = record.buffers
    line = max(l.C if l.bn else l.C // max(l.pool, 1) for l in record.layers)
    return Buffers(b.ifm_words // record.Tn, b.ofm_words // record.Tm, b.wei_words // (record.Tm * record.Tn), line)


def kernel_layers(record: TilingRecord, buf: Buffers, source: str) -> list[KernelLayer]:
    """The record's layers in the kernel's terms. A layer's input map is the previous pooled output when the
    shapes chain (an FC after a feature map reads that buffer flat, padding included); otherwise the map its
    own R, K, S, P imply."""
    T = record.Tm
    layers: list[KernelLayer] = []
    prev: tuple[int, int, int] | None = None
    for i, l in enumerate(record.layers):
        N, H, W = l.N, (l.R - 1) * l.S + l.K - 2 * l.P, (l.C - 1) * l.S + l.K - 2 * l.P
        flat_fc = l.K == 1 and l.R == l.C == 1
        if prev is not None and flat_fc and prev[1] * prev[2] > 1 and prev[0] * prev[1] * prev[2] == l.N:
            N, H, W = fc_in_words(prev, T), 1, 1
        elif prev is not None and prev[0] == l.N and conv_out_size(prev[1], l.K, l.S, l.P) == l.R \
                and conv_out_size(prev[2], l.K, l.S, l.P) == l.C:
            H, W = prev[1], prev[2]
        Tr_bp = buf.bp_rows(l.K, W, H)
        if i and not Tr_bp:  # EF-Train's first layer has no BP
            raise InputError(f"{source}: layers ({l.name}): field buffers hold no BP row of a {H}x{W} map, "
                             f"K={l.K}")
        layers.append(KernelLayer(l.name, l.M, N, H, W, l.R, l.C, l.K, l.S, l.P, l.Tr, Tr_bp, l.M_on, int(l.relu),
                                  l.pool, int(l.bn)))
        prev = (l.M, l.R // max(l.pool, 1), l.C // max(l.pool, 1))
    return layers


def spans(runs: list[tuple[list[KernelLayer], int]], T: int) -> dict[str, int]:
    """Largest DRAM region per AXI port over (layers, batch) runs: the m_axi depth co-simulation needs. A BN
    layer's conv writes its whole output A (and a pool-less index) and BN reads A, writes dL/dA."""
    sizes = [golden.words(l, T, batch) for layers, batch in runs for l in layers]
    return {"ifm": max(max(s["x"], s["dy"], s["a"]) for s in sizes), "wei": max(s["w"] for s in sizes),
            "ofm": max(max(s["dy"], s["da"]) for s in sizes),
            "out": max(max(s["y"], s["dx"], s["w"], s["a"]) for s in sizes),
            "idx": max(max(s["idx"], s["a"]) for s in sizes), "ahat": max(s["hat"] for s in sizes),
            "bnp": max(s["bnp"] for s in sizes)}


def context(record: TilingRecord, source: str) -> dict:
    """Everything the templates read; identifiers checked here, before any file is written."""
    top = check_identifier(source, "network", f"{record.network}_train")
    if not _PART.match(record.part):
        raise InputError(f"{source}: field part must be a Xilinx part name, got {record.part!r}")
    buf = buffers(record)
    layers = kernel_layers(record, buf, source)
    bn = any(l.bn for l in layers)
    tests = golden.layer_set(record.Tm, buf, source, bn)
    host, host_missing = host_plan(record, layers, source)
    for l in layers + tests:
        check_identifier(source, "layers.name", f"LAYER_{l.name}")
    for name in golden.BN_VECTORS:
        check_identifier(source, "bn vector", f"BN_{name.upper()}")
    board = load_board(record.board)  # a shipped name, or the path of the user's board file
    span = spans([(layers, record.batch), (tests, golden.BATCH)], record.Tm)
    for port, words in span.items():
        if words > MAX_SPAN_WORDS:
            raise InputError(f"{source}: layers and batch: the {port} DRAM region of {words} words exceeds the "
                             f"kernel's 32-bit int indices (at most {MAX_SPAN_WORDS} words)")
    return {
        "top": top, "guard": check_identifier(source, "network", f"{top.upper()}_H"), "network": record.network,
        "board": board.name, "part": record.part, "clock_hz": record.clock_hz,
        "period_ns": f"{1e9 / record.clock_hz:g}", "tiling_name": Path(source).name, "Tm": record.Tm,
        "Tn": record.Tn, "ifm_depth": buf.ifm, "ofm_depth": buf.ofm, "wei_depth": buf.wei, "pool_line": buf.pool_line,
        "layers": layers, "tests": tests, "test_words": [golden.words(l, record.Tm) for l in tests],
        "tensors": [name for name, _ in golden.TENSORS + golden.BN_TENSORS], "batch": golden.BATCH,
        "lr": golden.LEARNING_RATE, "bn": bn, "bn_lanes": board.dma_words_per_cycle, "bn_eps": f"{BN_EPS:g}", "bn_vectors": golden.BN_VECTORS,
        "span": span, "record": record,
        "data_dir": DATA_DIR, "ports": registers.ports(bn), "modes": registers.modes(bn), "registers": registers.register_map(registers.ports(bn)),
        "ap_ctrl": registers.AP_CTRL, "ap_start": registers.AP_START, "ap_done": registers.AP_DONE, "plan": host,
        "host_missing": host_missing, "arg_expr": ARG_EXPR, "train_lr": train.LEARNING_RATE,
        "train_dir": train.TRAIN_DIR,
    }


def host_plan(record: TilingRecord, layers: list[KernelLayer], source: str) -> tuple[HostPlan | None, str]:
    """(the host program's buffer plan, "") or (None, why the project gets no host program)."""
    try:
        return plan(layers, record.Tm, record.batch, source), ""
    except InputError as exc:
        return None, str(exc)


def render(ctx: dict) -> dict[str, str]:
    """File name -> text of every project file."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates("hls")), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    files = {**PROJECT_FILES, **(HOST_FILES if ctx["plan"] else {})}
    return {name.format(top=ctx["top"]): env.get_template(tpl).render(**ctx) for tpl, name in files.items()}


def generate(record: TilingRecord, source: str, out: str | Path, force: bool = False) -> Path:
    """Write the Vitis HLS project for `record` into `out`; an existing `out` needs `force`."""
    out = Path(out)
    if out.exists() and not force:
        raise InputError(f"{out}: output folder exists; pass --force to overwrite it")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: output path is a file, not a folder")
    ctx = context(record, source)
    files = render(ctx)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text)
    if (out / DATA_DIR).exists():
        shutil.rmtree(out / DATA_DIR)
    golden.write(ctx["tests"], record.Tm, out / DATA_DIR)
    record.save(out / TILING_FILE)
    if ctx["plan"]:
        if (out / train.TRAIN_DIR).exists():
            shutil.rmtree(out / train.TRAIN_DIR)
        net = train.Net.of(ctx["layers"], record.Tm, record.batch)
        train.write_inputs(net, ctx["plan"].classes, out / train.TRAIN_DIR)
    return out
