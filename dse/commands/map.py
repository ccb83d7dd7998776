"""`dse map --workload NAME --accelerator NAME --objective edp [--scope network|layer]`: a dataflow mapping per
layer, chosen for the whole network or for each layer alone, and totals of both choices and of the defaults."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import TYPE_CHECKING

from dse.inputs import FRACTION, MAX_BATCH, MAX_TRIALS, Range, option
from dse.commands.workload import WORKLOAD_HELP, add_input_shape
from dse.search.objectives import OBJECTIVES

if TYPE_CHECKING:
    from dse.cost.dataflow.model import Mapping
    from dse.hw.dataflow import DataflowAccelerator
    from dse.search.dataflow_mapping import MappingResult
    from dse.workload.layer import Layer

SCOPES = ("network", "layer")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("map", help="search tile/cluster sizes per layer on a dataflow accelerator")
    parser.add_argument("--workload", required=True, help=WORKLOAD_HELP)
    parser.add_argument("--accelerator", required=True,
                        help="accelerators/dataflow name (nvdla, eyeriss, ...), accelerators/row_stationary name "
                             "(eyeriss-chip: the chip's row-stationary model) or YAML path")
    parser.add_argument("--objective", choices=OBJECTIVES, default="edp")
    parser.add_argument("--scope", choices=SCOPES, default="network",
                        help="network (default): one mapping per layer minimising the whole network's objective, "
                             "for edp (sum of energies) x (sum of latencies); layer: each layer's own best. For "
                             "latency and energy both give the same totals (a sum is least when every term is)")
    parser.add_argument("--batch", type=option(int, Range(1, MAX_BATCH)), help="batch size (default: the model's own)")
    parser.add_argument("--training", action="store_true", help="map the training graph (all passes)")
    add_input_shape(parser)
    parser.add_argument("--trials", type=option(int, Range(1, MAX_TRIALS)), default=40, help="Optuna trials for layers with a large space")
    parser.add_argument("--activation-zeros", type=option(float, FRACTION), default=0.0,
                        help="row-stationary chips only: share of zero activations, for their run-length coded "
                             "DRAM transfers (workload data; default 0: dense)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=_run)


def _choices(layers: list[Layer], acc: DataflowAccelerator, objective: str,
             trials: int) -> tuple[list, dict[object, MappingResult], dict[str, dict[object, Mapping]]]:
    """Per layer its search key (identical problems are searched once), the search result of each key, and per
    scope the mapping of each key."""
    import numpy as np

    from dse.cost.dataflow.problem import has_mac_form, problem
    from dse.search.dataflow_mapping import search
    from dse.search.network_mapping import choose

    keys = [(problem(l), l.elem_bytes) if has_mac_form(l) else l.name for l in layers]
    results: dict[object, MappingResult] = {}
    for layer, key in zip(layers, keys):
        if key not in results:
            results[key] = search(layer, acc, objective, trials=trials)
    counts = Counter(keys)
    fronts = [(np.array([float(c.seconds) for _, c in r.front]), np.array([float(c.energy_j) for _, c in r.front]))
              for r in results.values()]
    picks = choose(fronts, [counts[k] for k in results], objective)
    return keys, results, {"layer": {k: r.mapping for k, r in results.items()},
                           "network": {k: r.front[i][0] for (k, r), i in zip(results.items(), picks)}}


def _run(args: argparse.Namespace) -> int:
    from dse.hw.row_stationary import is_row_stationary

    if is_row_stationary(args.accelerator):
        return _run_row_stationary(args)
    from dse.cost.dataflow.model import evaluate_batch
    from dse.hw.dataflow import load_accelerator
    from dse.search.dataflow_mapping import fits
    from dse.commands.workload import load_from_args
    from dse.workload import training

    acc = load_accelerator(args.accelerator)
    workload = load_from_args(args, args.workload, "--workload")
    if args.training:
        workload = training(workload)
    layers = list(workload.layers())
    keys, results, chosen = _choices(layers, acc, args.objective, args.trials)
    frames = {scope: evaluate_batch(layers, acc, [chosen[scope][k] for k in keys]) for scope in SCOPES}
    frames["default"] = evaluate_batch(layers, acc)
    totals = {name: {"seconds": float(f["seconds"].sum()), "energy_j": float(f["energy_j"].sum()),
                     "edp_js": float(f["seconds"].sum() * f["energy_j"].sum()), "macs": float(f["macs"].sum())}
              for name, f in frames.items()}
    frame, default = frames[args.scope], frames["default"]
    scores, default_scores = (OBJECTIVES[args.objective](f["seconds"], f["energy_j"]) for f in (frame, default))
    rows = [{"layer": layer.name, "op": layer.op.value, "pass": layer.pass_.value, "mapping": chosen[args.scope][k],
             "method": results[k].method, "evaluated": results[k].evaluated, "fits": results[k].fits,
             "cycles": float(frame["cycles"][i]), "energy_j": float(frame["energy_j"][i]),
             "l1_bytes": float(frame["l1_bytes"][i]), "l2_bytes": float(frame["l2_bytes"][i]),
             "score": float(scores[i]), "default_score": float(default_scores[i]),
             "default_fits": bool(fits(default.iloc[i], acc))}
            for i, (layer, k) in enumerate(zip(layers, keys))]
    if args.json:
        print(json.dumps({"workload": args.workload, "accelerator": acc.name, "dataflow": acc.dataflow_name,
                          "objective": args.objective, "scope": args.scope, "layers": rows, "totals": totals},
                         indent=1))
        return 0
    print(f"{args.workload} on {acc.name} ({acc.dataflow_name}, {acc.num_pes} PEs), objective {args.objective}, "
          f"mappings chosen per {args.scope}")
    print(f"{'layer':28s} {'pass':15s} {'mapping':22s} {'method':6s} {'fits':4s} {'cycles':>12s} {'energy uJ':>10s}")
    for r in rows:
        mapping = ",".join(f"{k}={v}" for k, v in r["mapping"].items()) or "-"
        print(f"{r['layer'][:28]:28s} {r['pass']:15s} {mapping:22s} {r['method']:6s} {'yes' if r['fits'] else 'NO':4s} "
              f"{r['cycles']:12,.0f} {r['energy_j'] * 1e6:10.2f}")
    labels = {"network": "network-level choice", "layer": "per-layer choice", "default": "default mappings"}
    for name, t in totals.items():
        print(f"total ({labels[name]}): {t['seconds'] * 1e3:.3f} ms, {t['energy_j'] * 1e3:.3f} mJ, "
              f"EDP {t['edp_js']:.4g} J*s")
    if args.objective == "edp":
        gain = 1 - totals["network"]["edp_js"] / totals["layer"]["edp_js"]
        print(f"network EDP of the network-level choice is {gain * 100:.3g}% below that of the per-layer choice")
    misfits = sum(not r["fits"] for r in rows)
    if misfits:
        print(f"{misfits} layer(s) have no mapping that fits L1/L2 ({acc.l1_bytes:.0f} B / {acc.l2_bytes:.0f} B); "
              f"their best unconstrained mapping is shown")
    return 0


def _run_row_stationary(args: argparse.Namespace) -> int:
    """`dse map` on a row-stationary chip file: the best folding per layer (exact), for the layers the chip's RS
    passes run (forward dense conv and fc); other layers are listed as not costed."""
    import numpy as np

    from dse.commands.workload import load_from_args
    from dse.cost.row_stationary import supports
    from dse.hw.row_stationary import load_chip
    from dse.search.network_mapping import choose
    from dse.search.row_stationary import search
    from dse.workload import training

    chip = load_chip(args.accelerator)
    workload = load_from_args(args, args.workload, "--workload")
    if args.training:
        workload = training(workload)
    layers = list(workload.layers())
    costed = [l for l in layers if supports(l)]
    results = {l.name: search(l, chip, args.objective, args.activation_zeros) for l in costed}
    fronts = [(np.array([c.seconds for _, c in r.front]), np.array([c.energy_j for _, c in r.front]))
              for r in results.values()]
    picks = choose(fronts, [1] * len(fronts), args.objective) if args.scope == "network" else None
    chosen = {name: (r.front[picks[i]] if picks is not None else (r.mapping, r.cost))
              for i, (name, r) in enumerate(results.items())}
    rows = [{"layer": l.name, "op": l.op.value, "pass": l.pass_.value,
             "mapping": chosen[l.name][0] if l.name in chosen else {}, "costed": l.name in chosen,
             "evaluated": results[l.name].evaluated if l.name in chosen else 0,
             "cycles": chosen[l.name][1].cycles if l.name in chosen else 0.0,
             "seconds": chosen[l.name][1].seconds if l.name in chosen else 0.0,
             "energy_j": chosen[l.name][1].energy_j if l.name in chosen else 0.0,
             "dram_bytes": chosen[l.name][1].dram_bytes if l.name in chosen else 0.0} for l in layers]
    seconds, energy = sum(r["seconds"] for r in rows), sum(r["energy_j"] for r in rows)
    totals = {"seconds": seconds, "energy_j": energy, "edp_js": seconds * energy,
              "dram_bytes": sum(r["dram_bytes"] for r in rows), "costed_layers": len(costed)}
    if args.json:
        print(json.dumps({"workload": args.workload, "accelerator": chip.name, "model": "row-stationary",
                          "objective": args.objective, "scope": args.scope, "layers": rows, "totals": totals},
                         indent=1))
        return 0
    print(f"{args.workload} on {chip.name} (row-stationary, {chip.pe_rows} x {chip.pe_cols} PEs), objective "
          f"{args.objective}, foldings chosen per {args.scope}")
    print(f"{'layer':28s} {'folding (n,p,q,r,t,e,m)':24s} {'cycles':>12s} {'ms':>9s} {'DRAM MB':>8s} {'energy uJ':>10s}")
    for r in rows:
        if not r["costed"]:
            continue
        folding = ",".join(str(v) for v in r["mapping"].values())
        print(f"{r['layer'][:28]:28s} {folding:24s} {r['cycles']:12,.0f} {r['seconds'] * 1e3:9.3f} "
              f"{r['dram_bytes'] / 1e6:8.2f} {r['energy_j'] * 1e6:10.2f}")
    print(f"total: {seconds * 1e3:.3f} ms, {energy * 1e3:.3f} mJ, DRAM {totals['dram_bytes'] / 1e6:.1f} MB "
          f"over {len(costed)} costed layers")
    skipped = Counter(l.op.value for l in layers if not supports(l))
    if skipped:
        print("not costed (the row-stationary passes run forward conv and fc layers only): "
              + ", ".join(f"{n} {op}" for op, n in sorted(skipped.items())))
    return 0
