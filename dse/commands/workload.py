"""`dse workload list|show`: inspect the built-in models and their training graphs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dse.errors import InputError
from dse.inputs import MAX_BATCH, MAX_SEQ_LEN, Range, option, read_text

if TYPE_CHECKING:
    from dse.workload.graph import Workload

SHOW_COLUMNS = ["name", "op", "pass", "N", "K", "C", "Y", "X", "R", "S", "stride", "macs", "flops", "params"]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("workload", help="list and inspect built-in workloads")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list the model zoo")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)
    show = actions.add_parser("show", help="per-layer table and totals of one model")
    show.add_argument("name", help=WORKLOAD_HELP)
    show.add_argument("--training", action="store_true", help="expand into forward/backward/update passes")
    show.add_argument("--optimizer", default="sgd", help="optimizer of the update pass (sgd, momentum, adam)")
    add_model_arguments(show)
    show.add_argument("--json", action="store_true",
                      help="machine-readable output; its per_layer records are a workload file other commands read")
    show.set_defaults(func=_show)
    export = actions.add_parser("export", help="write a workload in another tool's format")
    export.add_argument("name", help=WORKLOAD_HELP)
    export.add_argument("--maestro", required=True, metavar="FILE.m", help="MAESTRO model file to write")
    export.add_argument("--dataflow", metavar="FILE", help="text file of MAESTRO directives to put in every layer")
    add_model_arguments(export)
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    export.set_defaults(func=_export)


def _list(args: argparse.Namespace) -> int:
    from dse.workload.zoo import MODELS, describe

    rows = [{"name": name, "description": describe(name)} for name in MODELS]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        width = max(len(r["name"]) for r in rows)
        print(f"{'name':{width}s}  description")
        for r in rows:
            print(f"{r['name']:{width}s}  {r['description']}")
    return 0


def summary(workload: Workload) -> dict:
    """Totals for JSON: `layers` counts forward conv/fc/matmul/LSTM layers, as H2H counts them."""
    from dse.workload.layer import Pass

    totals = workload.totals()
    rows = workload.layers()
    passes = {}
    for pass_ in Pass:
        chosen = [l for l in rows if l.pass_ is pass_]
        if chosen:
            passes[pass_.value] = {"ops": len(chosen), "macs": sum(l.macs for l in chosen),
                                   "flops": sum(l.flops for l in chosen)}
    return {
        "name": workload.model_name,
        "layers": len(workload.compute_layers()),
        "nodes": workload.number_of_nodes(),
        "macs": totals["macs"],
        "flops": totals["flops"],
        "params": totals["params"],
        "training": "training" in workload.graph,
        "passes": passes,
    }


WORKLOAD_HELP = ("a zoo model name (dse workload list), an .onnx file, a workload file (.yaml/.json, as "
                 "`dse workload show NAME --json` writes) or a Hugging Face config.json")


def add_input_shape(parser: argparse.ArgumentParser) -> None:
    """`--input-shape NAME=D1,D2,...` (repeatable) for ONNX inputs with dynamic dims."""
    parser.add_argument("--input-shape", action="append", dest="input_shape", metavar="[NAME=]D1,D2,...",
                        help="dims of an ONNX input with dynamic dims, e.g. x=1,3,48,320 (repeatable; NAME may be "
                             "left out when the model has one input)")


def load_from_args(args: argparse.Namespace, spec: str, flag: str) -> Workload:
    """The workload named by `spec` (`dse.workload.source`) with whichever of --batch, --seq-len, --input-shape,
    --stage and --context the command has; `flag` names the option or argument in errors."""
    from dse.workload.source import load_workload

    return load_workload(spec, batch=getattr(args, "batch", None), seq_len=getattr(args, "seq_len", None),
                         input_shapes=getattr(args, "input_shape", None), where=flag,
                         stage=getattr(args, "stage", None), context=getattr(args, "context", None))


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that shape the graph: batch, sequence length, an ONNX file's input shapes, and the LLM stage and
    context of a config.json."""
    parser.add_argument("--batch", type=option(int, Range(1, MAX_BATCH)), help="batch size (default: the model's own)")
    parser.add_argument("--seq-len", type=option(int, Range(1, MAX_SEQ_LEN)), dest="seq_len", help="sequence length for sequence models")
    parser.add_argument("--stage", choices=("prefill", "decode", "lora"),
                        help="LLM stage of a config.json (default prefill)")
    parser.add_argument("--context", type=option(int, Range(0, MAX_SEQ_LEN)),
                        help="LLM tokens already in the KV cache (decode default: --seq-len; prefill: 0)")
    add_input_shape(parser)


def load_args(args: argparse.Namespace, name: str | None = None) -> Workload:
    """The workload named by `name` (the NAME argument) or by --workload, with the options of
    `add_model_arguments`."""
    return load_from_args(args, name or args.workload, "NAME" if name else "--workload")


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.workload.training_passes import training

    workload = load_args(args, args.name)
    if args.training:
        workload = training(workload, optimizer=args.optimizer)
    info = summary(workload)
    if args.json:
        from dse.workload.workload_file import layer_records

        info["per_layer"] = layer_records(workload)
        print(json.dumps(info, indent=2))
        return 0
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(workload.table()[SHOW_COLUMNS].to_string(index=False))
    print()
    print(f"model {info['name']}: {info['layers']} compute layers, {info['nodes']} ops, "
          f"{info['macs'] / 1e9:.3f} GMAC, {info['flops'] / 1e9:.3f} GFLOP, {info['params'] / 1e6:.3f} M params")
    for pass_, t in info["passes"].items():
        print(f"  {pass_:16s} {t['ops']:5d} ops  {t['macs'] / 1e9:10.3f} GMAC  {t['flops'] / 1e9:10.3f} GFLOP")
    return 0


def _export(args: argparse.Namespace) -> int:
    from dse.workload.maestro_export import export_maestro

    out = Path(args.maestro)
    if out.exists() and not args.force:
        raise InputError(f"{out}: file exists; pass --force to overwrite it")
    dataflow: list[str] = []
    if args.dataflow:
        directives = read_text(Path(args.dataflow), "dataflow file")
        dataflow = [line for line in directives.splitlines() if line.strip() and not line.strip().startswith("//")]
    text, skipped = export_maestro(load_args(args, args.name), dataflow)
    out.write_text(text)
    print(f"wrote {out}: {text.count('Layer ')} MAC layers; left out {len(skipped)} ops without MACs", file=sys.stderr)
    return 0
