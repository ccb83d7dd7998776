"""CNN zoo against published MAC and parameter counts, derived here by hand where possible."""

import pytest

from dse.workload import build
from dse.workload.layer import Op


def conv_macs(K, C, out, R):
    return K * C * out * out * R * R


def test_vgg16_macs_by_hand():
    cfg = [(64, 3, 224), (64, 64, 224), (128, 64, 112), (128, 128, 112), (256, 128, 56), (256, 256, 56),
           (256, 256, 56), (512, 256, 28), (512, 512, 28), (512, 512, 28), (512, 512, 14), (512, 512, 14),
           (512, 512, 14)]
    expected = sum(conv_macs(K, C, o, 3) for K, C, o in cfg) + 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    w = build("vgg16")
    assert sum(l.macs for l in w.compute_layers()) == expected
    assert expected == pytest.approx(15.47e9, rel=0.005)


@pytest.mark.parametrize("name,gmacs", [("vgg16", 15.47), ("resnet50", 4.09), ("resnet18", 1.81),
                                        ("alexnet", 0.714), ("mobilenet_v2", 0.30)])
def test_macs_within_half_percent_of_published(name, gmacs):
    w = build(name)
    assert sum(l.macs for l in w.compute_layers()) == pytest.approx(gmacs * 1e9, rel=0.005)


@pytest.mark.parametrize("name,params", [("resnet18", 11_689_512), ("resnet50", 25_557_032),
                                         ("mobilenet_v2", 3_504_872), ("vgg16", 138_357_544),
                                         ("alexnet", 61_100_840)])
def test_parameter_counts_match_torchvision(name, params):
    assert build(name).totals()["params"] == params


def test_batch_scales_macs_not_params():
    one, four = build("resnet18"), build("resnet18", batch=4)
    assert four.totals()["macs"] == 4 * one.totals()["macs"]
    assert four.totals()["params"] == one.totals()["params"]


def test_ef_train_networks_follow_the_paper_shapes():
    w = build("ef_train_1x")
    convs = [l for l in w.layers() if l.op is Op.CONV]
    assert [(l.K, l.C, l.Y_out, l.R) for l in convs] == [
        (16, 3, 32, 3), (16, 16, 32, 3), (32, 16, 16, 3), (32, 32, 16, 3), (64, 32, 8, 3), (64, 64, 8, 3)]
    fc = [l for l in w.layers() if l.op is Op.FC]
    assert [(l.K, l.C) for l in fc] == [(10, 1024)]
    assert w.layers()[0].N == 128
