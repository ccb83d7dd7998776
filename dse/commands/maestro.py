"""`dse maestro MAPPING.m --hw HW.m`: evaluate a MAESTRO network/mapping file with dse's dataflow model."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

from dse.cost.dataflow.directives import Hardware
from dse.cost.dataflow.maestro_io import read_hardware, read_mapping
from dse.cost.dataflow.metrics import COMPAT, METRICS, layer_metrics
from dse.cost.dataflow.offchip import offchip_elements, roofline
from dse.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("maestro", help="evaluate a MAESTRO .m mapping file (one CSV row per layer)")
    parser.add_argument("mapping", help="MAESTRO network file with a Dataflow in each layer")
    parser.add_argument("--hw", help="MAESTRO hardware file (num_pes, l1/l2_size_cstr, noc_bw_cstr, offchip_bw_cstr)")
    parser.add_argument("--num-pes", type=int, dest="num_pes", help="override the hardware file's PE count")
    parser.add_argument("--offchip-bw", type=int, dest="offchip_bw", help="override off-chip bandwidth, elements/cycle")
    parser.add_argument("--compat", choices=COMPAT, default="fixed",
                        help="'maestro' reproduces MAESTRO's known bugs (docs/dataflow.md); default corrects them")
    parser.add_argument("--offchip-bound", choices=("step", "layer"), default="step", dest="offchip_bound",
                        help="'step' (default): MAESTRO's bound of every step by its whole L2 working set read off "
                             "chip; 'layer': no per-step bound, runtime = max(analysis, layer DRAM traffic / off-chip "
                             "bandwidth) as dse's accelerator model (docs/dataflow.md)")
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="CSV to write")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    hw = read_hardware(args.hw) if args.hw else Hardware()
    for name in ("num_pes", "offchip_bw"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                raise InputError(f"--{name.replace('_', '-')}: must be at least 1, got {value}")
            hw = dataclasses.replace(hw, **{name: value})
    hw = dataclasses.replace(hw, step_offchip_bound=args.offchip_bound == "step")
    network, layers = read_mapping(args.mapping)
    rows = []
    for index, layer in enumerate(layers, start=1):
        metrics = layer_metrics(layer, hw, compat=args.compat)
        if not hw.step_offchip_bound:
            metrics = _layer_bound(metrics, hw)
        rows.append({"layer_index": index, "layer": layer.name, **{k: metrics[k] for k in METRICS}})
    out = Path(args.out)
    pd.DataFrame(rows).to_csv(out, index=False)
    total = sum(r["runtime_cycles"] for r in rows)
    print(f"wrote {out}: {len(rows)} layers of {network}, {total:,} cycles on {hw.num_pes} PEs", file=sys.stderr)
    return 0


def _layer_bound(metrics: dict, hw: Hardware) -> dict:
    """The metrics with runtime = max(analysis cycles, layer off-chip traffic / offchip_bw elements per cycle) and
    the throughput and PE utilization that follow from it."""
    cycles, _ = roofline(metrics["runtime_cycles"], offchip_elements(metrics), hw.offchip_bw)
    throughput = metrics["num_macs"] / cycles if cycles else 0.0
    return metrics | {"runtime_cycles": cycles, "throughput_macs_per_cycle": throughput,
                      "pe_utilization": throughput / hw.num_pes}
