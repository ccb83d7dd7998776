"""Workload graph checks: cycles, shape mismatches, duplicates; MAESTRO export."""

import pytest

from dse.errors import InputError
from dse.workload import Builder, Layer, Op, Workload, build, validate
from dse.workload.maestro_export import export_maestro


def test_cycle_is_named():
    w = Workload(name="loop")
    w.add_layer(Layer("a", Op.ACTIVATION, C=4, K=4, function="relu"))
    w.add_layer(Layer("b", Op.ACTIVATION, C=4, K=4, function="relu"), ["a"])
    w.add_edge("b", "a", bytes=16, kind="data")
    with pytest.raises(InputError, match=r"cycle: a -> b -> a|cycle: b -> a -> b"):
        validate(w)


def test_producer_consumer_shape_mismatch_names_the_edge():
    w = Workload(name="bad")
    w.add_layer(Layer("conv", Op.CONV, K=8, C=3, Y=8, X=8, R=3, S=3, pad_y=1, pad_x=1))
    w.add_layer(Layer("fc", Op.FC, K=10, C=100), ["conv"])
    with pytest.raises(InputError, match=r"conv -> fc.*512.*100"):
        validate(w)


def test_duplicate_and_unknown_names():
    w = Workload(name="dup")
    w.add_layer(Layer("a", Op.FC, K=2, C=2))
    with pytest.raises(InputError, match="duplicate layer name 'a'"):
        w.add_layer(Layer("a", Op.FC, K=2, C=2))
    with pytest.raises(InputError, match="unknown layer 'zz'"):
        w.add_layer(Layer("b", Op.FC, K=2, C=2), ["zz"])


def test_builder_rejects_mismatched_eltwise_and_concat():
    b = Builder("t", 1, (4, 8, 8))
    x = b.conv("c1", 8, 3)
    y = b.conv("c2", 8, 3, stride=2, src="input")
    with pytest.raises(InputError, match="differ in shape"):
        b.eltwise("add", [x, y])
    with pytest.raises(InputError, match="differ in rows/cols"):
        b.concat("cat", [x, y])


def test_maestro_export_pads_inputs_and_keeps_macs():
    text, skipped = export_maestro(build("resnet18"))
    assert "Layer conv1 {" in text
    # torchvision conv1: 224 input, pad 3 -> MAESTRO sees 230 and (230 - 7) // 2 + 1 = 112 outputs
    assert "Dimensions { N: 1, K: 64, C: 3, R: 7, S: 7, Y: 230, X: 230 }" in text
    assert text.count("Layer ") == 21
    assert "maxpool" in skipped and "conv1_bn" in skipped


def test_maestro_export_of_depthwise_lstm_and_matmul():
    b = Builder("mix", 1, (8, 10, 10))
    b.dwconv("dw", 3)
    b.reshape("seq", (8, 1, 100))
    b.lstm("lstm", 16)
    text, _ = export_maestro(b.build())
    assert "Type: DSCONV" in text and "Dimensions { N: 1, K: 1, C: 8, R: 3, S: 3, Y: 12, X: 12 }" in text
    # four gate GEMMs per step: K = 4*16, C = 8 + 16, 100 steps on Y
    assert "Dimensions { N: 1, K: 64, C: 24, R: 1, S: 1, Y: 100, X: 1 }" in text
