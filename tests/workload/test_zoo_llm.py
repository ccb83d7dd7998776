"""OpenLLaMA-3B prefill, decode and LoRA: counts written out by hand from the HF config (papers.md 4.3)."""

import json
import subprocess
import sys

import pytest

from dse.errors import InputError
from dse.workload import build, training
from dse.workload.layer import Op, Pass

D, FFN, VOCAB, LAYERS, HEADS = 3200, 8640, 32000, 26, 32


def prefill_macs(S):
    """Per layer: q, k, v, o (4 S D^2), gate, up, down (3 S D FFN), QK^T and AV (2 S^2 D); LM head on all S tokens."""
    return LAYERS * (4 * S * D * D + 3 * S * D * FFN + 2 * S * S * D) + S * D * VOCAB


def test_parameter_count_is_3_426_473_600():
    # 26 * (4*3200*3200 + 3*3200*8640 + 2*3200) + 2*32000*3200 + 3200, worked out by hand:
    # per layer 40,960,000 + 82,944,000 + 6,400 = 123,910,400; x26 = 3,221,670,400;
    # embedding + LM head 204,800,000; final norm 3,200.
    for name in ("openllama_3b", "openllama_3b_decode"):
        assert build(name, seq_len=8).totals()["params"] == 3_426_473_600


@pytest.mark.parametrize("batch,S", [(1, 128), (2, 512)])
def test_prefill_macs_by_hand(batch, S):
    w = build("openllama_3b", batch=batch, seq_len=S)
    assert sum(l.macs for l in w.layers()) == batch * prefill_macs(S)
    assert sum(l.macs for l in w.compute_layers()) == batch * prefill_macs(S)


def test_prefill_attention_is_a_grouped_matmul_per_head():
    S = 64
    w = build("openllama_3b", seq_len=S)
    qk, av = w.layer("layer3_qk"), w.layer("layer3_av")
    assert (qk.op, qk.groups, qk.C, qk.K, qk.X) == (Op.MATMUL, HEADS, D, HEADS * S, S)
    assert (av.op, av.groups, av.C, av.K, av.X) == (Op.MATMUL, HEADS, HEADS * S, D, S)
    assert w.layer("layer3_softmax").output_elements == HEADS * S * S
    assert {u for u, _ in w.in_edges("layer3_qk")} == {"layer3_q_rope", "layer3_k_rope"}


def test_compute_layer_count():
    # 9 per decoder layer (q, k, v, o, QK^T, AV, gate, up, down) + LM head; LoRA adds A and B on q and v.
    assert len(build("openllama_3b", seq_len=8).compute_layers()) == 26 * 9 + 1 == 235
    assert len(build("openllama_3b_decode", seq_len=8).compute_layers()) == 235
    assert len(build("openllama_3b_lora", seq_len=8).compute_layers()) == 26 * 13 + 1 == 339


@pytest.mark.parametrize("S", [1, 511, 2047])
def test_decode_macs_by_hand_against_a_cache_of_S_tokens(S):
    w = build("openllama_3b_decode", seq_len=S)
    expected = LAYERS * (4 * D * D + 3 * D * FFN + 2 * (S + 1) * D) + D * VOCAB
    assert sum(l.macs for l in w.layers()) == expected


def test_decode_reads_the_kv_cache_through_cache_links():
    S = 100
    w = build("openllama_3b_decode", seq_len=S)
    qk, av = w.layer("layer0_qk"), w.layer("layer0_av")
    assert (qk.X, qk.K // HEADS, qk.C // HEADS) == (1, S + 1, 100)  # one query row against S+1 keys
    assert (av.X, av.C // HEADS, av.K // HEADS) == (1, S + 1, 100)
    assert qk.weight_bytes == (S + 1) * D * 4  # the whole key cache plus the new key is read
    assert w.edges["layer0_k_rope", "layer0_qk"]["kind"] == "cache"
    assert w.edges["layer0_v_proj", "layer0_av"]["kind"] == "cache"
    assert w.edges["layer0_k_rope", "layer0_qk"]["bytes"] == D * 4  # one new key appended
    assert all(w.layer(n).X == 1 for n in w.nodes if n != "embed_tokens")


def test_decode_flops_per_token_near_the_paper_6_9_gflop():
    # papers.md 4.3: "about 6.9 GFLOP per token plus attention" (2 x 3.43 B parameters). The embedding lookup
    # does no MACs, so the graph sits 3% under it; 4% tolerance.
    flops = build("openllama_3b_decode", seq_len=1).totals()["flops"]
    assert flops == pytest.approx(6.9e9, rel=0.04)


def test_lora_trainable_parameters_are_only_the_adapters():
    for r in (8, 16):
        w = build("openllama_3b_lora", seq_len=8, rank=r)
        trainable = sum(l.params for l in w.layers() if l.trainable and l.has_weights)
        assert trainable == 26 * 2 * 2 * 3200 * r
        assert w.totals()["params"] == 3_426_473_600 + 26 * 2 * 2 * 3200 * r


def lora_training_macs(N, S, r):
    """Forward + backward-data + weight-gradient MACs of a LoRA step, from the chain rule by hand."""
    adapters = 4 * S * D * r  # A and B on q and v
    layer = 4 * S * D * D + 3 * S * D * FFN + 2 * S * S * D
    forward = LAYERS * (layer + adapters) + S * D * VOCAB
    # Layer 0's q/k/v projections and A matrices read a normed embedding that needs no gradient.
    bd_layer0 = 2 * S * r * D + 2 * S * S * D + S * D * D + 3 * S * D * FFN
    backward_data = bd_layer0 + (LAYERS - 1) * (layer + adapters) + S * D * VOCAB
    # Adapters' weight gradients; AV's value gradient in every layer, QK^T's key gradient in layers 1-25.
    weight_gradient = LAYERS * adapters + (2 * LAYERS - 1) * S * S * D
    return N * (forward + backward_data + weight_gradient)


def test_lora_training_macs_by_hand():
    N, S, r = 2, 32, 8
    graph = training(build("openllama_3b_lora", batch=N, seq_len=S, rank=r))
    assert graph.totals()["macs"] == lora_training_macs(N, S, r)


def test_lora_training_updates_only_adapters_and_stops_at_the_first():
    forward = build("openllama_3b_lora", seq_len=16)
    graph = training(forward)
    adapters = {f"layer{i}_{p}_proj_lora_{m}" for i in range(LAYERS) for p in "qv" for m in "ab"}
    updated = {graph.layer(n).source for n in graph.nodes if graph.layer(n).pass_ is Pass.WEIGHT_UPDATE}
    assert updated == adapters
    gradients = {graph.layer(n).source for n in graph.nodes if graph.layer(n).pass_ is Pass.WEIGHT_GRADIENT}
    value_and_key_grads = {f"layer{i}_av" for i in range(LAYERS)} | {f"layer{i}_qk" for i in range(1, LAYERS)}
    assert gradients == adapters | value_and_key_grads
    assert all(forward.layer(n).op is Op.MATMUL for n in value_and_key_grads)
    for frozen_start in ("embed_tokens", "layer0_input_norm", "layer0_q_proj", "layer0_k_proj", "layer0_v_proj",
                         "layer0_k_rope", "layer0_q_proj_lora_a", "layer0_v_proj_lora_a"):
        assert frozen_start + ".bd" not in graph
    for flows in ("layer0_q_proj_lora_b", "layer0_v_proj_lora_b", "layer1_q_proj", "layer1_k_proj", "lm_head"):
        assert flows + ".bd" in graph


def test_lora_step_costs_well_under_a_full_fine_tuning_step():
    S = 64
    lora = build("openllama_3b_lora", seq_len=S)
    lora_ratio = training(lora).totals()["flops"] / lora.totals()["flops"]
    full = build("openllama_3b", seq_len=S)
    full_ratio = training(full).totals()["flops"] / full.totals()["flops"]
    assert lora_ratio < 2.1  # forward + backward-data, no base-model weight gradients
    assert full_ratio > 2.9  # forward + backward-data + weight gradients of every layer


@pytest.mark.parametrize("rank", [0, -4, 2.5, True])
def test_bad_lora_rank_is_an_input_error(rank):
    with pytest.raises(InputError, match="rank"):
        build("openllama_3b_lora", seq_len=8, rank=rank)


def test_cli_show_passes_seq_len():
    proc = subprocess.run([sys.executable, "-m", "dse", "workload", "show", "openllama_3b", "--seq-len", "128",
                           "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["layers"] == 235 and info["params"] == 3_426_473_600
    assert info["macs"] == prefill_macs(128)
    assert info["per_layer"][0]["name"] == "embed_tokens"
