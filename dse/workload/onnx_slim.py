"""Read an ONNX file's graph without its weight bytes: dse needs the shapes of the weights, never their values.

`onnx.load` parses every initializer's bytes into memory (a 550 MB VGG-19 file costs seconds and gigabytes), and
protobuf's Python API has no partial parse. So this module walks the file's protobuf wire format over a memory map
and copies every field except the large data fields of tensors (initializers and `Constant` node values), which it
skips without reading; `onnx.load_model_from_string` then parses the small remainder. A skipped tensor keeps its
`dims` and `data_type`; tensors below `KEEP_BYTES` (shape vectors, scales) keep their data for shape inference.
"""

from __future__ import annotations

import mmap
from pathlib import Path

#: Tensor data fields up to this size are kept (Reshape targets, Resize scales, Slice bounds are all far smaller).
KEEP_BYTES = 1 << 16

# Field numbers from onnx.proto: a schema maps a length-delimited field to the schema of the message inside it.
_TENSOR_DATA = frozenset({4, 5, 7, 9, 10, 11})  # float_data, int32_data, int64_data, raw_data, double_data, uint64_data
_TENSOR: dict[int, dict] = {}
_ATTRIBUTE = {5: _TENSOR, 10: _TENSOR}  # AttributeProto.t, .tensors
_NODE = {5: _ATTRIBUTE}  # NodeProto.attribute
_GRAPH = {1: _NODE, 5: _TENSOR}  # GraphProto.node, .initializer
_MODEL = {7: _GRAPH}  # ModelProto.graph


class WireError(ValueError):
    """The bytes are not a protobuf message."""


def _varint(buf, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise WireError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _encode(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _copy(buf, start: int, end: int, schema: dict[int, dict]) -> bytearray:
    """The message in buf[start:end], with sub-messages rebuilt by their schema and large tensor data left out."""
    out = bytearray()
    pos = start
    while pos < end:
        head = pos
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, body = _varint(buf, pos)
            pos = body + length
            if pos > end:
                raise WireError("field runs past the end of its message")
            if field in schema:
                inner = _copy(buf, body, pos, schema[field])
                out += _encode(key) + _encode(len(inner)) + inner
                continue
            if schema is _TENSOR and field in _TENSOR_DATA and length > KEEP_BYTES:
                continue
        else:
            raise WireError(f"unsupported wire type {wire}")
        if pos > end:
            raise WireError("field runs past the end of its message")
        out += buf[head:pos]
    return out


def load_shapes_only(path: Path):
    """The `onnx.ModelProto` of `path` without large tensor data (see the module docstring)."""
    import onnx

    with open(path, "rb") as handle:
        if path.stat().st_size == 0:
            raise WireError("the file is empty")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            view = memoryview(buf)
            try:
                slim = bytes(_copy(view, 0, len(buf), _MODEL))
            finally:
                view.release()
    return onnx.load_model_from_string(slim)
