"""One way to name a workload, for every command and explore problem: a zoo name, a path to an `.onnx` file, or a
path to a workload file (the records `dse workload show --json` prints; `dse.workload.workload_file`).

`kind_of` tells the kinds apart by suffix and, for `.json`, by content; `LOADERS` maps each file kind to its
reader, so a new kind (a Hugging Face decoder `config.json`, whose `model_type`/`architectures` keys mark it) is one
entry there. Options that do not apply to a kind (`seq_len` for an ONNX file, `input_shapes` for a zoo model) are
rejected by name rather than ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dse.errors import InputError
from dse.inputs import Range, is_file, parse_whole, read_json, text, whole
from dse.workload.layer import MAX_DIM

if TYPE_CHECKING:
    from dse.workload.graph import Workload

Shapes = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Options:
    """What the caller asked for besides the name; `where` names the option (`--workload`), argument (`NAME`) or
    explore config key (`workload`) the spec came from, so errors name the option or key that fixes them."""

    batch: int | None = None
    seq_len: int | None = None
    input_shapes: Shapes | None = None
    where: str = "--workload"
    stage: str | None = None  # LLM stage of a Hugging Face config (prefill, decode, lora)
    context: int | None = None  # LLM tokens already in the KV cache

    @property
    def from_config(self) -> bool:
        """An explore config key (`workload`, `network`) rather than a command-line option or argument."""
        return self.where.isidentifier() and self.where.islower()

    def reject(self, spec: str, kind: str, *names: str) -> None:
        """An InputError for the first of `names` that was given but does not apply to this kind of workload."""
        for name in names:
            if getattr(self, name) is not None:
                option = name[:-1] if name == "input_shapes" else name
                hint = option if self.from_config else "--" + option.replace("_", "-")
                if name in ("stage", "context"):
                    raise InputError(f"{self.where} {spec}: {hint} applies to a Hugging Face config.json only")
                raise InputError(f"{self.where} {spec}: {hint} does not apply to {kind}")


def _onnx(path: Path, options: Options) -> Workload:
    from dse.workload.onnx_import import from_onnx

    options.reject(str(path), "an ONNX file (its shapes come from the file and --input-shape)", "seq_len", "stage",
                   "context")
    option = "input_shape" if options.from_config else "--input-shape"
    return from_onnx(path, batch=options.batch, input_shapes=options.input_shapes, shape_option=option)


def _workload_file(path: Path, options: Options) -> Workload:
    from dse.workload.workload_file import load_workload_file, with_batch

    options.reject(str(path), "a workload file (its dims are in the file)", "seq_len", "input_shapes", "stage",
                   "context")
    workload = load_workload_file(path)
    return workload if options.batch is None else with_batch(workload, options.batch, str(path))


def _hf_config(path: Path, options: Options) -> Workload:
    from dse.workload.decoder import from_hf_config

    options.reject(str(path), "a Hugging Face config (its shapes come from --seq-len and --context)", "input_shapes")
    return from_hf_config(path, options.stage or "prefill", options.seq_len or 512, options.context,
                          options.batch or 1)


#: File kind -> reader.
LOADERS: dict[str, Callable[[Path, Options], Workload]] = {"onnx": _onnx, "workload-file": _workload_file,
                                                           "hf-config": _hf_config}
#: The suffixes of each kind of file (a .json is a workload file unless `_json_kind` says otherwise).
SUFFIXES = {".onnx": "onnx", ".yaml": "workload-file", ".yml": "workload-file", ".json": "workload-file"}
#: Keys that mark a Hugging Face model config among .json files.
HF_CONFIG_KEYS = ("model_type", "architectures")


def _json_kind(path: Path) -> str:
    try:
        data = read_json(path)
    except InputError:
        return "workload-file"  # its own reader reports the error with the file's name
    if isinstance(data, dict) and any(key in data for key in HF_CONFIG_KEYS):
        return "hf-config"
    return "workload-file"


def kind_of(spec: str) -> str:
    """`zoo`, or the file kind of `spec` (a key of LOADERS, or one no loader handles yet)."""
    suffix = Path(spec).suffix.lower()
    if suffix not in SUFFIXES and "/" not in spec and "\\" not in spec:
        return "zoo"
    kind = SUFFIXES.get(suffix, "")
    if not kind:
        raise InputError(f"{spec}: not a workload: give a zoo name (dse workload list), an .onnx file or a workload "
                         f"file ({', '.join(s for s, k in SUFFIXES.items() if k == 'workload-file')})")
    if suffix == ".json" and is_file(spec):
        kind = _json_kind(Path(spec))
    return kind


def load_workload(spec: str, *, batch: int | None = None, seq_len: int | None = None,
                  input_shapes: Shapes | Iterable[str] | Mapping | str | None = None,
                  where: str = "--workload", stage: str | None = None, context: int | None = None) -> Workload:
    """The forward graph of `spec`: a zoo model built with `batch`/`seq_len`, an ONNX file imported with `batch`
    for a dynamic batch dim and `input_shapes` for the other dynamic dims, a workload file (scaled to `batch`), or a
    Hugging Face decoder config.json at `stage` with `seq_len` and `context` (`dse.workload.decoder`)."""
    spec = str(spec)
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0):
        raise InputError(f"{where} {spec}: batch must be a positive integer, got {batch!r}")
    shape_where = "input_shape" if Options(where=where).from_config else "--input-shape"
    shapes = parse_input_shapes(input_shapes, shape_where) if input_shapes not in (None, [], (), {}) else None
    options = Options(batch, seq_len, shapes, where, stage, context)
    kind = kind_of(spec)
    if kind == "zoo":
        from dse.workload.zoo import build

        options.reject(spec, "a zoo model (its shapes are built in)", "input_shapes", "stage", "context")
        return build(spec, batch=batch, seq_len=seq_len)
    path = Path(spec)
    if not is_file(path):
        raise InputError(f"{where}: file {spec!r} does not exist")
    return LOADERS[kind](path, options)


def check_workload(spec: Any, where: str) -> str:
    """A check (dse.inputs style, for explore configs) that `spec` names a workload: a known zoo model or an existing
    file of a workload kind. The file's content is checked when it loads."""
    text(spec, where)
    try:
        if kind_of(spec) == "zoo":
            from dse.workload.zoo import builder

            builder(spec)
        elif not is_file(spec):
            raise InputError(f"file {spec!r} does not exist")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return spec


def check_input_shape(value: Any, where: str) -> Any:
    """A check (for explore configs) that an `input_shape` value parses (`parse_input_shapes`)."""
    shapes_key(value, where)
    return value


def shapes_key(value: Shapes | Iterable[str] | Mapping | str | None, where: str) -> tuple | None:
    """Input shapes as a hashable key (explore problems cache workloads by it); None when none are given."""
    shapes = parse_input_shapes(value, where) if value not in (None, [], (), {}) else {}
    return tuple(sorted(shapes.items())) or None


def parse_input_shapes(value: Shapes | Iterable[str] | Mapping | str | None, where: str = "--input-shape") -> Shapes:
    """Input shapes from `NAME=1,3,48,320` strings (the name may be left out when the model has one input: key
    ""), a list of them, or a mapping NAME -> [dims] (an explore config's `input_shape:`)."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        value = dict(value)  # a shapes_key
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, Iterable):
        items = []
        for text in value:
            if not isinstance(text, str):
                raise InputError(f"{where}: expected NAME=D1,D2,... got {text!r}")
            name, _, dims = text.rpartition("=")
            items.append((name.strip(), dims.split(",")))
    else:
        raise InputError(f"{where}: expected NAME=D1,D2,... or a mapping of input name to dims, got {value!r}")
    shapes: Shapes = {}
    for name, dims in items:
        shapes[name] = _dims(name, dims, where)
    return shapes


def _dims(name: str, dims: Any, where: str) -> tuple[int, ...]:
    """Each dim a whole number in the layer-dimension range [1, 2**31] (docs/conventions.md), text or a number."""
    out = []
    what = f"{where}: input {name or '(the only input)'}: dim"
    for d in dims if isinstance(dims, (list, tuple)) else [dims]:
        out.append(parse_whole(d, what, Range(1, MAX_DIM)) if isinstance(d, str) else whole(d, what, Range(1, MAX_DIM)))
    if not out:
        raise InputError(f"{where}: input {name or '(the only input)'}: no dims given")
    return tuple(out)
