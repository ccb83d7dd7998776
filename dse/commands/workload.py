"""`dse workload list|show`: inspect the built-in models and their training graphs."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
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
    show.add_argument("name", help="a zoo model name, a path to an .onnx file or to a Hugging Face config.json")
    show.add_argument("--training", action="store_true", help="expand into forward/backward/update passes")
    show.add_argument("--optimizer", default="sgd", help="optimizer of the update pass (sgd, momentum, adam)")
    add_model_arguments(show)
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)
    export = actions.add_parser("export", help="write a workload in another tool's format")
    export.add_argument("name", help="a zoo model name, a path to an .onnx file or to a Hugging Face config.json")
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


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Options that shape the graph: batch, sequence length, and the LLM stage and context of a config.json."""
    parser.add_argument("--batch", type=option(int, Range(1, MAX_BATCH)), help="batch size (default: the model's own)")
    parser.add_argument("--seq-len", type=option(int, Range(1, MAX_SEQ_LEN)), dest="seq_len",
                        help="sequence length for sequence models")
    parser.add_argument("--stage", choices=("prefill", "decode", "lora"),
                        help="LLM stage of a config.json (default prefill)")
    parser.add_argument("--context", type=option(int, Range(0, MAX_SEQ_LEN)),
                        help="LLM tokens already in the KV cache (decode default: --seq-len; prefill: 0)")


def load_args(args: argparse.Namespace, name: str | None = None) -> Workload:
    """The workload named by `name` (default args.workload) with the options of `add_model_arguments`."""
    return load(name or args.workload, args.batch, args.seq_len, args.stage, args.context)


def load(name: str, batch: int | None, seq_len: int | None, stage: str | None = None,
         context: int | None = None) -> Workload:
    """A zoo model by name, an ONNX file or a Hugging Face config.json by path; import warnings go to stderr as
    one line each."""
    from dse.workload.hf_config import is_config_path
    from dse.workload.zoo import build

    if is_config_path(name):
        from dse.workload.decoder import from_hf_config

        return from_hf_config(name, stage or "prefill", seq_len or 512, context, batch or 1)
    for flag, value in (("--stage", stage), ("--context", context)):
        if value is not None:
            raise InputError(f"{name}: {flag} applies to a Hugging Face config.json only (got {value!r})")
    if not name.endswith(".onnx"):
        return build(name, batch=batch, seq_len=seq_len)
    from dse.workload.onnx_import import from_onnx

    if seq_len is not None:
        raise InputError(f"{name}: --seq-len does not apply to an ONNX file (its shapes are in the file)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        workload = from_onnx(name, batch=batch or 1)
    for warning in caught:
        print(f"dse: warning: {warning.message}", file=sys.stderr)
    return workload


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.workload.training_passes import training

    workload = load_args(args, args.name)
    if args.training:
        workload = training(workload, optimizer=args.optimizer)
    info = summary(workload)
    if args.json:
        info["per_layer"] = workload.table().to_dict(orient="records")
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
