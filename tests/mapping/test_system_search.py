"""System search: infeasible subsets are flagged, feasible trials carry the H2H step-4 result of their system."""

from dataclasses import replace

import pytest

from dse.hw.system import load_system
from dse.mapping.h2h import run_h2h
from dse.mapping.problem import compile_problem
from dse.search.system import search_system
from dse.workload.builder import Builder


def small_cnn_lstm():
    b = Builder("cnn_lstm_toy", input_shape=(3, 16, 16))
    b.conv("c1", 8, 3)
    b.pool("p1", 2)
    b.reshape("seq", (32, 1, 16))  # 8 x 8 x 8 -> 32 features x 16 steps
    b.lstm("l1", 16)
    return b.build()


def test_search_flags_subsets_without_an_lstm_engine_and_reproduces_h2h():
    workload = small_cnn_lstm()
    base = load_system("h2h")
    trials = search_system(workload, base, trials=12, seed=3)
    assert len(trials) == 12
    # feasible iff the LSTM engine (ESE) and at least one conv engine are kept
    runs_all = trials["use_se_xcku060"] & (trials["use_cz_vc707"] | trials["use_ef_zcu102"])
    assert (trials["feasible"] == runs_all).all() and (~runs_all).any()
    row = trials[trials["feasible"]].iloc[0]
    keep = [a.name for a in base.accelerators if row[f"use_{a.name}"]]
    system = base.subset(keep).with_bandwidth(row["link_bw_bytes_per_s"])
    system = replace(system, r_wei=row["r_wei"], accelerators=tuple(
        replace(a, local_dram_bytes=row[f"dram_{a.name}"]) for a in system.accelerators))
    expected = run_h2h(compile_problem(workload, system)).steps[4]
    assert row["latency_s"] == pytest.approx(expected.makespan_s)
    assert row["energy_j"] == pytest.approx(expected.energy_j)
    assert trials.loc[trials["pareto"], "feasible"].all()
