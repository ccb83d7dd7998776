"""On-device LLM: OpenLLaMA-3B prefill, KV-cache decode and LoRA fine-tuning (papers.md section 4.3).

Shapes follow the Hugging Face `config.json` of `openlm-research/open_llama_3b` (LlamaForCausalLM): 26 decoder
layers, hidden 3200, 32 heads of 100 (MHA), SwiGLU FFN 8640, vocabulary 32000, RMSNorm, untied embedding and LM
head, no biases anywhere. Modelling choices:

- RoPE is one element-wise MUL on q and on k (1 FLOP per element; the real rotation, q*cos + rotate(q)*sin, does 3).
- The 1/sqrt(head_dim) scale and the causal mask are folded into the softmax and cost nothing; attention is dense
  (S x S scores), as a kernel that does not skip masked blocks computes it.
- The LM head runs on every token, as the forward of a fine-tuning step (whose loss needs every logit) and the
  Hugging Face forward do; the cross-entropy itself is not a layer.
- LoRA (rank r on q and v, papers.md 4.1/4.3 placeholder r = 8) adds x @ A @ B to the projection output; the
  alpha/r scale is folded into B and adapter dropout is ignored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from dse.errors import InputError
from dse.workload.builder import Builder
from dse.workload.layer import Layer, Op

if TYPE_CHECKING:
    from dse.workload.graph import Workload

LAYERS = 26
HIDDEN = 3200
HEADS = 32
HEAD_DIM = HIDDEN // HEADS
FFN = 8640
VOCAB = 32000
LORA_RANK = 8
#: Names of the two adapter matrices after their projection's name: A (3200 -> r), then B (r -> 3200).
ADAPTER_SUFFIXES = ("_lora_a", "_lora_b")


def _embedding(b: Builder, tokens: int) -> str:
    """Token-embedding lookup (C = vocabulary, K = width, tokens on X); it reads token ids, not a layer output."""
    layer = Layer(name="embed_tokens", op=Op.EMBEDDING, N=b.batch, C=VOCAB, K=HIDDEN, X=tokens,
                  elem_bytes=b.elem_bytes)
    b.workload.add_layer(layer)
    b.last = layer.name
    return layer.name


def _projection(b: Builder, name: str, src: str, rank: int) -> str:
    """A 3200->3200 token-wise projection, plus a rank-`rank` LoRA adapter added to its output when rank > 0."""
    out = b.fc(name, HIDDEN, src=src, tokens=True)
    if not rank:
        return out
    down = b.fc(name + ADAPTER_SUFFIXES[0], rank, src=src, tokens=True)
    up = b.fc(name + ADAPTER_SUFFIXES[1], HIDDEN, src=down, tokens=True)
    return b.eltwise(f"{name}_lora_add", [out, up])


def _attention(b: Builder, p: str, q: str, k: str, v: str, cache: int | None, operands: dict[str, str]) -> str:
    """Scores, softmax and context for all heads; with a KV cache of `cache` tokens the new k/v append to it.

    `operands` collects each matmul's second operand (keys, values), which LoRA needs to decide its gradients.
    """
    tokens = b.shape(q)[2]
    if cache is None:
        keys, k_src, v_src = tokens, k, v
    else:
        keys = cache + tokens
        k_src = b.input(f"{p}k_cache", (HIDDEN, 1, cache))
        v_src = b.input(f"{p}v_cache", (HIDDEN, 1, cache))
    scores = b.matmul(f"{p}qk", q, k_src, HEADS, HEAD_DIM, keys)
    probs = b.softmax(f"{p}softmax", src=scores)
    context = b.matmul(f"{p}av", probs, v_src, HEADS, keys, HEAD_DIM)
    if cache is not None:
        b.link(k, scores, kind="cache")
        b.link(v, context, kind="cache")
    operands[scores], operands[context] = k, v
    return context


def _decoder_layer(b: Builder, i: int, x: str, cache: int | None, rank: int, operands: dict[str, str]) -> str:
    """One LlamaDecoderLayer: pre-norm attention and pre-norm SwiGLU MLP, each with a residual add."""
    p = f"layer{i}_"
    h = b.norm(f"{p}input_norm", Op.RMSNORM, src=x)
    q = b.eltwise(f"{p}q_rope", [_projection(b, f"{p}q_proj", h, rank)], Op.MUL)
    k = b.eltwise(f"{p}k_rope", [b.fc(f"{p}k_proj", HIDDEN, src=h, tokens=True)], Op.MUL)
    v = _projection(b, f"{p}v_proj", h, rank)
    context = _attention(b, p, q, k, v, cache, operands)
    o = b.fc(f"{p}o_proj", HIDDEN, src=context, tokens=True)
    x = b.eltwise(f"{p}attn_residual", [x, o])
    h = b.norm(f"{p}post_attention_norm", Op.RMSNORM, src=x)
    gate = b.act(f"{p}silu", "silu", src=b.fc(f"{p}gate_proj", FFN, src=h, tokens=True))
    up = b.fc(f"{p}up_proj", FFN, src=h, tokens=True)
    down = b.fc(f"{p}down_proj", HIDDEN, src=b.eltwise(f"{p}swiglu_mul", [gate, up], Op.MUL), tokens=True)
    return b.eltwise(f"{p}mlp_residual", [x, down])


def _llama(name: str, batch: int, tokens: int, cache: int | None = None, rank: int = 0) -> tuple[Workload, dict]:
    """The whole model on `tokens` new tokens; returns the graph and each attention matmul's second operand."""
    b = Builder(name, batch, (1, 1, tokens))
    operands: dict[str, str] = {}
    x = _embedding(b, tokens)
    for i in range(LAYERS):
        x = _decoder_layer(b, i, x, cache, rank, operands)
    b.norm("norm", Op.RMSNORM, src=x)
    b.fc("lm_head", VOCAB, tokens=True)
    workload = b.build()
    for node in workload.nodes:  # LLaMA's linear layers (and peft's adapters) carry no bias
        layer = workload.layer(node)
        if layer.op is Op.FC:
            workload.nodes[node]["layer"] = replace(layer, bias=False)
    return workload, operands


def openllama_3b(batch: int = 1, seq_len: int = 512) -> Workload:
    """OpenLLaMA-3B prefill of seq_len tokens (HF config: 26 layers, d 3200, 32 heads, SwiGLU 8640, vocab 32000)."""
    return _llama("openllama_3b", batch, seq_len)[0]


def openllama_3b_decode(batch: int = 1, seq_len: int = 512) -> Workload:
    """OpenLLaMA-3B decoding one token against a KV cache of seq_len tokens (cache inputs, not graph layers)."""
    return _llama("openllama_3b_decode", batch, 1, cache=seq_len)[0]


def openllama_3b_lora(batch: int = 1, seq_len: int = 512, rank: int = LORA_RANK) -> Workload:
    """OpenLLaMA-3B LoRA fine-tuning step on seq_len tokens: frozen base, rank-8 adapters on q and v (papers.md 4.3).

    Only the adapters train. An attention matmul still gets the gradient of its second operand (the op `training()`
    names weight-gradient) when something upstream of that operand trains, so layer 0's QK^T is frozen (its keys come
    from frozen layers only) while its AV is not (the values carry an adapter).
    """
    if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
        raise InputError(f"model 'openllama_3b_lora': option rank must be a positive integer, got {rank!r}")
    workload, operands = _llama("openllama_3b_lora", batch, seq_len, rank=rank)
    adapters = {n for n in workload.nodes if n.endswith(ADAPTER_SUFFIXES)}
    for node in workload.nodes:
        layer = workload.layer(node)
        if layer.has_weights and node not in adapters:
            workload.nodes[node]["layer"] = replace(layer, trainable=False)
    import networkx

    for matmul, operand in operands.items():
        upstream = networkx.ancestors(workload, operand) | {operand}
        if not upstream & adapters:
            workload.nodes[matmul]["layer"] = replace(workload.layer(matmul), trainable=False)
    return workload


MODELS = {
    "openllama_3b": openllama_3b,
    "openllama_3b_decode": openllama_3b_decode,
    "openllama_3b_lora": openllama_3b_lora,
}
