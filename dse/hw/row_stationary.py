"""The Eyeriss chip for the row-stationary model, read from `accelerators/row_stationary/<name>.yaml`.

A file says `model: row-stationary` and gives the PE array, the three per-PE scratch pads (in words), the global
buffer (GLB) and the share of it that holds ifmaps, the GLB and off-chip bandwidths, whether off-chip transfers
overlap processing, the run-length code of off-chip activations, and normalized access energies. dse.cost.row_stationary
prices a layer on it; `dse map` picks this model for any accelerator file that says `model: row-stationary`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dse.errors import InputError
from dse.hw.values import YAML_SUFFIXES, check_keys, count, hardware_path, known_names, load_yaml, mapping, number

KIND = "row_stationary"
MODEL = "row-stationary"
#: `offchip_overlap` values: "none" adds off-chip transfer time to processing (the Eyeriss chip), "full" overlaps it.
OVERLAPS = ("none", "full")
FIELDS = frozenset({"name", "model", "pe_rows", "pe_cols", "clock_hz", "word_bytes", "ifmap_spad_words",
                    "filter_spad_words", "psum_spad_words", "glb_bytes", "glb_ifmap_bytes", "glb_bw_bytes_per_cycle",
                    "offchip_bw_bytes_per_s", "offchip_overlap", "rlc_word_bits", "rlc_pairs_per_word",
                    "rlc_max_run", "energy"})
ENERGY_FIELDS = frozenset({"mac_units", "spad_units", "array_units", "glb_units", "dram_units", "mac_j"})


@dataclass(frozen=True)
class RowStationaryChip:
    """A row-stationary PE array with its GLB. Sizes in bytes or words (16-bit words on Eyeriss), bandwidths in bytes
    per cycle or per second, energies in units of one MAC's energy (`mac_j` joules)."""

    name: str
    pe_rows: int
    pe_cols: int
    clock_hz: float
    word_bytes: int
    ifmap_spad_words: int
    filter_spad_words: int
    psum_spad_words: int
    glb_bytes: float
    glb_ifmap_bytes: float
    glb_bw_bytes_per_cycle: float
    offchip_bw_bytes_per_s: float
    offchip_overlap: str  # one of OVERLAPS
    rlc_word_bits: int
    rlc_pairs_per_word: int
    rlc_max_run: int
    energy: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    path: str = ""

    @property
    def num_pes(self) -> int:
        return self.pe_rows * self.pe_cols


def known_chips() -> list[str]:
    return known_names(KIND)


def is_row_stationary(spec: str) -> bool:
    """Whether an accelerator name or path names a row-stationary file: a shipped name under
    accelerators/row_stationary/, or a YAML path whose `model` is `row-stationary`."""
    spec = str(spec)
    if spec.endswith(YAML_SUFFIXES) or "/" in spec or "\\" in spec:
        path = Path(spec)
        return path.is_file() and load_yaml(path).get("model") == MODEL
    return spec in known_chips()


def load_chip(spec: str) -> RowStationaryChip:
    """A shipped chip by name, or any YAML file by path."""
    return load_chip_file(hardware_path(spec, KIND, what="row-stationary accelerator"))


def load_chip_file(path: Path) -> RowStationaryChip:
    data = load_yaml(path)
    check_keys(path, data, FIELDS)
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise InputError(f"{path}: field name must be a non-empty string, got {data.get('name')!r}")
    if data.get("model") != MODEL:
        raise InputError(f"{path}: field model must be {MODEL!r}, got {data.get('model')!r}")
    sources: dict[str, str] = {}
    overlap = data.get("offchip_overlap")
    if not isinstance(overlap, dict) or overlap.get("value") not in OVERLAPS or "source" not in overlap:
        raise InputError(f"{path}: field offchip_overlap must be {{value: {'|'.join(OVERLAPS)}, source: <text>}}, "
                         f"got {overlap!r}")
    sources["offchip_overlap"] = str(overlap["source"])
    table = mapping(path, data, "energy")
    check_keys(path, table, ENERGY_FIELDS, "energy.")
    energy = {key: number(path, table, key, sources, strict=key == "mac_j") for key in sorted(ENERGY_FIELDS)}
    counts = {key: count(path, data, key, sources) for key in (
        "pe_rows", "pe_cols", "word_bytes", "ifmap_spad_words", "filter_spad_words", "psum_spad_words",
        "rlc_word_bits", "rlc_pairs_per_word", "rlc_max_run")}
    reals = {key: number(path, data, key, sources, strict=True) for key in (
        "clock_hz", "glb_bytes", "glb_ifmap_bytes", "glb_bw_bytes_per_cycle", "offchip_bw_bytes_per_s")}
    if reals["glb_ifmap_bytes"] >= reals["glb_bytes"]:
        raise InputError(f"{path}: field glb_ifmap_bytes.value must be below glb_bytes ({reals['glb_bytes']:g}), "
                         f"got {reals['glb_ifmap_bytes']:g}")
    if counts["rlc_pairs_per_word"] * (counts["word_bytes"] * 8) > counts["rlc_word_bits"]:
        raise InputError(f"{path}: field rlc_pairs_per_word.value: {counts['rlc_pairs_per_word']} levels of "
                         f"{counts['word_bytes'] * 8} bits do not fit a {counts['rlc_word_bits']}-bit word")
    return RowStationaryChip(name=data["name"], offchip_overlap=overlap["value"], energy=energy, sources=sources,
                             path=str(path), **counts, **reals)
