"""`TilingRecord`: one EF-Train design point (board, Tm = Tn, per-layer Tr / Tc / M_on, buffer depths, layout) as
YAML. The HLS generator reads exactly this file, so the schema (`dse.tiling/1`) is kept stable and every field is
validated on load, including that the design fits the named board.

Buffer sizes are FP32 words in ONE half of each double-buffered buffer, summed over its parallel banks: the IFM
buffer has Tn banks, the OFM buffer Tm banks and the weight buffer Tm*Tn banks, so each value is a multiple of its
bank count and the per-bank depth is the value divided by it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml

from dse.cost.fpga_resources import conv_bram, conv_dsp, ifm_depth, ofm_depth, wei_depth
from dse.errors import InputError
from dse.hw.fpga import LAYOUTS, FPGABoard, load_board
from dse.identifiers import check_identifier
from dse.inputs import CLOCK_HZ, MAX_BATCH, NON_NEGATIVE, Range, read_yaml, real, whole
from dse.workload.layer import MAX_DIM

SCHEMA = "dse.tiling/1"
PRECISIONS = ("fp32",)
def _int(where: str, field: str, value: object, minimum: int = 1, maximum: int | None = MAX_DIM) -> int:
    """A whole-number field; layer sizes, tile sizes and buffer depths lie in the layer-dimension range."""
    return whole(value, f"{where}: field {field}", Range(minimum, maximum))


def _bool(where: str, field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}: field {field} must be true or false, got {value!r}")
    return value


def _check_fields(where: str, what: str, data: object, record: type) -> None:
    """`data` is a mapping with exactly the fields of dataclass `record`."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: {what} is a mapping, got {type(data).__name__}")
    names = [f.name for f in fields(record)]
    missing = [n for n in names if n not in data]
    unknown = sorted(set(data) - set(names))
    if missing or unknown:
        raise InputError(f"{where}: missing fields {missing} / unknown fields {unknown}")


@dataclass(frozen=True)
class LayerTiling:
    """One conv or FC layer in EF-Train's [M, N, R, C, K, S] form (FC: a 1x1 conv on a 1x1 map) and its tiling."""

    name: str
    M: int  # output channels
    N: int  # input channels
    R: int  # output rows
    C: int  # output columns
    K: int  # kernel size
    S: int  # stride
    P: int  # padding
    Tr: int  # output rows per tile
    Tc: int  # output columns per tile (= C)
    M_on: int  # output channels whose weights stay on chip across the batch (a multiple of Tm)
    relu: bool
    pool: int  # max-pool window after this layer, 0 for none
    bn: bool

    @classmethod
    def parse(cls, where: str, data: object, Tm: int) -> "LayerTiling":
        """Validate one `layers:` entry read from YAML."""
        _check_fields(where, "a layer", data, cls)
        name = check_identifier(where, "name", data["name"])
        where = f"{where} ({name})"
        ints = {k: _int(where, k, data[k], 0 if k in ("P", "pool") else 1)
                for k in ("M", "N", "R", "C", "K", "S", "P", "Tr", "Tc", "M_on", "pool")}
        flags = {k: _bool(where, k, data[k]) for k in ("relu", "bn")}
        layer = cls(name=name, **ints, **flags)
        for axis, out in (("rows", layer.R), ("columns", layer.C)):
            extent = (out - 1) * layer.S + layer.K - 2 * layer.P
            if extent < 1:
                raise InputError(f"{where}: field P: padding {layer.P} leaves the input no {axis} "
                                 f"(({out} - 1) x S + K - 2 x P = {extent})")
        if layer.Tc != layer.C:
            raise InputError(f"{where}: field Tc must equal C={layer.C} (EF-Train keeps whole rows), got {layer.Tc}")
        if layer.Tr > layer.R:
            raise InputError(f"{where}: field Tr must be <= R={layer.R}, got {layer.Tr}")
        top = -(-layer.M // Tm) * Tm
        if layer.M_on % Tm or layer.M_on > top:
            raise InputError(f"{where}: field M_on must be a multiple of Tm={Tm} up to {top}, got {layer.M_on}")
        return layer


@dataclass(frozen=True)
class Buffers:
    """FP32 words in one half of each double-buffered buffer, summed over its banks."""

    ifm_words: int
    ofm_words: int
    wei_words: int


@dataclass(frozen=True)
class Predicted:
    """What the cost model predicted for this design point (informative; recomputed by `dse fpga estimate`)."""

    dsp: int
    bram_18k: int
    cycles_per_batch: int
    seconds_per_batch: float
    gflops: float


def required_buffers(layers: tuple[LayerTiling, ...] | list[LayerTiling], Tm: int, Tn: int) -> Buffers:
    """The smallest buffers holding every layer's tiles (Eqs. 29-31 before rounding to banks)."""
    ifm = max(int(ifm_depth(l.Tr, l.C, l.K, l.S)) for l in layers)
    ofm = max(int(ofm_depth(l.Tr, l.C)) for l in layers)
    wei = max(int(wei_depth(l.K, l.N, Tn, l.M_on, Tm)) for l in layers)
    return Buffers(ifm_words=Tn * ifm, ofm_words=Tm * ofm, wei_words=Tm * Tn * wei)


@dataclass(frozen=True)
class TilingRecord:
    """A complete EF-Train design point; `save`/`load` round-trip through YAML."""

    board: str
    part: str
    clock_hz: int
    precision: str
    layout: str
    network: str
    batch: int
    Tm: int
    Tn: int
    layers: tuple[LayerTiling, ...]
    buffers: Buffers
    predicted: Predicted
    schema: str = SCHEMA

    def resources(self, board: FPGABoard) -> tuple[int, int]:
        """(DSP, BRAM_18K) of the conv engine this record describes."""
        b = self.buffers
        dsp = int(conv_dsp(self.Tm, self.Tn, board.dsp_per_fp32_mac))
        bram = int(conv_bram(self.Tm, self.Tn, b.ifm_words // self.Tn, b.ofm_words // self.Tm,
                             b.wei_words // (self.Tm * self.Tn), board.bram_18k_fp32_words))
        return dsp, bram

    def to_dict(self) -> dict:
        data = {"schema": self.schema}
        data.update({k: v for k, v in asdict(self).items() if k != "schema"})
        data["layers"] = [asdict(l) for l in self.layers]
        return data

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None, width=140))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TilingRecord":
        """Read, validate and check that the tiling fits its board."""
        path = Path(path)
        return cls.from_dict(read_yaml(path, "tiling file"), str(path))

    @classmethod
    def from_dict(cls, data: object, where: str) -> "TilingRecord":
        _check_fields(where, "a tiling file", data, cls)
        if data["schema"] != SCHEMA:
            raise InputError(f"{where}: field schema must be {SCHEMA!r}, got {data['schema']!r}")
        if not isinstance(data["board"], str):
            raise InputError(f"{where}: field board must be a board name, got {data['board']!r}")
        try:
            board = load_board(data["board"])
        except InputError as exc:
            raise InputError(f"{where}: field board: {exc}") from None
        if data["part"] != board.part:
            raise InputError(f"{where}: field part is {data['part']!r} but board {board.name} has {board.part!r}")
        clock = whole(data["clock_hz"], f"{where}: field clock_hz", CLOCK_HZ)
        if data["precision"] not in PRECISIONS:
            raise InputError(f"{where}: field precision must be one of {PRECISIONS}, got {data['precision']!r}")
        if data["layout"] not in LAYOUTS:
            raise InputError(f"{where}: field layout must be one of {LAYOUTS}, got {data['layout']!r}")
        network = check_identifier(where, "network", data["network"])
        batch = _int(where, "batch", data["batch"], maximum=MAX_BATCH)
        Tm, Tn = _int(where, "Tm", data["Tm"]), _int(where, "Tn", data["Tn"])
        if Tm != Tn:
            raise InputError(f"{where}: field Tn must equal Tm={Tm} (EF-Train's BP weight reuse), got {Tn}")
        raw_layers = data["layers"]
        if not isinstance(raw_layers, list) or not raw_layers:
            raise InputError(f"{where}: field layers must be a non-empty list, got {raw_layers!r}")
        layers = tuple(LayerTiling.parse(f"{where}: layers[{i}]", l, Tm) for i, l in enumerate(raw_layers))
        seen: set[str] = set()
        for l in layers:
            if l.name in seen:
                raise InputError(f"{where}: field layers has the name {l.name!r} twice")
            seen.add(l.name)
        buffers = cls._buffers(where, data["buffers"], required_buffers(layers, Tm, Tn), Tm, Tn)
        predicted = cls._predicted(where, data["predicted"])
        record = cls(board=board.ref, part=board.part, clock_hz=clock, precision=data["precision"],
                     layout=data["layout"], network=network, batch=batch, Tm=Tm, Tn=Tn, layers=layers,
                     buffers=buffers, predicted=predicted)
        record.check_fits(board, where)
        return record

    def check_fits(self, board: FPGABoard, where: str) -> None:
        """Raise if the design needs more DSP or BRAM_18K than `board` has."""
        dsp, bram = self.resources(board)
        if dsp > board.dsp:
            raise InputError(f"{where}: field Tm={self.Tm}: tiling needs {dsp} DSP, board {board.name} has {board.dsp}")
        if bram > board.bram_18k:
            raise InputError(f"{where}: field buffers: tiling needs {bram} BRAM_18K, board {board.name} has "
                             f"{board.bram_18k}")

    @staticmethod
    def _buffers(where: str, data: object, need: Buffers, Tm: int, Tn: int) -> Buffers:
        if not isinstance(data, dict) or set(data) != {f.name for f in fields(Buffers)}:
            raise InputError(f"{where}: field buffers must have exactly ifm_words, ofm_words, wei_words, got {data!r}")
        per_bank = {"ifm_words": Tn, "ofm_words": Tm, "wei_words": Tm * Tn}
        words = {}
        for key, count in per_bank.items():
            value = words[key] = _int(where, f"buffers.{key}", data[key])
            if value % count:
                raise InputError(f"{where}: field buffers.{key} must be a multiple of its {count} banks, got {value}")
            if value < getattr(need, key):
                raise InputError(f"{where}: field buffers.{key}={value} is smaller than the layers need "
                                 f"({getattr(need, key)})")
        return Buffers(**words)

    @staticmethod
    def _predicted(where: str, data: object) -> Predicted:
        names = [f.name for f in fields(Predicted)]
        if not isinstance(data, dict) or set(data) != set(names):
            raise InputError(f"{where}: field predicted must have exactly {names}, got {data!r}")
        values = {key: _int(where, f"predicted.{key}", data[key], 0, None)
                  for key in ("dsp", "bram_18k", "cycles_per_batch")}
        values |= {key: real(data[key], f"{where}: field predicted.{key}", NON_NEGATIVE)
                   for key in ("seconds_per_batch", "gflops")}
        return Predicted(**values)


def make_record(board: FPGABoard, network: str, batch: int, layout: str, specs: list, Tm: int, Tr, M_on,
                clock_hz: int, cost) -> TilingRecord:
    """A record for a tiling chosen by dse (`specs` are `dse.cost.fpga_network.ConvSpec`, `cost` its `Cost`)."""
    layers = tuple(LayerTiling(s.name, s.M, s.N, s.R, s.C, s.K, s.S, s.P, int(tr), s.C, int(m), s.relu, s.pool, s.bn)
                   for s, tr, m in zip(specs, Tr, M_on))
    predicted = Predicted(int(cost.dsp[0]), int(cost.bram_18k[0]), int(cost.cycles[0]),
                          float(cost.seconds[0]), float(cost.extra["gflops"][0]))
    return TilingRecord(board.ref, board.part, int(clock_hz), "fp32", layout, check_identifier("network", "network", network),
                        batch, Tm, Tm, layers, required_buffers(layers, Tm, Tm), predicted)
