"""Fuzz every numeric command-line option: any text as the value, with the command otherwise valid and cheap.

Values inside an option's range but expensive (a million trials, a batch of a million) are not drawn: they are
legal work, not bad input; everything else is (zero, signs, NaN, inf, huge, junk text, non-ASCII digits, `1_000`:
numbers are read in ASCII digits without underscores, docs/conventions.md).
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

import dse
from dse.cli import main
from dse.inputs import MAX_BATCH, MAX_SEQ_LEN, MAX_TRIALS

from .harness import check_run, run_cli, workspace, write_input

MAPPING = ("Network t {\nLayer L {\nType: CONV\nDimensions { K: 4, C: 2, R: 3, S: 3, Y: 8, X: 8 }\n"
           "Dataflow {\nSpatialMap(1,1) K;\nTemporalMap(1,1) C;\n}\n}\n}\n")

FPGA = ["fpga", "estimate", "--board", "pynq-z1", "--network", "lenet10", "--batch", "2", "--json"]
TILE = ["fpga", "tile", "--board", "pynq-z1", "--network", "lenet10", "--batch", "2", "--trials", "3", "--out", "out"]
COMPARE = ["compare", "--platforms", "jetson-nano,ddr3-pim", "--workload", "lenet10", "--json"]
BREAKEVEN = ["carbon", "breakeven", "--incumbent", "ddr3-pim", "--replacement", "racetrack-pim", "--workload",
             "lenet10", "--json"]
INDIFFERENCE = ["carbon", "indifference", "--x", "ddr3-pim", "--y", "racetrack-pim", "--workload", "lenet10", "--json"]
H2H = ["h2h", "--workload", "cnn_lstm", "--bandwidth", "1", "--trials", "2", "--json"]
MAP = ["map", "--workload", "lenet10", "--accelerator", "eyeriss", "--trials", "2", "--json"]
SHOW = ["workload", "show", "lenet10", "--json"]
SHOW_SEQ = ["workload", "show", "wtalc", "--json"]
EXPORT = ["workload", "export", "lenet10", "--maestro", "out"]
MAESTRO = ["maestro", "in/net.m", "--out", "out"]
HLS = ["hls", "generate", "--board", "pynq-z1", "--network", "lenet10", "--out", "out"]
WORKER = ["worker", "--study", "s", "--storage", "sqlite:///in/w.db"]

#: What a legal value's error may name besides the option: the worker's study is absent from its new storage.
OTHER_NAMES = {tuple(WORKER): ["study 's'"]}

#: (command, option, kind, cheapest legal values drawn up to, largest legal value: none drawn between the two)
OPTIONS = [
    (FPGA, "--batch", int, 16, MAX_BATCH), (FPGA, "--clock-hz", float, None, None),
    (FPGA, "--dsp-budget", float, None, None), (FPGA, "--bram-budget", float, None, None),
    (TILE, "--trials", int, 4, MAX_TRIALS), (TILE, "--seed", int, None, None), (TILE, "--batch", int, 4, MAX_BATCH),
    (COMPARE, "--batch", int, 64, MAX_BATCH), (COMPARE, "--lifetime-years", float, None, None),
    (COMPARE, "--activity", float, None, None),
    (BREAKEVEN, "--activity", float, None, None), (BREAKEVEN, "--lifetime-years", float, None, None),
    (BREAKEVEN, "--batch", int, 64, MAX_BATCH), (INDIFFERENCE, "--lifetime-years", float, None, None),
    (H2H, "--bandwidth", float, None, None), (H2H, "--trials", int, 4, MAX_TRIALS), (H2H, "--seed", int, None, None),
    (MAP, "--batch", int, 8, MAX_BATCH), (MAP, "--trials", int, 4, MAX_TRIALS),
    (SHOW, "--batch", int, 1024, MAX_BATCH), (SHOW_SEQ, "--seq-len", int, 4096, MAX_SEQ_LEN),
    (EXPORT, "--batch", int, 1024, MAX_BATCH),
    (MAESTRO, "--num-pes", int, None, None), (MAESTRO, "--noc-bw", int, None, None),
    (MAESTRO, "--offchip-bw", int, None, None),
    (HLS, "--batch", int, 4, MAX_BATCH),
    (WORKER, "--trials", int, None, None), (WORKER, "--heartbeat-seconds", int, None, None),
]

JUNK = ["0", "-0", "-1", "nan", "NaN", "inf", "-inf", "1e309", "-1e309", "1e", "", " ", "0x10", "1_000", "²", "٣",
        "99999999999999999999", "1e-300", "5e-324", "1e30", "abc", "1,2", "1,,2", ",", "--x", "0.5", "1.0", "2.5"]


def values(kind: type, cheap: int | None, largest: int | None) -> st.SearchStrategy[str]:
    if kind is int:
        numbers = (st.integers(max_value=cheap) | st.integers(min_value=largest + 1)) if cheap else st.integers()
        numbers = numbers.map(str)
    else:
        numbers = st.floats().map(repr) | st.floats(min_value=0, max_value=2).map(repr)
    return numbers | st.sampled_from(JUNK) | st.text(max_size=8)


def _lists(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """MAESTRO's sweep options take comma-separated lists."""
    return st.lists(text, min_size=1, max_size=3).map(",".join)


def cases() -> st.SearchStrategy[tuple[int, str]]:
    """(index into OPTIONS, the option's value as text)."""
    def value(i: int) -> st.SearchStrategy[str]:
        argv, _, kind, cheap, largest = OPTIONS[i]
        text = values(kind, cheap, largest)
        return _lists(text) if argv is MAESTRO else text

    return st.integers(0, len(OPTIONS) - 1).flatmap(lambda i: st.tuples(st.just(i), value(i)))


def _case(option: str, value: str, argv: list[str] | None = None) -> tuple[int, str]:
    return next(i for i, (a, o, *_) in enumerate(OPTIONS) if o == option and (argv is None or a is argv)), value


@given(case=cases())
@example(case=_case("--dsp-budget", "1e-300"))  # a budget too small for one MAC: named as the DSP budget
@example(case=_case("--batch", "99999999999999999999", FPGA))  # overflowed int64 in dse/cost/fpga.py (issue 15)
# Python's int() reads `1_000` (and `٣٣٣٣` as 3333): 1000 trials outlived the time limit; digits are ASCII only now
@example(case=_case("--trials", "1_000", TILE))
def test_numeric_option(case: tuple[int, str]) -> None:
    index, value = case
    argv, option, *_ = OPTIONS[index]
    with workspace() as folder:
        write_input(folder, "net.m", MAPPING)
        run = run_cli([*argv, f"{option}={value}"], folder)
        check_run(run, [option, "in/net.m", *OTHER_NAMES.get(tuple(argv), [])])


def test_the_issues_huge_batch_exits_2_with_one_line() -> None:
    with workspace() as folder:
        run = run_cli(["fpga", "estimate", "--board", "zcu102", "--network", "vgg16", "--batch",
                       "99999999999999999999"], folder)
        check_run(run, ["--batch"])
        assert run.code == 2 and "argument --batch: must be an integer in [1, 1000000]" in run.stderr


#: A shipped decoder config cut to two layers (every count but the layer count as shipped; an example stays cheap).
LLM = json.dumps({**json.loads((Path(dse.__file__).parent / "workload" / "zoo" / "configs" / "qwen2.5-0.5b.json")
                               .read_text()), "num_hidden_layers": 2})
BITS = {"--weight-bits": ["32", "16", "8", "4"], "--act-bits": ["32", "16", "8"], "--kv-bits": ["32", "16", "8", "4"]}
TEXT_CHOICES = {"--stage": ["prefill", "decode", "lora"], "--precision": ["fp32", "fp16", "int8", "bf16", "FP16"],
                "--platform": ["jetson-nano", "orin-nano", "xavier-nx", "ddr3-pim", "pynq-z1", "in/llm.json"]}
ROOFLINE_NUMBERS = {"--batch": (64, MAX_BATCH), "--seq-len": (4096, MAX_SEQ_LEN), "--context": (4096, MAX_SEQ_LEN)}


@st.composite
def roofline_argv(draw: st.DrawFn) -> list[str]:
    """`dse roofline` on the small LLM config or LeNet-10 with a few of its options, each right or wrong."""
    argv = ["roofline", "--workload", draw(st.sampled_from(["in/llm.json", "lenet10"])), "--json"]
    platform = draw(st.sampled_from(TEXT_CHOICES["--platform"]) | st.text(max_size=8))
    argv.append(f"--platform={platform}")
    for option in draw(st.sets(st.sampled_from([*ROOFLINE_NUMBERS, *BITS, "--stage", "--precision"]), max_size=4)):
        if option in ROOFLINE_NUMBERS:
            value = draw(values(int, *ROOFLINE_NUMBERS[option]))
        else:
            right = BITS.get(option) or TEXT_CHOICES[option]
            value = draw(st.sampled_from(right) | st.sampled_from(JUNK) | st.text(max_size=6))
        argv.append(f"{option}={value}")
    return argv


@given(argv=roofline_argv())
def test_roofline_options(argv: list[str]) -> None:
    with workspace() as folder:
        write_input(folder, "llm.json", LLM)
        run = run_cli(argv, folder)
        check_run(run, [a.split("=")[0] for a in argv if a.startswith("--")] + ["in/llm.json", "lenet10"])


@functools.cache
def _trained_project() -> Path:
    """The smallest shipped tiling's HLS project, generated and built once (its first `make train` compiles)."""
    folder = Path(tempfile.mkdtemp(prefix="dse-fuzz-hls-"))
    atexit.register(shutil.rmtree, folder, True)
    tiling = Path(__file__).parents[1] / "hls" / "fixtures" / "pynq_small.yaml"
    assert main(["hls", "generate", "--tiling", str(tiling), "--out", str(folder / "prj")]) == 0
    assert main(["hls", "run", str(folder / "prj"), "--steps", "1"]) == 0
    return folder / "prj"


@functools.cache
def _checked_steps(steps: str) -> None:
    """`dse hls run --steps=STEPS` on the built project, checked. Memoised on the option's text: the outcome of one
    text is fixed (the project is the same and `run` clears the previous run's step files), and a legal value costs
    seconds of C simulation, so the long profile's many repeats of "1", "2" or "3" run once each. A failing check
    raises, and is not memoised."""
    with workspace() as folder:
        run = run_cli(["hls", "run", str(_trained_project()), f"--steps={steps}", "--json"], folder)
        check_run(run, ["--steps"])


@given(steps=values(int, 3, MAX_TRIALS))
@example(steps="1_000")  # Python's int() read it as 1000 steps of C simulation: a hang; digits are ASCII only now
def test_hls_run_steps(steps: str) -> None:
    """`dse hls run --steps`: legal step counts up to 3 (each step is a C-simulated SGD step), the rest wrong."""
    _checked_steps(steps)
