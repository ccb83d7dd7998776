"""Workload files: a layer graph written as the records `dse workload show --json` prints, read back into a
`Workload`, so `dse workload show NAME --json > my.json` round-trips and a user can write or edit their own.

A file (YAML or JSON) is a mapping with an optional `name` and a `per_layer` list. Each record holds a layer's
fields (`name`, `op`, the canonical dims N K C Y X R S, strides, pads, groups, ...; see `Layer`) and `inputs`: the
layers it reads, each a name (a data edge) or `{layer: NAME, kind: stash|grad|order|broadcast}`. The derived
columns that `show --json` also prints (macs, flops, params, bytes, output dims) are recomputed, never read.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from dse.errors import InputError
from dse.inputs import read_json, read_yaml
from dse.workload.graph import Workload, check_acyclic, rebatch, validate
from dse.workload.layer import Layer, Op, Pass

#: Layer fields a record may set (pass_ is spelled `pass` in records, as in tables).
_FIELDS = {f.name: f for f in fields(Layer)}
_RECORD_FIELDS = {("pass" if name == "pass_" else name) for name in _FIELDS}
#: Columns of `Layer.as_row` that are derived from the fields (or repeat one), ignored on reading.
DERIVED = frozenset({"stride", "Y_out", "X_out", "macs", "flops", "params", "input_bytes", "weight_bytes",
                     "output_bytes"})
EDGE_KINDS = ("data", "stash", "grad", "order", "broadcast")
SUFFIXES = (".yaml", ".yml", ".json")


def layer_records(workload: Workload) -> list[dict[str, Any]]:
    """One record per layer in topological order: the derived table row, every field, and its inputs."""
    rows = []
    for layer in workload.layers():
        row = layer.as_row()
        for name in _FIELDS:
            value = getattr(layer, name)
            row["pass" if name == "pass_" else name] = value.value if hasattr(value, "value") else value
        row["inputs"] = [src if kind == "data" else {"layer": src, "kind": kind}
                         for src, _, kind in workload.in_edges(layer.name, data="kind")]
        rows.append(row)
    return rows


def _read(path: Path) -> Any:
    return read_json(path, "workload file") if path.suffix == ".json" else read_yaml(path, "workload file")


def _value(path: Path, where: str, key: str, value: Any) -> Any:
    """A record's field converted to the Layer field's type, or an InputError naming the file, layer and field."""
    if key == "op":
        try:
            return Op(value)
        except ValueError:
            raise InputError(f"{path}: {where}: field op: unknown op {value!r}; known: "
                             f"{', '.join(o.value for o in Op)}") from None
    if key == "pass":
        try:
            return Pass(value)
        except ValueError:
            raise InputError(f"{path}: {where}: field pass: unknown pass {value!r}; known: "
                             f"{', '.join(p.value for p in Pass)}") from None
    kind = _FIELDS[key].type
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError(f"{path}: {where}: field {key} must be an integer, got {value!r}")
    if kind == "bool" and not isinstance(value, bool):
        raise InputError(f"{path}: {where}: field {key} must be true or false, got {value!r}")
    if kind == "str" and not isinstance(value, str):
        raise InputError(f"{path}: {where}: field {key} must be a string, got {value!r}")
    return value


def _layer(path: Path, index: int, record: Any) -> tuple[Layer, list[tuple[str, str]]]:
    if not isinstance(record, dict):
        raise InputError(f"{path}: per_layer[{index}] must be a mapping of layer fields, got {record!r}")
    name = record.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{path}: per_layer[{index}]: field name must be a non-empty string, got {name!r}")
    where = f"layer {name!r}"
    if "op" not in record:
        raise InputError(f"{path}: {where}: field op is missing")
    values: dict[str, Any] = {}
    for key, value in record.items():
        if key in DERIVED or key == "inputs":
            continue
        if key not in _RECORD_FIELDS:
            raise InputError(f"{path}: {where}: unknown field {key!r}; known: {', '.join(sorted(_RECORD_FIELDS))}, "
                             "inputs")
        values["pass_" if key == "pass" else key] = _value(path, where, key, value)
    try:
        layer = Layer(**values)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return layer, _inputs(path, where, record.get("inputs", []))


def _inputs(path: Path, where: str, inputs: Any) -> list[tuple[str, str]]:
    if not isinstance(inputs, list):
        raise InputError(f"{path}: {where}: field inputs must be a list of layer names, got {inputs!r}")
    out = []
    for item in inputs:
        src, kind = (item, "data") if isinstance(item, str) else (
            (item.get("layer"), item.get("kind", "data")) if isinstance(item, dict) else (None, None))
        if not isinstance(src, str) or kind not in EDGE_KINDS:
            raise InputError(f"{path}: {where}: field inputs: expected a layer name or {{layer: NAME, kind: "
                             f"{'|'.join(EDGE_KINDS)}}}, got {item!r}")
        out.append((src, kind))
    return out


def load_workload_file(path: str | Path) -> Workload:
    """Read and validate a workload file (see the module docstring)."""
    path = Path(path)
    data = _read(path)
    if isinstance(data, list):
        data = {"per_layer": data}
    if not isinstance(data, dict) or not isinstance(data.get("per_layer"), list) or not data["per_layer"]:
        raise InputError(f"{path}: field per_layer must be a non-empty list of layer records (as `dse workload "
                         "show NAME --json` prints)")
    name = data.get("name") or path.stem
    workload = Workload(name=str(name))
    wiring = []
    for index, record in enumerate(data["per_layer"]):
        layer, inputs = _layer(path, index, record)
        if layer.name in workload:
            raise InputError(f"{path}: layer {layer.name!r}: duplicate layer name")
        workload.add_node(layer.name, layer=layer)
        wiring.append((layer.name, inputs))
    for consumer, inputs in wiring:
        for src, kind in inputs:
            if src not in workload:
                raise InputError(f"{path}: layer {consumer!r}: field inputs: unknown layer {src!r}")
            workload.add_edge(src, consumer, bytes=workload.layer(src).output_bytes, kind=kind)
    passes = {workload.layer(n).pass_ for n in workload.nodes}
    try:
        if passes != {Pass.FORWARD}:
            check_acyclic(workload)
            updates = [workload.layer(n) for n in workload.nodes if workload.layer(n).pass_ is Pass.WEIGHT_UPDATE]
            workload.graph["training"] = {"optimizer": updates[0].optimizer if updates else "sgd"}
            return workload
        return validate(workload)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def with_batch(workload: Workload, batch: int, where: str) -> Workload:
    """The same graph at another batch; the file's batch is its first layer's N."""
    return rebatch(workload, batch, workload.layers()[0].N, where)
