"""The Eyeriss chip (JSSC 2017 Table VI, reference/eyeriss/vgg16_chip.csv) against the `eyeriss` accelerator, layer
by layer: VGG-16's 13 conv layers at batch 3 in 16-bit words, each mapped by the latency search of `dse map`.

    python benchmarks/eyeriss_chip.py [--plot docs/img/eyeriss_vgg16]

Prints per layer the model's latency and DRAM traffic next to the chip's, and the ratios."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's tests/: where reference/ is
from tests.reference import REFERENCE  # noqa: E402

CHIP = REFERENCE / "eyeriss" / "vgg16_chip.csv"


def chip_table() -> list[dict[str, str]]:
    with CHIP.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def model_rows() -> list[dict[str, float]]:
    from dse.hw.dataflow import load_accelerator
    from dse.search.dataflow_mapping import search
    from dse.workload import build
    from dse.workload.layer import Op

    acc = load_accelerator("eyeriss")
    convs = [dataclasses.replace(l, elem_bytes=2) for l in build("vgg16", batch=3).layers() if l.op is Op.CONV]
    out = []
    for layer in convs:
        r = search(layer, acc, "latency", exact_limit=10_000)  # the whole space, as dse map --trials cannot
        out.append({"seconds": float(r.cost.seconds), "dram_bytes": float(r.cost.dram_bytes),
                    "mapping": r.mapping, "fits": r.fits})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write STEM.png and STEM.svg: model vs chip latency per layer")
    args = parser.parse_args()
    chip = chip_table()
    start = time.perf_counter()
    model = model_rows()
    took = time.perf_counter() - start
    print(f"{'layer':8s} {'chip ms':>8s} {'model ms':>9s} {'ratio':>6s} {'chip MB':>8s} {'model MB':>9s} {'ratio':>6s} mapping")
    for c, m in zip(chip, model):
        ms = m["seconds"] * 1e3
        mb = m["dram_bytes"] / 1e6
        chip_mb = float(c["dram_mb"]) if c["dram_mb"] else float("nan")
        mapping = ",".join(f"{k}={v}" for k, v in m["mapping"].items())
        print(f"{c['layer']:8s} {float(c['total_latency_ms']):8.1f} {ms:9.1f} {ms / float(c['total_latency_ms']):6.2f} "
              f"{chip_mb:8.1f} {mb:9.1f} {mb / chip_mb:6.2f} {mapping}{'' if m['fits'] else ' (no fit)'}")
    chip_total = sum(float(c["total_latency_ms"]) for c in chip)
    model_total = sum(m["seconds"] for m in model) * 1e3
    within = sum(abs(m["seconds"] * 1e3 / float(c["total_latency_ms"]) - 1) <= 0.3 for c, m in zip(chip, model))
    print(f"sum: chip {chip_total:.1f} ms, model {model_total:.1f} ms, ratio {model_total / chip_total:.3f}; "
          f"{within}/13 layers within 30%; search took {took:.1f} s")
    if args.plot:
        from dse.plot.bars import plot_model_vs_reference

        paths = plot_model_vs_reference([c["layer"] for c in chip], [float(c["total_latency_ms"]) for c in chip],
                                [m["seconds"] * 1e3 for m in model], args.plot,
                                ylabel="latency per batch of 3 (ms)", reference_label="Eyeriss chip (JSSC 2017 Table VI)",
                                model_label="dse model (eyeriss.yaml, dse map latency search)")
        print("wrote", ", ".join(str(p) for p in paths))


if __name__ == "__main__":
    main()
