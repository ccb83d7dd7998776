"""Network EDP of `dse map`'s per-layer choice vs its network-level choice, and the command's runtime.

For each workload x accelerator x off-chip bound (the library file's own, and a copy with MAESTRO's per-step bound
`offchip_bound: step`), `dse map --objective edp --json` in this process (template cache cleared first): the totals
of both choices (each run computes both), how much lower the network-level choice's EDP is, the command's wall and
CPU seconds, and the CPU seconds of the network-level choice itself (`choose`).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import yaml

import dse.commands.map as map_command
from dse.cli import main
from dse.hw.dataflow import resolve_template
from dse.resources import accelerators
from dse.search.network_mapping import choose

WORKLOADS, ACCELERATORS = ("vgg16", "resnet50"), ("nvdla", "eyeriss")
choose_cpu_s: list[float] = []


def timed_choose(*args, **kwargs) -> list[int]:
    start = time.process_time()
    picks = choose(*args, **kwargs)
    choose_cpu_s.append(time.process_time() - start)
    return picks


def with_bound(name: str, bound: str, folder: Path) -> str:
    """The library accelerator `name` as it is (bound "library") or a copy with `offchip_bound` set to `bound`."""
    if bound == "library":
        return name
    data = yaml.safe_load(accelerators("dataflow", f"{name}.yaml").read_text())
    data["offchip_bound"]["value"] = bound
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def run(workload: str, accelerator: str) -> tuple[dict, float, float]:
    """The command's JSON totals, wall seconds and CPU seconds."""
    resolve_template.cache_clear()
    out = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        main(["map", "--workload", workload, "--accelerator", accelerator, "--objective", "edp", "--json"])
    return json.loads(out.getvalue())["totals"], time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    map_command.choose = timed_choose
    print(f"{'workload':9s} {'acc':8s} {'bound':8s} {'EDP per-layer J*s':>17s} {'EDP network J*s':>15s} "
          f"{'better':>7s} {'D layer/net ms':>17s} {'E layer/net mJ':>15s} {'wall s':>6s} {'CPU s':>6s} "
          f"{'choose ms':>9s}")
    with tempfile.TemporaryDirectory() as folder:
        for bound in ("library", "step"):
            for workload in WORKLOADS:
                for name in ACCELERATORS:
                    totals, wall, cpu = run(workload, with_bound(name, bound, Path(folder)))
                    layer, network = totals["layer"], totals["network"]
                    print(f"{workload:9s} {name:8s} {bound:8s} {layer['edp_js']:17.5g} {network['edp_js']:15.5g} "
                          f"{1 - network['edp_js'] / layer['edp_js']:7.2%} "
                          f"{layer['seconds'] * 1e3:8.1f}/{network['seconds'] * 1e3:<8.1f} "
                          f"{layer['energy_j'] * 1e3:7.2f}/{network['energy_j'] * 1e3:<7.2f} {wall:6.2f} {cpu:6.2f} "
                          f"{choose_cpu_s[-1] * 1e3:9.2f}")
