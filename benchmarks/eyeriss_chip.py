"""The Eyeriss chip (JSSC 2017 Table VI, reference/eyeriss/vgg16_chip.csv) against dse's two descriptions of it,
layer by layer: VGG-16's 13 conv layers at batch 3, each folded by the exact latency search of `dse map`; then the
row-stationary model on the chip's AlexNet (Table V, alexnet_chip.csv, batch 4), which nothing was fitted on.

- `eyeriss-chip` (accelerators/row_stationary/): the chip's row-stationary passes (dse.cost.row_stationary), with
  Table VI's share of zero activations as the run-length coder's input (workload data);
- `eyeriss` (accelerators/dataflow/): the MAESTRO-style template model, for comparison.

    python benchmarks/eyeriss_chip.py [--plot docs/img/eyeriss_vgg16]

Prints per layer both models' latency and DRAM traffic next to the chip's, the ratios, the GLB traffic of the
row-stationary model against the chip's, and the foldings found."""

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
ALEXNET = REFERENCE / "eyeriss" / "alexnet_chip.csv"


def chip_table(path: Path = CHIP) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def convs(network: str = "vgg16", batch: int = 3) -> list:
    from dse.workload import build
    from dse.workload.layer import Op

    return [dataclasses.replace(l, elem_bytes=2) for l in build(network, batch=batch).layers() if l.op is Op.CONV]


def row_stationary_rows(chip: list[dict[str, str]], network: str = "vgg16", batch: int = 3) -> list[dict]:
    from dse.hw.row_stationary import load_chip
    from dse.search.row_stationary import search

    acc = load_chip("eyeriss-chip")
    zeros = [float(c["zeros_pct"]) / 100 for c in chip]
    out = []
    for i, layer in enumerate(convs(network, batch)):
        r = search(layer, acc, "latency", zeros[i], zeros[min(i + 1, len(zeros) - 1)])
        out.append({"seconds": r.cost.seconds, "dram_bytes": r.cost.dram_bytes,
                    "glb_bytes": r.cost.extra["glb_access_bytes"], "mapping": r.mapping})
    return out


def maestro_rows() -> list[dict]:
    from dse.hw.dataflow import load_accelerator
    from dse.search.dataflow_mapping import search

    acc = load_accelerator("eyeriss")
    return [{"seconds": float(r.cost.seconds), "dram_bytes": float(r.cost.dram_bytes)}
            for r in (search(layer, acc, "latency", exact_limit=10_000) for layer in convs())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write STEM.png and STEM.svg: model vs chip latency per layer")
    args = parser.parse_args()
    chip = chip_table()
    start = time.perf_counter()
    rs = row_stationary_rows(chip)
    took = time.perf_counter() - start
    maestro = maestro_rows()
    print(f"{'layer':8s} {'chip ms':>8s} {'RS ms':>7s} {'ratio':>5s} {'MAESTRO':>8s} {'ratio':>5s} {'chip MB':>7s} "
          f"{'RS MB':>6s} {'ratio':>5s} {'GLB chip':>8s} {'GLB RS':>7s} {'ratio':>5s}  folding (n,p,q,r,t,e,m)")
    for c, m, old in zip(chip, rs, maestro):
        ms, chip_ms = m["seconds"] * 1e3, float(c["total_latency_ms"])
        chip_mb = float(c["dram_mb"]) if c["dram_mb"] else float("nan")
        folding = ",".join(str(v) for v in m["mapping"].values())
        print(f"{c['layer']:8s} {chip_ms:8.1f} {ms:7.1f} {ms / chip_ms:5.2f} {old['seconds'] * 1e3:8.1f} "
              f"{old['seconds'] * 1e3 / chip_ms:5.2f} {chip_mb:7.1f} {m['dram_bytes'] / 1e6:6.1f} "
              f"{m['dram_bytes'] / 1e6 / chip_mb:5.2f} {float(c['glb_mb']):8.1f} {m['glb_bytes'] / 1e6:7.1f} "
              f"{m['glb_bytes'] / 1e6 / float(c['glb_mb']):5.2f}  {folding}")
    chip_total = sum(float(c["total_latency_ms"]) for c in chip)
    for name, rows in (("row-stationary (eyeriss-chip)", rs), ("MAESTRO-style (eyeriss)", maestro)):
        total = sum(m["seconds"] for m in rows) * 1e3
        within = sum(abs(m["seconds"] * 1e3 / float(c["total_latency_ms"]) - 1) <= 0.3 for c, m in zip(chip, rows))
        dram = [m["dram_bytes"] / 1e6 / float(c["dram_mb"]) for c, m in zip(chip, rows) if c["dram_mb"]]
        print(f"{name}: sum {total:.1f} ms vs chip {chip_total:.1f} ms, ratio {total / chip_total:.3f}; "
              f"{within}/13 layers within 30%; DRAM within 30% on {sum(abs(d - 1) <= 0.3 for d in dram)}/{len(dram)}")
    print(f"row-stationary folding search of the 13 layers took {took:.2f} s")
    alexnet = chip_table(ALEXNET)
    print("\nAlexNet (JSSC Table V, batch 4; nothing fitted on it), row-stationary model:")
    print(f"{'layer':8s} {'chip ms':>8s} {'RS ms':>7s} {'ratio':>5s} {'chip MB':>7s} {'RS MB':>6s} {'ratio':>5s} "
          f"{'GLB chip':>8s} {'GLB RS':>7s} {'ratio':>5s}  folding (n,p,q,r,t,e,m)")
    rs_alex = row_stationary_rows(alexnet, "alexnet_2012", 4)
    for c, m in zip(alexnet, rs_alex):
        ms, chip_ms, chip_mb = m["seconds"] * 1e3, float(c["total_latency_ms"]), float(c["dram_mb"])
        print(f"{c['layer']:8s} {chip_ms:8.1f} {ms:7.1f} {ms / chip_ms:5.2f} {chip_mb:7.1f} "
              f"{m['dram_bytes'] / 1e6:6.1f} {m['dram_bytes'] / 1e6 / chip_mb:5.2f} {float(c['glb_mb']):8.1f} {m['glb_bytes'] / 1e6:7.1f} "
              f"{m['glb_bytes'] / 1e6 / float(c['glb_mb']):5.2f}  {','.join(str(v) for v in m['mapping'].values())}")
    total = sum(m["seconds"] for m in rs_alex) * 1e3
    chip_total = sum(float(c["total_latency_ms"]) for c in alexnet)
    print(f"sum: chip {chip_total:.1f} ms, model {total:.1f} ms, ratio {total / chip_total:.3f}")
    if args.plot:
        from dse.plot.bars import plot_model_vs_reference

        paths = plot_model_vs_reference([c["layer"] for c in chip], [float(c["total_latency_ms"]) for c in chip],
                                        [m["seconds"] * 1e3 for m in rs], args.plot,
                                        ylabel="latency per batch of 3 (ms)",
                                        reference_label="Eyeriss chip (JSSC 2017 Table VI)",
                                        model_label="dse row-stationary model (eyeriss-chip, dse map latency search)")
        print("wrote", ", ".join(str(p) for p in paths))


if __name__ == "__main__":
    main()
