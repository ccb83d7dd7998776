"""FPGA boards for EF-Train-style training accelerators, read from `accelerators/fpga/<name>.yaml`.

Every number in a board file is `{value: ..., source: "..."}` so its provenance travels with it; the loader keeps
the values in a typed, validated `FPGABoard` and the sources in `sources` for reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from dse.errors import InputError
from dse.hw.values import LARGEST, MAX_COUNT, SMALLEST, check_keys, hardware_path, known_names, load_yaml
from dse.inputs import Range, real, whole
from dse.resources import accelerators

#: Data layouts of EF-Train's training kernel in DRAM (§3): plain BCHW, BHWC with weight reuse, the reshaped layout
#: with and without reuse. A design choice of the kernel, so it lives with the board records.
LAYOUTS = ("bchw", "bhwc_reuse", "reshaped", "reshaped_reuse")
#: EF-Train §2.5: the conv engine gets about 80% of the DSPs and 75% of the BRAM; the rest is for pooling, BN,
#: address generation and extra weight-fetch buffers.
DSP_BUDGET = 0.80
BRAM_BUDGET = 0.75

#: Board and part names: they are written into the generated HLS project's comments and Tcl.
_NAME = re.compile(r"[A-Za-z0-9_.+-]+")
#: Integer-valued fields (counts) and real-valued fields of a board file, all required.
_COUNTS = ("dsp", "bram_18k", "uram", "lut", "ff", "dma_words_per_cycle", "dma_start_cycles", "dsp_per_fp32_add", "dsp_per_fp32_mul", "dsp_per_fp32_mac",
           "bram_18k_fp32_words")
_REALS = ("dram_bw_bytes_per_s", "clock_hz")
_POWER = ("static_w", "dsp_w", "bram_18k_w")


@dataclass(frozen=True)
class FPGABoard:
    """One board: device resources, DMA and clock, and a linear power model P = static + dsp_w*DSP + bram_18k_w*BRAM."""

    name: str
    part: str
    dsp: int
    bram_18k: int
    uram: int
    lut: int
    ff: int
    dma_words_per_cycle: int  # p: FP32 words per cycle on one AXI-stream DMA channel
    dma_start_cycles: int  # t_start: cycles lost when a DMA transfer restarts at a discontinuous address
    dram_bw_bytes_per_s: float
    clock_hz: float
    dsp_per_fp32_add: int
    dsp_per_fp32_mul: int
    dsp_per_fp32_mac: int  # q
    bram_18k_fp32_words: int  # one BRAM_18K bank at 32-bit width
    static_w: float
    dsp_w: float  # watts per DSP slice in use
    bram_18k_w: float  # watts per BRAM_18K in use
    ef_train_tm: int | None = None  # Tm = Tn EF-Train used on this board, where the paper reports one
    dram_bytes: float | None = None  # DRAM the accelerator's DMA reaches, where the file gives it
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    file: str = field(default="", compare=False)  # the user's board file it came from; "" for a shipped board

    @property
    def ref(self) -> str:
        """How to name this board again (in a tiling record): its shipped name, or the path of its file."""
        return self.file or self.name

    def power_w(self, dsp, bram_18k):
        """Board power (W) of a design using `dsp` DSP slices and `bram_18k` BRAM_18K (numbers or numpy arrays)."""
        return self.static_w + self.dsp_w * dsp + self.bram_18k_w * bram_18k


#: Every top-level field a board file may hold; `embodied` is the bill of materials a user's own board file may carry
#: for `dse compare` (the shipped boards keep theirs in accelerators/carbon/fpga/).
_FIELDS = frozenset(("name", "part", "power", "ef_train_tm", "dram_bytes", "embodied") + _COUNTS + _REALS)


def known_boards() -> list[str]:
    """Names of the shipped board files."""
    return known_names("fpga")


def _number(path: Path, data: dict, key: str, kind: type) -> tuple[float, str]:
    entry = data.get(key)
    if not isinstance(entry, dict) or "value" not in entry or not entry.get("source"):
        raise InputError(f"{path}: field {key} must be {{value: ..., source: ...}}, got {entry!r}")
    where = f"{path}: field {key}.value"
    if kind is int:
        return whole(entry["value"], where, Range(0 if key == "uram" else 1, MAX_COUNT)), str(entry["source"])
    return real(entry["value"], where, Range(SMALLEST, LARGEST)), str(entry["source"])


def load_board_file(path: Path) -> FPGABoard:
    """Read and validate one board file."""
    data = load_yaml(Path(path))
    check_keys(path, data, _FIELDS)
    for key in ("name", "part"):
        if not isinstance(data.get(key), str) or not _NAME.fullmatch(data[key]):
            raise InputError(f"{path}: field {key} must be a name of letters, digits, '_', '.' and '-' (it is "
                             f"written into generated HLS files), got {data.get(key)!r}")
    values: dict = {"name": data["name"], "part": data["part"]}
    sources: dict[str, str] = {}
    for key in _COUNTS:
        values[key], sources[key] = _number(path, data, key, int)
    for key in _REALS:
        values[key], sources[key] = _number(path, data, key, float)
    power = data.get("power")
    if not isinstance(power, dict):
        raise InputError(f"{path}: field power must be a mapping of {', '.join(_POWER)}, got {power!r}")
    check_keys(path, power, frozenset(_POWER), "power.")
    for key in _POWER:
        values[key], sources[f"power.{key}"] = _number(path, power, key, float)
    if "ef_train_tm" in data:
        values["ef_train_tm"], sources["ef_train_tm"] = _number(path, data, "ef_train_tm", int)
    if "dram_bytes" in data:
        values["dram_bytes"], sources["dram_bytes"] = _number(path, data, "dram_bytes", float)
    return FPGABoard(**values, sources=sources)


def load_board(name: str) -> FPGABoard:
    """The shipped board `name`, or a board YAML file by path; an unknown name lists the known ones."""
    path = hardware_path(name, "fpga", what="FPGA board")
    board = load_board_file(path)
    if path.parent != accelerators("fpga"):
        return replace(board, file=str(path.resolve()))
    if board.name != name:
        raise InputError(f"{path}: field name is {board.name!r}, expected {name!r} (the file name)")
    return board
