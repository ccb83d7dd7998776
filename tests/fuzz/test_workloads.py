"""Fuzz the workload files a user can name wherever a workload goes: workload files (the records
`dse workload show NAME --json` prints, which `load_workload` reads back, as JSON or YAML), Hugging Face decoder
`config.json` files, and the `--input-shape` option of every command that takes one.

Each seed is small on purpose (LeNet-10's records; the shipped configs cut to two decoder layers; a one-conv ONNX
model), so an example costs milliseconds; every field of it is still mutated, the layer count included.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from hypothesis import example, given
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import dse

from .harness import check_run, run_cli, workspace, write_input
from .mutate import damaged_text, dump, mutated_document


def _records() -> dict:
    """`dse workload show lenet10 --json`: the round-trip format of a workload file."""
    with workspace() as folder:
        run = run_cli(["workload", "show", "lenet10", "--json"], folder)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


WORKLOAD = _records()


def _json(doc: object) -> bytes:
    return json.dumps(doc).encode()  # NaN and Infinity as JavaScript spells them, which json.loads accepts


@st.composite
def workload_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes): the records with one field made wrong, as JSON or YAML, or the file damaged as text."""
    suffix = draw(st.sampled_from([".json", ".yaml"]))
    if draw(st.integers(0, 4)) == 0:
        return suffix, draw(damaged_text(json.dumps(WORKLOAD, indent=1) if suffix == ".json" else dump(WORKLOAD)))
    doc = draw(mutated_document(WORKLOAD))
    return suffix, _json(doc) if suffix == ".json" else dump(doc).encode()


@given(file=workload_files(), command=st.sampled_from(["show", "roofline"]))
@example(file=(".json", "{}".encode("utf-16")), command="show")  # UnicodeDecodeError from Path.read_text
@example(file=(".yaml", b"a: " + b"[" * 5000 + b"]" * 5000), command="show")  # RecursionError in the YAML parser
@example(file=(".json", b"[" * 5000 + b"]" * 5000), command="show")  # RecursionError in json.loads
def test_workload_file(file: tuple[str, bytes], command: str) -> None:
    suffix, data = file
    name = f"in/w{suffix}"
    argv = (["workload", "show", name, "--json"] if command == "show"
            else ["roofline", "--workload", name, "--platform", "jetson-nano", "--json"])
    with workspace() as folder:
        write_input(folder, f"w{suffix}", data)
        check_run(run_cli(argv, folder), [name])


CONFIGS = {path.stem: {**json.loads(path.read_text()), "num_hidden_layers": 2}
           for path in sorted((Path(dse.__file__).parent / "workload" / "zoo" / "configs").glob("*.json"))}


@st.composite
def hf_configs(draw: st.DrawFn) -> bytes:
    """One shipped config with one field made wrong, or its text damaged."""
    base = CONFIGS[draw(st.sampled_from(sorted(CONFIGS)))]
    if draw(st.integers(0, 4)) == 0:
        return draw(damaged_text(json.dumps(base, indent=1)))
    return _json(draw(mutated_document(base)))


def _config(**changes: object) -> bytes:
    return _json({**CONFIGS["llama-3.2-1b"], **changes})


@given(data=hf_configs(), stage=st.sampled_from(["prefill", "decode", "lora"]))
@example(data=b"{" * 3000 + b"}" * 3000, stage="prefill")  # RecursionError in json.loads
@example(data=_config(model_type={"value": "llama"}), stage="prefill")  # unhashable model_type: TypeError
@example(data=_config(hidden_act=["silu"]), stage="prefill")  # unhashable hidden_act: TypeError
# a layer out of range (K = 2**40): the Layer's message named the layer, not the file
@example(data=_config(hidden_size=2**40, intermediate_size=2**40), stage="prefill")
@example(data=_config(num_hidden_layers=10**30), stage="prefill")  # built layer after layer: still running after 60 s
@example(data=_config(num_hidden_layers=2.0), stage="prefill")  # a count as a float: refused as before
def test_hf_config(data: bytes, stage: str) -> None:
    with workspace() as folder:
        write_input(folder, "config.json", data)
        run = run_cli(["roofline", "--workload", "in/config.json", "--platform", "jetson-nano", "--seq-len", "16",
                       "--stage", stage, "--json"], folder)
        check_run(run, ["in/config.json"])


def _fully_convolutional() -> bytes:
    """conv 3x3 -> relu -> global average pool -> flatten -> gemm, with batch, height and width all dynamic: any
    positive input shape is valid, so `--input-shape` alone decides the graph."""
    def weight(name: str, *shape: int):
        return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("GlobalAveragePool", ["r1"], ["g1"], name="gap"),
             helper.make_node("Flatten", ["g1"], ["flat"], name="flat"),
             helper.make_node("Gemm", ["flat", "wf", "bf"], ["y"], name="fc", transB=1)]
    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("wf", 10, 8), weight("bf", 10)]
    graph = helper.make_graph(nodes, "fcn", [x], [y], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


FCN = _fully_convolutional()
M = "in/fcn.onnx"
SHAPE_COMMANDS = {
    "show": ["workload", "show", M, "--json"],
    "export": ["workload", "export", M, "--maestro", "out"],
    "roofline": ["roofline", "--workload", M, "--platform", "jetson-nano", "--json"],
    "compare": ["compare", "--platforms", "jetson-nano,ddr3-pim", "--workload", M, "--json"],
    "fpga": ["fpga", "estimate", "--board", "pynq-z1", "--network", M, "--batch", "2", "--json"],
    "map": ["map", "--workload", M, "--accelerator", "eyeriss", "--trials", "2", "--json"],
    "h2h": ["h2h", "--workload", M, "--bandwidth", "1", "--trials", "2", "--json"],
    "hls": ["hls", "generate", "--board", "pynq-z1", "--network", M, "--batch", "2", "--out", "out"],
}
#: Dims a shape is drawn from: small legal ones (an example stays cheap) and the wrong ones.
ODD_DIMS = ["0", "-1", "", " ", "1.5", "2e3", "x", "٣", "²", "99999999999999999999", str(2**31), str(2**62),
            str(2**63), "1_0"]


@st.composite
def input_shapes(draw: st.DrawFn) -> list[str]:
    """One or two `--input-shape` values: NAME=D1,D2,... with a name and dims mostly right, one thing wrong."""
    def one() -> str:
        if draw(st.integers(0, 5)) == 0:
            return draw(st.text(max_size=12))
        name = draw(st.sampled_from(["x=", "", "x =", "y=", "=", "x==", "batch="]) | st.text(max_size=3).map(
            lambda s: s + "="))
        dims = draw(st.lists(st.integers(1, 16).map(str) | st.sampled_from(ODD_DIMS) | st.integers().map(str),
                             min_size=0, max_size=6))
        return name + draw(st.sampled_from([",", ", ", ";", ",,"])).join(dims)

    return [one() for _ in range(draw(st.integers(1, 2)))]


@given(command=st.sampled_from(sorted(SHAPE_COMMANDS)), shapes=input_shapes())
@example(command="compare", shapes=[""])  # an empty value: the message named --workload, not --input-shape
@example(command="compare", shapes=["x=1,3,1,9223372036854775808"])  # a dim of 2**63: onnx's ValueError
def test_input_shape(command: str, shapes: list[str]) -> None:
    with workspace() as folder:
        write_input(folder, "fcn.onnx", FCN)
        argv = [*SHAPE_COMMANDS[command], *(f"--input-shape={s}" for s in shapes)]
        check_run(run_cli(argv, folder), ["--input-shape", M])
