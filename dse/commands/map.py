"""`dse map --workload NAME --accelerator NAME --objective edp`: best dataflow mapping per layer, and totals."""

from __future__ import annotations

import argparse
import json

from dse.cost.dataflow.model import evaluate
from dse.cost.dataflow.problem import has_mac_form, problem
from dse.cost.record import Cost
from dse.hw.dataflow import load_accelerator
from dse.search.dataflow_mapping import OBJECTIVES, MappingResult, fits, score, search
from dse.workload import build, training


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("map", help="search tile/cluster sizes per layer on a dataflow accelerator")
    parser.add_argument("--workload", required=True, help="a zoo model name")
    parser.add_argument("--accelerator", required=True, help="accelerators/dataflow name (nvdla, eyeriss, ...) or YAML path")
    parser.add_argument("--objective", choices=OBJECTIVES, default="edp")
    parser.add_argument("--batch", type=int, help="batch size (default: the model's own)")
    parser.add_argument("--training", action="store_true", help="map the training graph (all passes)")
    parser.add_argument("--trials", type=int, default=40, help="Optuna trials for layers with a large space")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    acc = load_accelerator(args.accelerator)
    workload = build(args.workload, batch=args.batch) if args.batch else build(args.workload)
    if args.training:
        workload = training(workload)
    done: dict[tuple, MappingResult] = {}
    rows, best_total, default_total = [], Cost(), Cost()
    for layer in workload.layers():
        key = (problem(layer), layer.elem_bytes) if has_mac_form(layer) else None
        if key is None or key not in done:
            result = search(layer, acc, args.objective, trials=args.trials)
            if key is not None:
                done[key] = result
        else:
            result = done[key]
        cost = evaluate(layer, acc, result.mapping)  # this layer's own useful MACs and FLOPs
        default = evaluate(layer, acc)
        best_total, default_total = best_total + cost, default_total + default
        rows.append({"layer": layer.name, "op": layer.op.value, "pass": layer.pass_.value, "mapping": result.mapping,
                     "method": result.method, "evaluated": result.evaluated, "fits": result.fits,
                     "cycles": float(cost.cycles), "energy_j": float(cost.energy_j),
                     "l1_bytes": float(cost.l1_bytes), "l2_bytes": float(cost.l2_bytes),
                     "default_score": score(default, args.objective), "default_fits": fits(default, acc),
                     "score": score(cost, args.objective)})
    totals = {name: {"seconds": float(t.seconds), "energy_j": float(t.energy_j), "edp_js": float(t.seconds * t.energy_j),
                     "macs": float(t.macs)} for name, t in (("best", best_total), ("default", default_total))}
    if args.json:
        print(json.dumps({"workload": args.workload, "accelerator": acc.name, "dataflow": acc.dataflow_name,
                          "objective": args.objective, "layers": rows, "totals": totals}, indent=1))
        return 0
    print(f"{args.workload} on {acc.name} ({acc.dataflow_name}, {acc.num_pes} PEs), objective {args.objective}")
    print(f"{'layer':28s} {'pass':15s} {'mapping':22s} {'method':6s} {'fits':4s} {'cycles':>12s} {'energy uJ':>10s}")
    for r in rows:
        mapping = ",".join(f"{k}={v}" for k, v in r["mapping"].items()) or "-"
        print(f"{r['layer'][:28]:28s} {r['pass']:15s} {mapping:22s} {r['method']:6s} {'yes' if r['fits'] else 'NO':4s} "
              f"{r['cycles']:12,.0f} {r['energy_j'] * 1e6:10.2f}")
    for name, t in totals.items():
        print(f"total ({name} mappings): {t['seconds'] * 1e3:.3f} ms, {t['energy_j'] * 1e3:.3f} mJ, "
              f"EDP {t['edp_js']:.4g} J*s")
    misfits = sum(not r["fits"] for r in rows)
    if misfits:
        print(f"{misfits} layer(s) have no mapping that fits L1/L2 ({acc.l1_bytes:.0f} B / {acc.l2_bytes:.0f} B); "
              f"their best unconstrained mapping is shown")
    return 0
