"""Every platform the carbon comparison knows, behind one interface: evaluate a workload to a `Cost`, check that
the job fits the device's memory, and carry the idle power and bill of materials carbon accounting needs.

Mobile GPUs (`accelerators/gpu/`), PIM devices (`accelerators/pim/`) and edge FPGAs running the EF-Train
training engine (`accelerators/fpga/` for compute, `accelerators/carbon/fpga/` for the bill of materials).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dse.cost import fpga as fpga_model
from dse.cost import gpu as gpu_model
from dse.cost import pim as pim_model
from dse.cost.bits import Bits, MemoryNeed, memory_need
from dse.cost.fpga_network import conv_specs
from dse.cost.fpga_schedule import ef_train_schedule
from dse.cost.record import Cost, checked
from dse.errors import InputError
from dse.hw.embodied import Embodied, parse_embodied
from dse.hw.fpga import FPGABoard, load_board
from dse.hw.gpu import MobileGPU, known_gpus, load_gpu
from dse.hw.pim import PIMDevice, known_pims, load_pim
from dse.hw.values import YAML_SUFFIXES, hardware_path, load_yaml
from dse.resources import accelerators
from dse.workload.graph import Workload
from dse.workload.training_passes import training


@dataclass(frozen=True)
class Platform:
    """A device ready for comparison: `run(forward_workload, training)` returns the Cost of one job."""

    name: str
    kind: str
    precision: str
    idle_w: float
    embodied: Embodied
    run: Callable[[Workload, bool], Cost]
    bits: Bits
    memory_bytes: float | None  # memory the job must fit in; None where the device file gives none
    #: input fields whose YAML source is an `[estimate: reason]`, so reports can say what rests on estimates
    estimates: tuple[str, ...] = ()

    def evaluate(self, workload: Workload, train: bool = False) -> Cost:
        """One inference, or one training step on the graph's batch (`workload` is the forward graph)."""
        return self.run(workload, train)

    def memory(self, workload: Workload, train: bool = False) -> MemoryNeed:
        """Bytes the job holds at this platform's bit widths (`workload` is the forward graph)."""
        return memory_need(training(workload) if train else workload, self.bits)

    def fits(self, need: MemoryNeed) -> bool:
        return self.memory_bytes is None or need.total <= self.memory_bytes


def _fpga_boms() -> list[str]:
    return sorted(p.stem for p in accelerators("carbon", "fpga").glob("*.yaml"))


def known_platforms() -> list[str]:
    return known_gpus() + known_pims() + _fpga_boms()


def estimated(sources: dict[str, str]) -> tuple[str, ...]:
    """Fields whose source is marked `[estimate...]` (the marker the hardware YAML files use)."""
    return tuple(key for key, text in sources.items() if text.lstrip().startswith("[estimate"))


#: Bit-width overrides a platform is asked for: {"weight": 4, "act": None, "kv": 8}.
Widths = dict[str, int | None]


def _native(kind: str, name: str, bits: int, widths: Widths | None, what: str) -> Bits:
    """A device that runs every tensor at one width: other widths are refused with the one it runs."""
    for field, value in (widths or {}).items():
        if value not in (None, bits):
            raise InputError(f"{kind} {name}: {field}_bits {value} is not supported{what}; it runs "
                             f"{bits}-bit weights, activations and KV cache only")
    return Bits(bits, bits, bits)


def gpu_platform(gpu: MobileGPU, precision: str | None = None, train: bool = False,
                 widths: Widths | None = None) -> Platform:
    """A loaded GPU record as a platform (default precision fp16 for inference, fp32 for training); `widths`
    override that precision's bit widths."""
    chosen = precision or ("fp32" if train else "fp16")
    gpu.check_precision(chosen)
    bits = Bits.of(chosen).override(**(widths or {}))
    gpu.check_precision(bits.compute)
    run = lambda w, t: gpu_model.evaluate(training(w) if t else w, gpu, bits)  # noqa: E731
    return Platform(gpu.name, "gpu", bits.compute, gpu.idle_w, gpu.embodied, run, bits=bits,
                    memory_bytes=gpu.memory_bytes, estimates=estimated(gpu.sources))


def pim_platform(dev: PIMDevice, precision: str | None = None, train: bool = False,
                 widths: Widths | None = None) -> Platform:
    """A loaded PIM record as a platform; it runs its native integer width only."""
    width, _ = dev.bits(train)
    native = f"int{width}"
    job = "training" if train else "inference"
    if precision not in (None, native):
        raise InputError(f"pim {dev.name}: precision {precision!r} is not supported for {job}; it runs {native}")
    bits = _native("pim", dev.name, width, widths, f" for {job}")
    run = lambda w, t: pim_model.evaluate(training(w) if t else w, dev)  # noqa: E731
    return Platform(dev.name, "pim", native, dev.idle_w, dev.embodied, run, bits=bits,
                    memory_bytes=dev.params["capacity_bytes"], estimates=estimated(dev.sources))


def _fpga_run(board: FPGABoard) -> Callable[[Workload, bool], Cost]:
    def run(workload: Workload, train: bool) -> Cost:
        """EF-Train engine with Algorithm 1's tiling; inference is its forward pass (FP and BN cycles) alone."""
        specs = conv_specs(workload)
        batch = workload.layers()[0].N
        cost = fpga_model.evaluate(specs, ef_train_schedule(specs, batch, board).candidates(), batch, board)
        power = float(cost.extra["power_w_model"][0])
        if train:
            seconds = float(cost.seconds[0])
            flops = float(cost.flops[0])
        else:
            cycles = float(cost.extra["cycles_fp"][0].sum() + cost.extra["cycles_bn_fp"].sum())
            seconds = cycles / board.clock_hz
            flops = float(sum(l.flops for l in workload.layers() if l.is_compute))
        return checked(Cost(cycles=seconds * board.clock_hz, seconds=seconds, energy_j=power * seconds,
                            energy_static_j=board.static_w * seconds, flops=flops, dsp=float(cost.dsp[0]),
                            bram_18k=float(cost.bram_18k[0]), extra={"board": board.name}),
                       f"fpga {board.name}", ["the whole graph"])

    return run


def _fpga(name: str, precision: str | None, widths: Widths) -> Platform:
    """A board by name (its bill of materials in accelerators/carbon/fpga/) or a board file by path (with its bill
    of materials under `embodied:` in the same file)."""
    if precision not in (None, "fp32"):
        raise InputError(f"fpga {name}: precision {precision!r} is not supported; the EF-Train engine runs fp32")
    bits = _native("fpga", name, 32, widths, " by the EF-Train engine")
    board = load_board(name)
    own = _is_path(name)
    path = hardware_path(name, "fpga", what="FPGA board") if own else accelerators("carbon", "fpga", f"{name}.yaml")
    data = load_yaml(path)
    if own and "embodied" not in data:
        raise InputError(f"{path}: field embodied is missing; an FPGA board file used as a platform needs its bill of "
                         "materials (see accelerators/carbon/fpga/)")
    sources: dict[str, str] = {}
    embodied = parse_embodied(path, data, sources)
    return Platform(board.name, "fpga", "fp32", board.static_w, embodied, _fpga_run(board), bits=bits,
                    memory_bytes=board.dram_bytes, estimates=estimated({**board.sources, **sources}))


#: How a platform file says its kind: the field only that kind of file has.
_KIND_FIELDS = (("flops_per_cycle", "gpu"), ("technology", "pim"), ("part", "fpga"))


def _is_path(spec: str) -> bool:
    return spec.endswith(YAML_SUFFIXES) or "/" in spec


def _kind(spec: str) -> str:
    """gpu, pim or fpga: of a shipped name by where it lives, of a file by the field only that kind has."""
    if not _is_path(spec):
        return "gpu" if spec in known_gpus() else "pim" if spec in known_pims() else (
            "fpga" if spec in _fpga_boms() else "")
    path = hardware_path(spec, "gpu", what="platform")
    data = load_yaml(path)
    for key, kind in _KIND_FIELDS:
        if key in data:
            return kind
    raise InputError(f"{path}: not a platform file: a GPU file has field flops_per_cycle, a PIM file technology, "
                     "an FPGA board file part")


def load_platform(name: str, train: bool = False, precision: str | None = None, weight_bits: int | None = None,
                  act_bits: int | None = None, kv_bits: int | None = None) -> Platform:
    """A platform by shipped name or by path to a GPU, PIM or FPGA board YAML file; `precision` None picks the
    device's default (GPU fp16 inference, fp32 training), and the bit widths given override that precision's for
    weights, activations and the KV cache."""
    widths = {"weight": weight_bits, "act": act_bits, "kv": kv_bits}
    kind = _kind(name)
    if kind == "gpu":
        return gpu_platform(load_gpu(name), precision, train, widths)
    if kind == "pim":
        return pim_platform(load_pim(name), precision, train, widths)
    if kind == "fpga":
        return _fpga(name, precision, widths)
    raise InputError(f"unknown platform {name!r}; known: {', '.join(known_platforms())} (or give a path to a GPU, "
                     "PIM or FPGA board .yaml file)")


def platform_names(text: str) -> list[str]:
    """A comma-separated --platforms list, checked."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError(f"field --platforms must name at least one platform, got {text!r}")
    return names
