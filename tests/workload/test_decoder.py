"""Decoder LLMs from Hugging Face config.json: parameter counts against the public model cards, FLOPs by hand.

The configs below are the count-setting fields of each model's config.json on its Hugging Face model page, written
out here (nothing downloads). Each parameter count is checked three ways: the builder's graph, the architecture
formula (`DecoderConfig.params`) and an integer worked out by hand, and then against the figure the model card (or
the model's paper) states, at the precision it states it.
"""

import json

import pytest

from dse.errors import InputError
from dse.workload.decoder import decoder_graph, from_hf_config
from dse.workload.hf_config import parse_config, read_config
from dse.workload.layer import Op
from dse.workload.training_passes import training
from dse.workload.zoo.llm import CONFIGS

PUBLIC = {
    # meta-llama/Llama-3.2-1B: tied embeddings, GQA 32/8, head_dim 64.
    "llama-3.2-1b": {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
                     "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "head_dim": 64,
                     "vocab_size": 128256, "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
                     "tie_word_embeddings": True},
    # Qwen/Qwen2.5-0.5B: q/k/v biases, GQA 14/2, tied.
    "qwen2.5-0.5b": {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
                     "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
                     "vocab_size": 151936, "hidden_act": "silu", "tie_word_embeddings": True},
    # TinyLlama/TinyLlama-1.1B-Chat-v1.0: GQA 32/4, untied.
    "tinyllama-1.1b": {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632,
                       "num_attention_heads": 32, "num_hidden_layers": 22, "num_key_value_heads": 4,
                       "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": False},
    # microsoft/Phi-3-mini-4k-instruct: fused qkv/gate_up in the checkpoint, same counts; MHA.
    "phi-3-mini-4k": {"model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192,
                      "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
                      "vocab_size": 32064, "hidden_act": "silu", "tie_word_embeddings": False},
    # google/gemma-2b: head_dim 256 with 8 heads (not hidden/heads), MQA, GeGLU, tied by the family default.
    "gemma-2b": {"model_type": "gemma", "hidden_size": 2048, "intermediate_size": 16384,
                 "num_attention_heads": 8, "num_hidden_layers": 18, "num_key_value_heads": 1, "head_dim": 256,
                 "vocab_size": 256000, "hidden_act": "gelu"},
    # openlm-research/open_llama_3b: MHA, untied.
    "openllama_3b": {"model_type": "llama", "hidden_size": 3200, "intermediate_size": 8640,
                     "num_attention_heads": 32, "num_hidden_layers": 26, "vocab_size": 32000, "hidden_act": "silu",
                     "tie_word_embeddings": False},
}

#: Worked out by hand: per layer q + k + v + o + 3 x hidden x FFN + 2 norms (+ biases); embeddings; final norm.
BY_HAND = {
    # 16 x (4,194,304 + 2 x 1,048,576 + 4,194,304 + 50,331,648 + 4,096) + 262,668,288 + 2,048
    "llama-3.2-1b": 1_235_814_400,
    # 24 x (802,816 + 896 + 2 x (114,688 + 128) + 802,816 + 13,074,432 + 1,792) + 136,134,656 + 896
    "qwen2.5-0.5b": 494_032_768,
    # 22 x (4,194,304 + 2 x 524,288 + 4,194,304 + 34,603,008 + 4,096) + 2 x 65,536,000 + 2,048
    "tinyllama-1.1b": 1_100_048_384,
    # 32 x (4 x 9,437,184 + 75,497,472 + 6,144) + 2 x 98,500,608 + 3,072
    "phi-3-mini-4k": 3_821_079_552,
    # 18 x (4,194,304 + 2 x 524,288 + 4,194,304 + 100,663,296 + 4,096) + 524,288,000 + 2,048
    "gemma-2b": 2_506_172_416,
    # 26 x (4 x 10,240,000 + 82,944,000 + 6,400) + 2 x 102,400,000 + 3,200
    "openllama_3b": 3_426_473_600,
}

#: What the model cards (or papers) state, in billions, and the decimals they state it with.
CARD = {
    "llama-3.2-1b": (1.23, 2),  # Llama 3.2 model card, "1B (1.23B)" (the count truncated to 2 decimals)
    "qwen2.5-0.5b": (0.49, 2),  # Qwen2.5-0.5B card: "Number of Parameters: 0.49B"
    "tinyllama-1.1b": (1.1, 1),  # TinyLlama card: "1.1B parameters"
    "phi-3-mini-4k": (3.8, 1),  # Phi-3-mini-4k-instruct card: "a 3.8B parameters ... model"
    "gemma-2b": (2.51, 2),  # Hugging Face model page of google/gemma-2b: 2.51B params
    "openllama_3b": (3.0, 0),  # OpenLLaMA card: "3B"
}


@pytest.mark.parametrize("model", sorted(PUBLIC))
def test_parameter_count_is_the_formula_and_the_hand_count(model):
    cfg = parse_config(PUBLIC[model], "test", model)
    graph = decoder_graph(cfg, "decode", seq_len=4)
    assert graph.totals()["params"] == cfg.params == BY_HAND[model]


@pytest.mark.parametrize("model", sorted(PUBLIC))
def test_parameter_count_matches_the_model_card(model):
    figure, decimals = CARD[model]
    billions = BY_HAND[model] / 1e9
    if model == "llama-3.2-1b":  # the card truncates: 1.2358 is given as 1.23
        assert int(billions * 100) / 100 == figure
    else:
        assert round(billions, decimals) == figure


def test_non_embedding_counts_match_the_qwen_card_and_the_gemma_paper():
    qwen = parse_config(PUBLIC["qwen2.5-0.5b"], "test", "qwen")
    assert round((qwen.params - qwen.vocab * qwen.hidden) / 1e9, 2) == 0.36  # card: "(Non-Embedding): 0.36B"
    gemma = parse_config(PUBLIC["gemma-2b"], "test", "gemma")
    # Gemma report (Gemma Team, 2024), Table 2: 2B non-embedding parameters 1,981,884,416, exactly. (Its embedding
    # count, 524,550,144, is for 256,128 rows; the released config has 256,000.)
    assert gemma.params - gemma.vocab * gemma.hidden == 1_981_884_416


@pytest.mark.parametrize("model", sorted(PUBLIC))
def test_shipped_config_files_are_the_public_configs(model):
    assert read_config(CONFIGS / f"{model}.json", name=model) == parse_config(PUBLIC[model], "test", model)


# A tiny config for FLOPs by hand: hidden 8, 2 layers, 4 heads of head_dim 4 (not 8/4), 2 KV heads, FFN 12, vocab 10.
TINY = {"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 4, "intermediate_size": 12, "vocab_size": 10,
        "tie_word_embeddings": True}


def tiny_flops(S, keys):
    """Per layer: norm 6DS, q 2S*D*16, rope 16S, k and v 2S*D*8, rope 8S, QK^T and AV 2*16*keys*S each, softmax
    5*4*S*keys, o 2S*16*D, residual DS, norm 6DS, gate and up 2S*D*12, SiLU 5*12S, product 12S, down 2S*12*D,
    residual DS; then a final norm 6DS and the LM head 2S*D*10. The embedding lookup does no arithmetic."""
    D, F = 8, 12
    layer = (6 * D * S + 2 * S * D * 16 + 16 * S + 2 * 2 * S * D * 8 + 8 * S + 2 * 2 * 16 * keys * S
             + 5 * 4 * S * keys + 2 * S * 16 * D + D * S + 6 * D * S + 2 * 2 * S * D * F + 5 * F * S + F * S
             + 2 * S * F * D + D * S)
    return 2 * layer + 6 * D * S + 2 * S * D * 10


def test_tiny_prefill_and_decode_flops_by_hand():
    prefill = from_hf_config(TINY, "prefill", seq_len=3)
    decode = from_hf_config(TINY, "decode", seq_len=3, context=5)
    assert prefill.totals()["flops"] == tiny_flops(3, 3) == 11_448  # 2 x 5,412 + 144 + 480
    assert decode.totals()["flops"] == tiny_flops(1, 6) == 4_320  # 2 x 2,056 + 48 + 160
    # 2 x (128 + 64 + 64 + 128 + 288 + 16) + 80 (tied: counted once) + 8
    assert prefill.totals()["params"] == decode.totals()["params"] == 1_464


def test_grouped_query_attention_reads_each_kv_head_once():
    decode = from_hf_config(TINY, "decode", seq_len=3, context=5)
    qk = decode.layer("layer0_qk")
    assert (qk.groups, qk.X, qk.macs) == (2, 2, 4 * 4 * 6)  # 2 query heads per KV head stacked as rows
    assert qk.weight_bytes == 6 * 2 * 4 * 4  # keys x KV heads x head_dim, fp32 elements
    assert decode.layer("layer0_heads").op is Op.RESHAPE
    assert decode.layer("lm_head").tied and decode.layer("lm_head").weight_count == 80


def test_family_details_reach_the_graph():
    qwen = from_hf_config(dict(PUBLIC["qwen2.5-0.5b"], num_hidden_layers=1), "decode", seq_len=2)
    assert qwen.layer("layer0_q_proj").bias and not qwen.layer("layer0_o_proj").bias
    gemma = from_hf_config(dict(PUBLIC["gemma-2b"], num_hidden_layers=1), "prefill", seq_len=2)
    assert gemma.layer("embed_scale").op is Op.MUL and gemma.layer("layer0_gelu").function == "gelu"
    assert gemma.layer("layer0_q_proj").K == 8 * 256


def test_lora_stage_trains_only_adapters_even_with_a_tied_head():
    graph = training(from_hf_config(TINY, "lora", seq_len=4, rank=2))
    updated = {graph.layer(n).source for n in graph.nodes if graph.layer(n).pass_.value == "weight_update"}
    assert updated == {f"layer{i}_{p}_proj_lora_{m}" for i in range(2) for p in "qv" for m in "ab"}


@pytest.mark.parametrize("change,field", [
    ({"model_type": "gpt2"}, "model_type"), ({"hidden_size": 0}, "hidden_size"),
    ({"num_key_value_heads": 3}, "num_key_value_heads"), ({"hidden_act": "relu"}, "hidden_act"),
    ({"tie_word_embeddings": "yes"}, "tie_word_embeddings"),
])
def test_bad_config_fields_are_input_errors_naming_the_field(change, field):
    with pytest.raises(InputError, match=field):
        parse_config({**TINY, **change}, "cfg.json", "x")


def test_bad_file_and_stage_are_input_errors(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_config(bad)
    good = tmp_path / "tiny.json"
    good.write_text(json.dumps(TINY))
    with pytest.raises(InputError, match="stage"):
        from_hf_config(good, "train", seq_len=4)
    with pytest.raises(InputError, match="context"):
        from_hf_config(good, "lora", seq_len=4, context=2)


def test_prefill_after_cached_context_attends_to_all_keys():
    chunk = from_hf_config(TINY, "prefill", seq_len=3, context=4)
    qk = chunk.layer("layer1_qk")
    assert qk.macs == 4 * 4 * 3 * (4 + 3)  # 4 query heads x head_dim 4 x 3 new rows x 7 keys
    assert qk.weight_elements == 2 * 4 * 7  # the cached keys plus the new ones, once per KV head
    assert chunk.graph["stage"] == "prefill" and chunk.graph["new_tokens"] == 3
    default = from_hf_config(TINY)
    assert default.graph["new_tokens"] == 512 and default.layers()[0].N == 1
