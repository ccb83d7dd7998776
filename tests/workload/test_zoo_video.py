"""W-TALC head and I3D backbone: hand-counted head, top-k pooling shape, I3D against its published size and cost."""

import math

import pytest

from dse.workload import build, training
from dse.workload.graph import Workload, validate
from dse.workload.layer import Op, Pass
from dse.workload.zoo.video import I3D, wtalc


def head_params(C):
    return (2048 * 2048 + 2048) + (2048 * C + C)  # two nn.Linear with bias


@pytest.mark.parametrize("batch,T,C", [(10, 750, 20), (1, 100, 200), (3, 7, 20)])
def test_head_macs_and_params_by_hand(batch, T, C):
    w = wtalc(batch, T, C)
    assert w.totals()["macs"] == batch * T * (2048 * 2048 + 2048 * C)
    assert w.totals()["params"] == head_params(C)
    assert [l.name for l in w.compute_layers()] == ["fc_embed", "fc_cas"]


def test_default_head_numbers():
    # W-TALC defaults: batch 10, max_seqlen 750, THUMOS14's 20 classes.
    w = build("wtalc")
    assert w.totals()["macs"] == 10 * 750 * (4_194_304 + 40_960) == 31_764_480_000
    assert w.totals()["params"] == 4_237_332


@pytest.mark.parametrize("T", [1, 5, 8, 9, 750, 751, 1000])
def test_topk_pool_keeps_ceil_T_over_8_snippets_per_class(T):
    C, batch = 20, 2
    w = wtalc(batch, T, C)
    k = math.ceil(T / 8)
    select, mean = w.layer("topk_select"), w.layer("topk_mean")
    assert (select.K, select.X, select.X_out) == (C, T, k)
    assert (mean.S, mean.X_out, mean.function) == (k, 1, "global")
    # One comparison per (padded) snippet and class, then k adds per class for the mean.
    assert select.flops == batch * C * 8 * k and T <= 8 * k < T + 8
    assert mean.flops == batch * C * k
    assert list(w.successors("fc_cas")) == ["topk_select"]


def test_head_trains_without_an_input_gradient():
    graph = training(build("wtalc"))
    assert "fc_embed.bd" not in graph and "fc_cas.bd" in graph
    assert {graph.layer(n).source for n in graph.nodes if graph.layer(n).pass_ is Pass.WEIGHT_UPDATE} == {
        "fc_embed", "fc_cas"}


def stream(channels, frames=16):
    w = Workload(name="i3d")
    out = I3D(w, 1, "", 4).stream(channels, frames)
    return validate(w), out


def test_i3d_parameters_near_the_published_12m_per_stream():
    # Carreira & Zisserman 2017, Table 1: I3D 12M parameters (two-stream 25M). The graph ends at the 1024-D
    # feature (no 400-way logits, 410k more); batch norm counted as scale and shift. Tolerance 5%.
    for channels in (3, 2):
        w, out = stream(channels)
        assert w.totals()["params"] == pytest.approx(12e6, rel=0.05)
        assert (out.C, out.T, out.H, out.W) == (1024, 1, 1, 1)


def test_i3d_cost_near_the_published_108_gmac_at_64_frames():
    # 108 GFLOPs (multiply-adds) for the 64x224x224 RGB I3D, as listed by SlowFast and X3D; TF SAME padding is
    # asymmetric where ours is symmetric, so allow 5%.
    w, _ = stream(3, frames=64)
    assert w.totals()["macs"] == pytest.approx(108e9, rel=0.05)


def test_folded_3d_stem_conv_is_exact_in_macs_weights_and_output():
    w, _ = stream(3)
    conv = w.layer("Conv3d_1a")
    # 7x7x7 conv, 3 -> 64, stride 2 over 16 x 224 x 224: 8 x 112 x 112 outputs.
    assert conv.macs == 8 * 112 * 112 * 64 * 3 * 7 * 7 * 7
    assert conv.params == 64 * 3 * 7 * 7 * 7
    assert conv.output_elements == 64 * 8 * 112 * 112
    # The unfold reads 16 frames and writes 8 x 7 taps: the input traffic is 7/2 of the clip.
    unfold = w.layer("Conv3d_1a_unfold")
    assert unfold.output_elements * 2 == unfold.input_elements * 7


def test_i3d_inception_modules_concat_their_branches():
    w, _ = stream(3)
    for name, channels, frames, size in [("Mixed_3b", 256, 8, 28), ("Mixed_4f", 832, 4, 14),
                                         ("Mixed_5c", 1024, 2, 7)]:
        concat = w.layer(name)
        assert concat.op is Op.CONCAT and concat.K == channels
        assert (concat.N, concat.Y, concat.X) == (frames, size, size)
        assert sorted(w.predecessors(name)) == [f"{name}_b{b}_relu" for b in ("0", "1b", "2b", "3b")]
    # branch 1 of Mixed_4e: 1x1 to 144, then 3x3x3 to 288, on 4 frames of 14x14.
    assert w.layer("Mixed_4e_b1b").macs == 4 * 14 * 14 * 288 * 144 * 27


def test_wtalc_with_i3d_feeds_2048_d_features_and_keeps_the_backbone_frozen():
    batch, T = 2, 3
    w = build("wtalc_i3d", batch=batch, seq_len=T)
    assert wtalc(batch, T, with_i3d=True).totals() == w.totals()
    features = w.layer("features")
    assert (features.N, features.K, features.X) == (batch, 2048, T)
    assert set(w.predecessors("features")) == {"i3d_rgb_AvgPool_temporal", "i3d_flow_AvgPool_temporal"}
    assert w.layer("i3d_rgb_Conv3d_2c").N == batch * T * 8  # every snippet's 8 frames folded into the batch
    head = wtalc(batch, T).totals()["macs"]
    backbone = sum(l.macs for l in w.layers() if l.name.startswith("i3d_"))
    assert w.totals()["macs"] == head + backbone
    graph = training(w)
    assert not any(n.startswith("i3d_") and n.endswith((".bd", ".wg", ".wu")) for n in graph.nodes)
