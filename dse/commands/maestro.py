"""`dse maestro MAPPING.m --hw HW.m`: evaluate a MAESTRO network/mapping file with dse's dataflow model.

Like MAESTRO's own design-space sweep, --num-pes, --noc-bw and --offchip-bw take comma-separated lists: every
combination of the values is a machine, every layer runs on every machine, all in shared vector passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dse.hw.directives import Hardware
from dse.hw.maestro_io import COMPAT, read_hardware, read_mapping
from dse.inputs import MAESTRO_COUNT, parse_whole

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("maestro", help="evaluate a MAESTRO .m mapping file (one CSV row per layer)")
    parser.add_argument("mapping", help="MAESTRO network file with a Dataflow in each layer")
    parser.add_argument("--hw", help="MAESTRO hardware file (num_pes, l1/l2_size_cstr, noc_bw_cstr, offchip_bw_cstr), "
                                     "or a dse accelerator YAML (accelerators/dataflow/, or a design `dse explore` "
                                     "chose), its bytes counted in elements of --elem-bytes")
    parser.add_argument("--elem-bytes", dest="elem_bytes", type=int, default=4, choices=(1, 2, 4),
                        help="bytes per element when --hw is an accelerator YAML (default 4: dse's fp32 models)")
    parser.add_argument("--num-pes", dest="num_pes", metavar="N[,N...]",
                        help="override the hardware file's PE count (a list sweeps it)")
    parser.add_argument("--noc-bw", dest="noc_bw", metavar="B[,B...]",
                        help="override NoC bandwidth, elements/cycle (a list sweeps it)")
    parser.add_argument("--offchip-bw", dest="offchip_bw", metavar="B[,B...]",
                        help="override off-chip bandwidth, elements/cycle (a list sweeps it)")
    parser.add_argument("--compat", choices=COMPAT, default="fixed",
                        help="'maestro' reproduces MAESTRO's known bugs (docs/dataflow.md); default corrects them")
    parser.add_argument("--offchip-bound", choices=("step", "layer"), default="step", dest="offchip_bound",
                        help="'step' (default): MAESTRO's bound of every step by its whole L2 working set read off "
                             "chip; 'layer': no per-step bound, runtime = max(analysis, layer DRAM traffic / off-chip "
                             "bandwidth) as dse's accelerator model (docs/dataflow.md)")
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="CSV to write")
    parser.set_defaults(func=_run)


SWEPT = ("num_pes", "noc_bw", "offchip_bw")


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from dse.cost.dataflow.batch import evaluate_batch

    machines = _machines(args)
    network, layers = read_mapping(args.mapping)
    frame = evaluate_batch([l for _ in machines for l in layers], [hw for hw in machines for _ in layers],
                           compat=args.compat)
    if args.offchip_bound == "layer":
        frame = _layer_bound(frame, np.repeat([hw.offchip_bw for hw in machines], len(layers)),
                             np.repeat([hw.num_pes for hw in machines], len(layers)))
    frame.insert(0, "layer_index", np.tile(np.arange(1, len(layers) + 1), len(machines)))
    for name in SWEPT:
        frame[name] = np.repeat([getattr(hw, name) for hw in machines], len(layers))
    out = Path(args.out)
    frame.to_csv(out, index=False)
    for hw, cycles in zip(machines, frame.groupby(list(SWEPT), sort=False)["runtime_cycles"].sum()):
        print(f"wrote {out}: {len(layers)} layers of {network}, {cycles:,} cycles on {hw.num_pes} PEs "
              f"(NoC {hw.noc_bw}, off-chip {hw.offchip_bw} elements/cycle)", file=sys.stderr)
    return 0


def _machines(args: argparse.Namespace) -> list[Hardware]:
    """The hardware file (or MAESTRO's defaults) with every combination of the overridden values."""
    if args.hw and Path(args.hw).suffix in (".yaml", ".yml"):
        from dse.hw.dataflow import load_accelerator

        hw = load_accelerator(args.hw).machine(args.elem_bytes)
    else:
        hw = read_hardware(args.hw) if args.hw else Hardware()
    hw = dataclasses.replace(hw, step_offchip_bound=args.offchip_bound == "step")
    values = [_whole_numbers(name, getattr(args, name)) or [getattr(hw, name)] for name in SWEPT]
    return [dataclasses.replace(hw, **dict(zip(SWEPT, combo))) for combo in itertools.product(*values)]


def _whole_numbers(name: str, text: str | None) -> list[int]:
    """A comma-separated list of whole numbers >= 1 (empty when the option is not given)."""
    if text is None:
        return []
    option = "--" + name.replace("_", "-")
    return list(dict.fromkeys(parse_whole(item, option, MAESTRO_COUNT) for item in text.split(",")))


def _layer_bound(frame: pd.DataFrame, offchip_bw: np.ndarray, num_pes: np.ndarray) -> pd.DataFrame:
    """The metrics with runtime = max(analysis cycles, layer off-chip traffic / offchip_bw elements per cycle) and
    the throughput and PE utilization that follow from it (per row: each row's machine)."""
    import numpy as np

    from dse.cost.dataflow.offchip import offchip_elements, roofline

    cycles, _ = roofline(frame["runtime_cycles"].to_numpy(), offchip_elements(frame).to_numpy(), offchip_bw)
    throughput = np.divide(frame["num_macs"].to_numpy(), cycles, out=np.zeros(len(cycles)), where=cycles != 0)
    return frame.assign(runtime_cycles=cycles, throughput_macs_per_cycle=throughput,
                        pe_utilization=throughput / num_pes)
