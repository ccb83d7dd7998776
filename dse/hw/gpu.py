"""Mobile GPUs (NVIDIA Jetson modules) read from `accelerators/gpu/<name>.yaml` into a validated `MobileGPU`.

Peak throughput is stored per GPU clock cycle and per precision, so each power mode (a module power budget with
its GPU clock) gives its own peak; a precision missing from the file is one the device cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dse.errors import InputError
from dse.hw.embodied import Embodied, parse_embodied
from dse.hw.values import check_keys, hardware_path, known_names, load_yaml, mapping, number

#: Bytes per element of each precision a GPU may list.
PRECISION_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}


@dataclass(frozen=True)
class PowerMode:
    power_w: float  # module power budget, drawn while kernels keep the GPU busy
    gpu_clock_hz: float


@dataclass(frozen=True)
class MobileGPU:
    """One module: per-precision FLOP/cycle and GEMM efficiency, memory, launch overhead, power modes, BOM."""

    name: str
    flops_per_cycle: dict[str, float]
    gemm_efficiency: dict[str, float]
    elementwise_efficiency: float
    bandwidth_efficiency: float
    launch_overhead_s: float
    dram_bw_bytes_per_s: float
    memory_bytes: float  # DRAM the GPU can use (Jetson modules share it with the CPU)
    idle_w: float
    power_modes: dict[str, PowerMode]
    default_mode: str
    embodied: Embodied
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def mode(self, name: str | None = None) -> PowerMode:
        key = self.default_mode if name is None else name
        if key not in self.power_modes:
            raise InputError(f"gpu {self.name}: unknown power mode {key!r}; known: {', '.join(self.power_modes)}")
        return self.power_modes[key]

    def check_precision(self, precision: str) -> None:
        if precision not in self.flops_per_cycle:
            raise InputError(f"gpu {self.name}: precision {precision!r} is not supported; it runs "
                             f"{', '.join(self.flops_per_cycle)}")

    def peak_flops(self, precision: str, mode: str | None = None) -> float:
        """Peak FLOP/s (ops/s for int8) in `precision` at the GPU clock of power mode `mode`."""
        self.check_precision(precision)
        return self.flops_per_cycle[precision] * self.mode(mode).gpu_clock_hz

    def cuda_core_flops(self, mode: str | None = None) -> float:
        """CUDA-core FP32 FLOP/s at the clock of `mode`: where element-wise kernels run, whatever the precision
        (the fp16/int8 peaks of Volta and Ampere modules are Tensor-Core rates that only GEMM-like kernels reach)."""
        return self.flops_per_cycle["fp32"] * self.mode(mode).gpu_clock_hz


def known_gpus() -> list[str]:
    return known_names("gpu")


def _keep(sources: dict[str, str], prefix: str, found: dict[str, str]) -> None:
    """Record the sources of a nested group under `prefix.key`, so groups sharing keys (fp16 in both the peak and
    the efficiency tables) keep each source."""
    sources.update({f"{prefix}.{key}": text for key, text in found.items()})


def _fraction(path: Path, entries: dict, key: str, sources: dict[str, str]) -> float:
    value = number(path, entries, key, sources, strict=True)
    if value > 1:
        raise InputError(f"{path}: field {key}.value must be <= 1 (a fraction of peak), got {value!r}")
    return value


#: Every top-level field of a GPU file.
FIELDS = frozenset({"name", "flops_per_cycle", "gemm_efficiency", "elementwise_efficiency", "bandwidth_efficiency",
                    "launch_overhead_s", "dram_bw_bytes_per_s", "memory_bytes", "idle_w", "default_mode", "power_modes",
                    "embodied"})


def load_gpu_file(path: Path) -> MobileGPU:
    data = load_yaml(path)
    check_keys(path, data, FIELDS)
    sources: dict[str, str] = {}
    flops = mapping(path, data, "flops_per_cycle")
    unknown = set(flops) - set(PRECISION_BYTES)
    if unknown:
        raise InputError(f"{path}: field flops_per_cycle has unknown precisions {sorted(unknown)}; "
                         f"known: {', '.join(PRECISION_BYTES)}")
    if "fp32" not in flops:
        raise InputError(f"{path}: field flops_per_cycle must list fp32 (the CUDA-core rate element-wise kernels run "
                         f"at), got {sorted(flops)}")
    eff = mapping(path, data, "gemm_efficiency")
    if set(eff) != set(flops):
        raise InputError(f"{path}: field gemm_efficiency must list the precisions of flops_per_cycle "
                         f"({sorted(flops)}), got {sorted(eff)}")
    modes = {}
    for key, entry in mapping(path, data, "power_modes").items():
        if not isinstance(entry, dict):
            raise InputError(f"{path}: field power_modes.{key} must be a mapping, got {entry!r}")
        found: dict[str, str] = {}
        modes[str(key)] = PowerMode(number(path, entry, "power_w", found, strict=True),
                                    number(path, entry, "gpu_clock_hz", found, strict=True))
        _keep(sources, f"power_modes.{key}", found)
    default = str(data.get("default_mode"))
    if default not in modes:
        raise InputError(f"{path}: field default_mode {default!r} is not one of power_modes ({', '.join(modes)})")
    idle = number(path, data, "idle_w", sources)
    if any(m.power_w <= idle for m in modes.values()):
        raise InputError(f"{path}: every power mode must draw more than idle_w = {idle} W")
    flops_found: dict[str, str] = {}
    eff_found: dict[str, str] = {}
    flops_per_cycle = {k: number(path, flops, k, flops_found, strict=True) for k in flops}
    gemm_efficiency = {k: _fraction(path, eff, k, eff_found) for k in eff}
    _keep(sources, "flops_per_cycle", flops_found)
    _keep(sources, "gemm_efficiency", eff_found)
    return MobileGPU(
        name=str(data.get("name", path.stem)),
        flops_per_cycle=flops_per_cycle,
        gemm_efficiency=gemm_efficiency,
        elementwise_efficiency=_fraction(path, data, "elementwise_efficiency", sources),
        bandwidth_efficiency=_fraction(path, data, "bandwidth_efficiency", sources),
        launch_overhead_s=number(path, data, "launch_overhead_s", sources),
        dram_bw_bytes_per_s=number(path, data, "dram_bw_bytes_per_s", sources, strict=True),
        memory_bytes=number(path, data, "memory_bytes", sources, strict=True),
        idle_w=idle, power_modes=modes, default_mode=default,
        embodied=parse_embodied(path, data, sources), sources=sources,
    )


def load_gpu(name: str) -> MobileGPU:
    """A shipped GPU by name (e.g. jetson-nano), or a path to a GPU YAML file."""
    return load_gpu_file(hardware_path(name, "gpu", what="gpu"))
