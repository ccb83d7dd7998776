"""Small hand-made systems and graphs whose schedules can be worked out on paper."""

from __future__ import annotations

import yaml

from dse.hw.system import load_system
from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op


def design(throughput: float, power: float, ops=("fc",), dram: float = 1e9) -> dict:
    """A `throughput` design: compute seconds = flops / throughput."""
    return {"kind": "throughput", "ops": list(ops), "throughput_ops_per_s": throughput, "power_w": power,
            "local_dram_bytes": dram}


def make_system(tmp_path, accs: dict[str, dict], bw: float = 1e9, r_wei: float = 0.5, **extra):
    """Write a system file with inline designs and load it."""
    data = {"name": "toy", "link_bw_bytes_per_s": bw, "r_wei": r_wei,
            "accelerators": [{"name": name, "design": d} for name, d in accs.items()], **extra}
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_system(str(path))


def chain(*layers: Layer, name: str = "chain") -> Workload:
    """Layers in series."""
    w = Workload(name=name)
    prev: list[str] = []
    for layer in layers:
        w.add_layer(layer, prev)
        prev = [layer.name]
    return w


def fc(name: str, C: int, K: int) -> Layer:
    return Layer(name, Op.FC, C=C, K=K, bias=False)
