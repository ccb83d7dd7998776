"""`dse hls generate|csim`: a Vitis HLS project of EF-Train's training kernel from a tiling, and its C simulation."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from dse.commands.workload import WORKLOAD_HELP, add_input_shape
from dse.errors import InputError
from dse.inputs import MAX_BATCH, MAX_TRIALS, Range, option

if TYPE_CHECKING:
    from dse.cost.tiling_record import TilingRecord

LAYOUT = "reshaped_reuse"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("hls", help="generate, check, C-simulate and train through the Vitis HLS training kernel")
    actions = parser.add_subparsers(dest="action", required=True)
    gen = actions.add_parser("generate", help="write a Vitis HLS project from a tiling record")
    source = gen.add_mutually_exclusive_group(required=True)
    source.add_argument("--tiling", metavar="FILE", help="tiling YAML (schema dse.tiling/1, e.g. from dse fpga tile)")
    source.add_argument("--board", help="search the tiling for a shipped board or a board .yaml file instead")
    gen.add_argument("--network", help="with --board: " + WORKLOAD_HELP)
    gen.add_argument("--batch", type=option(int, Range(1, MAX_BATCH)), help="with --board: batch size")
    add_input_shape(gen)
    gen.add_argument("--out", required=True, help="project folder to create")
    gen.add_argument("--force", action="store_true", help="overwrite an existing project folder")
    gen.set_defaults(func=_generate)
    csim = actions.add_parser("csim", help="build the project with g++ and run its testbench")
    csim.add_argument("project", help="a folder written by dse hls generate")
    csim.set_defaults(func=_csim)
    check = actions.add_parser("check", help="find what would make Vitis HLS refuse or blow up the project: BRAM, "
                                             "partition and unroll limits, m_axi depths, identifiers")
    check.add_argument("project", help="a folder written by dse hls generate")
    check.set_defaults(func=_check)
    train = actions.add_parser("run", help="train the project's network for N SGD steps through the C-simulated "
                                           "kernel and compare with numpy after every step")
    train.add_argument("project", help="a folder written by dse hls generate")
    train.add_argument("--steps", type=option(int, Range(1, MAX_TRIALS)), default=3, help="SGD steps (default 3)")
    train.add_argument("--json", action="store_true", help="loss and weight difference per step as JSON")
    train.set_defaults(func=_run)


def searched_record(board_name: str, network: str, batch: int, input_shapes: list[str] | None = None) -> TilingRecord:
    """The exact-search tiling (as `dse fpga estimate --tiling auto` picks it) as a record."""
    from dse.cost.fpga import evaluate
    from dse.cost.fpga_network import network_id, network_specs
    from dse.cost.fpga_schedule import Budget, fits
    from dse.cost.tiling_record import make_record
    from dse.hw.fpga import load_board
    from dse.search.fpga_tiling import exact

    board = load_board(board_name)
    specs = network_specs(network, batch, input_shapes=input_shapes)
    budget = Budget()
    tiling = exact(specs, batch, board, LAYOUT, budget).tiling
    fits(specs, tiling, board, budget)
    cost = evaluate(specs, tiling.candidates(), batch, board, LAYOUT, board.clock_hz)
    record = make_record(board, network_id(network), batch, LAYOUT, specs, tiling.Tm, tiling.Tr, tiling.M_on,
                         int(board.clock_hz), cost)
    record.check_fits(board, f"tiling of {network} on {board.name}")
    return record


def _generate(args: argparse.Namespace) -> int:
    from dse.cost.tiling_record import TilingRecord
    from dse.hls.generate import generate

    start = time.perf_counter()
    if args.tiling:
        if args.network is not None or args.batch is not None:
            raise InputError("--network/--batch go with --board, not with --tiling")
        record, source = TilingRecord.load(args.tiling), args.tiling
    else:
        if args.network is None or args.batch is None:
            raise InputError("--board needs --network and --batch")
        from dse.cost.fpga_network import network_id

        record = searched_record(args.board, args.network, args.batch, args.input_shape)
        source = f"{network_id(args.network)}_{record.board}"
    out = generate(record, source, args.out, args.force)
    print(f"wrote {out}: Tm=Tn={record.Tm}, {len(record.layers)} layers, part {record.part} "
          f"({time.perf_counter() - start:.2f} s)", file=sys.stderr)
    return 0


def _csim(args: argparse.Namespace) -> int:
    from dse.hls.csim import run

    result = run(args.project)
    print(result.output, end="")
    return 0 if result.passed else 1


def _run(args: argparse.Namespace) -> int:
    import json

    from dse.hls.run import LOSS_RTOL, WEIGHT_RTOL, run

    result = run(args.project, args.steps)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"{'step':>4s} {'loss':>10s} {'reference':>10s} {'max |dW|':>10s} {'rel':>9s} {'worst':>8s}  ok")
        for s in result.steps:
            print(f"{s.step:4d} {s.loss:10.6f} {s.loss_reference:10.6f} {s.max_weight_diff:10.3g} "
                  f"{s.max_weight_rel:9.2g} {s.worst_layer:>8s}  {'yes' if s.within else 'NO'}")
        print(f"{'PASSED' if result.passed else 'FAILED'}: weights within {WEIGHT_RTOL:g} x each layer's largest "
              f"weight, loss within {LOSS_RTOL:g} relative, after every step")
    if not result.passed and (result.returncode or not result.steps):
        print(result.output, end="", file=sys.stderr)
    return 0 if result.passed else 1


def _check(args: argparse.Namespace) -> int:
    from dse.hls.check import check

    problems = check(args.project)
    for line in problems:
        print(line)
    if not problems:
        print(f"{args.project}: no problems found (BRAM_18K, ARRAY_PARTITION/UNROLL limits, m_axi depths, names)")
    return 1 if problems else 0
