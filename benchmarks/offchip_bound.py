"""MAC/cycle of the library's dataflow accelerators under each off-chip bound (`offchip_bound: layer | step`).

For each workload x accelerator, default template mappings: useful MACs / cycles over the whole network (all ops)
and over its MAC layers alone, with dse's layer roofline and with MAESTRO's per-step working-set bound, and which
bound sets each MAC layer's runtime under `layer` (on-chip analysis or DRAM traffic).

    python benchmarks/offchip_bound.py [--workloads vgg16 resnet50] [--accelerators nvdla eyeriss shidiannao]
"""

from __future__ import annotations

import argparse
import dataclasses

import pandas as pd

from dse.cost.dataflow.model import evaluate_batch
from dse.hw.dataflow import load_accelerator
from dse.workload import build


def row(workload: str, name: str) -> dict:
    layers = build(workload).layers()
    acc = load_accelerator(name)
    out: dict = {"workload": workload, "accelerator": name, "PEs": acc.num_pes}
    for bound in ("layer", "step"):
        frame = evaluate_batch(layers, dataclasses.replace(acc, offchip_bound=bound))
        mac = frame[frame["macs"] > 0]
        out[f"{bound} MAC/cycle"] = frame["macs"].sum() / frame["cycles"].sum()
        out[f"{bound} MAC/cycle (MAC layers)"] = mac["macs"].sum() / mac["cycles"].sum()
        if bound == "layer":
            out["MAC layers traffic-bound"] = f"{(mac['dram_bound_cycles'] >= mac['runtime_cycles']).sum()}/{len(mac)}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["vgg16", "resnet50"])
    parser.add_argument("--accelerators", nargs="+", default=["nvdla", "eyeriss", "shidiannao"])
    args = parser.parse_args(argv)
    table = pd.DataFrame([row(w, a) for w in args.workloads for a in args.accelerators])
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(table.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
