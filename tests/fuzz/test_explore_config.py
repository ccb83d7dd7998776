"""Fuzz `dse explore` configs: a valid config of every problem kind with one thing made wrong.

The config loader must accept it or raise one InputError line naming the file (and key path). An accepted config
must evaluate: each study prices the ends of its sweep (the first choice, both bounds of a range) through the
runner's own `evaluate_points`, which gives finite, non-negative metrics or raises an InputError naming the bad
parameter. The issue's own crashes are pinned as examples, and the CLI must answer them with exit 2 and one line.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from optuna.distributions import CategoricalDistribution

from dse.explore.problems import PROBLEMS
from dse.explore.runner import evaluate_points

from .harness import check_loader, check_run, run_cli, workspace, write_input
from .mutate import dump, yaml_files

BASE = {"seed": 1, "studies": {
    "fpga": {"problem": "fpga-tiling", "sampler": "tpe", "trials": 4,
             "fixed": {"network": "lenet10", "batch": 2, "board": "pynq-z1"},
             "sweep": {"dsp_share": {"low": 0.2, "high": 1.0}, "wei_share": {"low": 0.1, "high": 0.9},
                       "layout": ["reshaped_reuse", "bchw"]},
             "objectives": ["seconds", {"energy_j": "minimize"}, {"gflops": "maximize"}],
             "constraints": {"power_w": "<= 10"}},
    "h2h": {"problem": "h2h-mapping", "sampler": "random", "trials": 4, "fixed": {"workload": "cnn_lstm"},
            "sweep": {"bandwidth_gbps": [0.125, 1.25], "r_wei": {"low": 0.0, "high": 1.0}},
            "objectives": ["latency_s", "energy_j"]},
    "platforms": {"problem": "platform-compare", "sampler": "exact", "trials": 10,
                  "fixed": {"workload": "lenet10", "activity": 0.5, "lifetime_years": 5},
                  "sweep": {"platform": ["jetson-nano", "ddr3-pim"], "batch": {"low": 1, "high": 4}},
                  "objectives": ["seconds", "lifetime_carbon_kg"]},
}}


def _with(path: tuple, value: Any, base: dict | None = None) -> bytes:
    """BASE (or `base`) with one value replaced, as the file's bytes."""
    import copy

    doc = copy.deepcopy(BASE if base is None else base)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return dump(doc).encode()


# The four failures the issue found, each a traceback before: an infinite sweep bound reached Optuna, a batch beyond
# int64 reached the FPGA model, a constraint bound that is not a number, a file that is not UTF-8.
INF_BOUND = _with(("studies", "fpga", "sweep", "dsp_share"), {"low": 0.2, "high": float("inf")})
HUGE_BATCH = _with(("studies", "fpga", "fixed", "batch"), 99999999999999999999)
BAD_BOUND = _with(("studies", "fpga", "constraints"), {"power_w": "<= 1e"})
NOT_UTF8 = dump(BASE).encode("utf-16")


def ends(dist) -> list[Any]:
    """The values of a swept parameter a study reaches first: its first choice, or both ends of its range."""
    return [dist.choices[0]] if isinstance(dist, CategoricalDistribution) else [dist.low, dist.high]


@given(data=yaml_files(BASE))
@example(data=INF_BOUND)
@example(data=HUGE_BATCH)
@example(data=BAD_BOUND)
@example(data=NOT_UTF8)
@example(data=_with(("studies", "fpga", "sweep", "layout"), [["a"]]))  # a list as a choice: Optuna's ValueError
@example(data=_with(("studies", "h2h", "problem"), ["h2h-mapping"]))  # unhashable problem name: TypeError
@example(data=_with(("seed",), -1))  # numpy seeds are 32-bit unsigned
# an unknown workload name: "unknown model 'abc'" named neither the file nor the key
@example(data=_with(("studies", "platforms", "fixed", "workload"), "abc"))
@example(data=_with(("studies", "fpga", "fixed", "network"), "0"))  # "unknown model '0'" named no file or key
def test_explore_config(data: bytes) -> None:
    check_config(data)


def check_config(data: bytes) -> None:
    """The config loads or fails in one line naming the file; each study's problem accepts its fixed values or
    fails naming the file or problem; the ends of each sweep price to finite, non-negative metrics or fail naming
    the file, problem or parameter."""
    from dse.explore.config import load_config

    with workspace() as folder:
        path = write_input(folder, "config.yaml", data)
        config = check_loader(lambda: load_config(path), [str(path)])
        for spec in config.studies if config else ():
            problem = check_loader(lambda: PROBLEMS[spec.problem](spec.fixed), [str(path), spec.problem])
            for name, dist in spec.sweep.items() if problem else ():
                for value in ends(dist):
                    point = {k: ends(d)[0] for k, d in spec.sweep.items()} | {name: value}
                    check_loader(lambda: evaluate_points(problem, spec, [point]), [str(path), spec.problem, name])


#: A `dataflow-accelerator` study on LeNet-10 (the smallest zoo CNN: each design prices in milliseconds) over every
#: design parameter the problem sweeps, its workload and template given in `fixed`.
DATAFLOW = {"seed": 1, "studies": {
    "codesign": {"problem": "dataflow-accelerator", "sampler": "nsga2", "trials": 4,
                 "fixed": {"workload": "lenet10", "batch": 1, "training": False, "tech": "65nm",
                           "mapping_objective": "edp"},
                 "sweep": {"dataflow": ["eyeriss", "shidiannao"], "num_pes": [64, 256],
                           "l1_bytes": [256, 1024], "l2_bytes": {"low": 32768, "high": 262144},
                           "noc_bw_bytes_per_cycle": [16, 64], "offchip_bw_bytes_per_s": [1.6e9, 2.56e10],
                           "clock_hz": {"low": 2.0e8, "high": 1.0e9}},
                 "objectives": ["latency_s", {"energy_j": "minimize"}, "area_mm2"],
                 "constraints": {"area_mm2": "<= 100", "power_w": "<= 5"}},
}}


def _fixed(key: str, value: Any) -> bytes:
    return _with(("studies", "codesign", "fixed", key), value, DATAFLOW)


@given(data=yaml_files(DATAFLOW))
# fixed values the problem did not check: each failed at evaluation naming neither the file nor the key
@example(data=_fixed("tech", {"value": "65nm"}))  # reached the file system as a file name
@example(data=_fixed("tech", "x" * 300))  # OSError: file name too long
@example(data=_fixed("tech", None))
@example(data=_fixed("batch", False))
@example(data=_fixed("batch", {"value": 1}))  # TypeError: unhashable dict in the workload cache key
@example(data=_fixed("workload", None))
@example(data=_fixed("workload", 0))
@example(data=_fixed("mapping_objective", "abc"))
@example(data=_fixed("precision", "abc"))
# one PE holds no mapping of a layer: numpy's broadcast ValueError in the network-level mapping choice
@example(data=_with(("studies", "codesign", "sweep", "num_pes"), [1, 256], DATAFLOW))
def test_dataflow_accelerator_config(data: bytes) -> None:
    check_config(data)


@pytest.mark.parametrize("data, message", [
    (INF_BOUND, "studies.fpga.sweep.dsp_share.high: must be a finite number"),
    (HUGE_BATCH, "studies.fpga.fixed.batch: must be an integer in [1, 1000000], got 99999999999999999999"),
    (BAD_BOUND, "studies.fpga.constraints.power_w: '1e' is not a number"),
    (NOT_UTF8, "not UTF-8 text"),
])
def test_the_issues_config_failures_exit_2_with_one_line(data: bytes, message: str) -> None:
    with workspace() as folder:
        write_input(folder, "config.yaml", data)
        run = run_cli(["explore", "in/config.yaml", "--out", "out", "--no-progress"], folder)
        check_run(run, ["in/config.yaml"])
        assert run.code == 2 and message in run.stderr
