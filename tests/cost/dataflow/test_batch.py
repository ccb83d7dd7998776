"""The batch form returns the same numbers as one-at-a-time evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from dse.cost.dataflow.batch import evaluate_batch
from dse.cost.dataflow.metrics import METRICS, layer_metrics
from dse.hw.directives import Hardware
from dse.hw.maestro_io import read_hardware, read_mapping

from ...reference import MAESTRO as REF


def test_batch_equals_single_on_resnet50_and_two_machines() -> None:
    layers = read_mapping(REF / "inputs" / "mapping" / "Resnet50_kcp_ws.m")[1][:20]
    hw = read_hardware(REF / "inputs" / "hw" / "accelerator_1.m")
    machines = [hw if i % 2 else Hardware(num_pes=64, offchip_bw=10**6) for i in range(len(layers))]
    frame = evaluate_batch(layers, machines)
    assert list(frame["layer"]) == [l.name for l in layers]
    for row, layer, machine in zip(frame.to_dict(orient="records"), layers, machines):
        single = layer_metrics(layer, machine)
        assert all(row[k] == single[k] or (row[k] != row[k] and single[k] != single[k]) for k in METRICS)


def test_batch_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 machines"):
        evaluate_batch([], [Hardware(), Hardware()])
