"""Decoder-only LLM graphs from a `DecoderConfig`: prefill, KV-cache decode, LoRA fine-tuning.

One graph per stage, with the layers a Hugging Face forward runs:
- embedding lookup (Gemma then multiplies by sqrt(hidden): one MUL); per decoder layer: RMSNorm, q/k/v projections
  (q: heads x head_dim outputs, k and v: kv_heads x head_dim), RoPE on q and k, attention, o projection, residual
  add, RMSNorm, gate and up projections, activation (SiLU, or GELU for Gemma), their product, down projection,
  residual add; final RMSNorm and LM head (tied to the embedding where the config says so: read, not counted).
- Phi-3's fused qkv_proj and gate_up_proj are built as separate projections: the same parameters, MACs and bytes.
- RoPE is one element-wise MUL on q and on k (1 FLOP per element; the rotation q*cos + rotate(q)*sin does 3). The
  1/sqrt(head_dim) scale and the causal mask are folded into the softmax; attention is dense over all keys, as a
  kernel that does not skip masked blocks computes it. Mistral's sliding window is not modelled (it changes
  nothing below 4096 tokens of context).
- Grouped-query attention: the query heads that share a key/value head are stacked as rows of that head's matmul
  (`Builder.matmul`), so keys and values are read once per key/value head; a reshape (a view) restores the
  heads x head_dim layout for the o projection.
- The LM head runs on every new token (a fine-tuning step's loss needs every logit; HF's forward computes them all).
- LoRA (rank r on q and v): x @ A @ B is added to the projection output; alpha/r is folded into B, dropout ignored.

Stages: `prefill` runs `seq_len` new tokens after `context` tokens already cached (default 0); `decode` runs one new
token against a cache of `context` tokens (default `seq_len`, the prompt just prefilled); `lora` is one training
forward of `seq_len` tokens with adapters, frozen base (expand it with `dse.workload.training`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dse.errors import InputError
from dse.workload.builder import Builder
from dse.workload.hf_config import DecoderConfig, read_config
from dse.workload.layer import PARAMETRIC_OPS, Layer, Op

if TYPE_CHECKING:
    from dse.workload.graph import Workload

STAGES = ("prefill", "decode", "lora")
LORA_RANK = 8
#: Names of the two adapter matrices after their projection's name: A (hidden -> r), then B (r -> projection out).
ADAPTER_SUFFIXES = ("_lora_a", "_lora_b")


class _Graph:
    """The builder, the config and the bookkeeping one graph needs (biases to set, attention operands)."""

    def __init__(self, cfg: DecoderConfig, name: str, batch: int, tokens: int, cache: int, rank: int) -> None:
        self.b = Builder(name, batch, (1, 1, tokens))
        self.cfg, self.tokens, self.cache, self.rank = cfg, tokens, cache, rank
        self.biased: set[str] = set()
        self.operands: dict[str, str] = {}  # attention matmul -> its second operand (LoRA needs their gradients)

    def linear(self, name: str, out: int, src: str, bias: bool = False) -> str:
        if bias:
            self.biased.add(name)
        return self.b.fc(name, out, src=src, tokens=True)

    def projection(self, name: str, out: int, src: str, bias: bool, adapter: bool) -> str:
        """A token-wise projection, plus a rank-r LoRA adapter added to its output when `adapter` and r > 0."""
        y = self.linear(name, out, src, bias)
        if not (adapter and self.rank):
            return y
        down = self.linear(name + ADAPTER_SUFFIXES[0], self.rank, src)
        up = self.linear(name + ADAPTER_SUFFIXES[1], out, down)
        return self.b.eltwise(f"{name}_lora_add", [y, up])

    def embedding(self) -> str:
        """Token-embedding lookup (C = vocabulary, K = width, tokens on X); it reads token ids, not a layer output."""
        b, cfg = self.b, self.cfg
        layer = Layer(name="embed_tokens", op=Op.EMBEDDING, N=b.batch, C=cfg.vocab, K=cfg.hidden, X=self.tokens,
                      elem_bytes=b.elem_bytes)
        b.workload.add_layer(layer)
        b.last = layer.name
        return b.eltwise("embed_scale", [layer.name], Op.MUL) if cfg.scale_embeddings else layer.name

    def attention(self, p: str, q: str, k: str, v: str) -> str:
        """Scores, softmax and context over every key/value head; cached keys/values are inputs, new ones append."""
        b, cfg, cache = self.b, self.cfg, self.cache
        kv = cfg.kv_heads * cfg.head_dim
        keys = cache + self.tokens
        k_src, v_src = k, v
        if cache:
            k_src = b.input(f"{p}k_cache", (kv, 1, cache))
            v_src = b.input(f"{p}v_cache", (kv, 1, cache))
        scores = b.matmul(f"{p}qk", q, k_src, cfg.kv_heads, cfg.head_dim, keys)
        probs = b.softmax(f"{p}softmax", src=scores)
        context = b.matmul(f"{p}av", probs, v_src, cfg.kv_heads, keys, cfg.head_dim)
        if cache:
            b.link(k, scores, kind="cache")
            b.link(v, context, kind="cache")
        self.operands[scores], self.operands[context] = k, v
        if cfg.kv_heads != cfg.heads:
            context = b.reshape(f"{p}heads", (cfg.heads * cfg.head_dim, 1, self.tokens), src=context)
        return context

    def decoder_layer(self, i: int, x: str) -> str:
        """Pre-norm attention and pre-norm gated MLP, each with a residual add."""
        b, cfg = self.b, self.cfg
        p = f"layer{i}_"
        q_out, kv_out = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
        h = b.norm(f"{p}input_norm", Op.RMSNORM, src=x)
        q = b.eltwise(f"{p}q_rope", [self.projection(f"{p}q_proj", q_out, h, cfg.qkv_bias, True)], Op.MUL)
        k = b.eltwise(f"{p}k_rope", [self.linear(f"{p}k_proj", kv_out, h, cfg.qkv_bias)], Op.MUL)
        v = self.projection(f"{p}v_proj", kv_out, h, cfg.qkv_bias, True)
        o = self.linear(f"{p}o_proj", cfg.hidden, self.attention(p, q, k, v), cfg.o_bias)
        x = b.eltwise(f"{p}attn_residual", [x, o])
        h = b.norm(f"{p}post_attention_norm", Op.RMSNORM, src=x)
        gate = self.linear(f"{p}gate_proj", cfg.intermediate, h, cfg.mlp_bias)
        gate = b.act(f"{p}{cfg.activation}", cfg.activation, src=gate)
        up = self.linear(f"{p}up_proj", cfg.intermediate, h, cfg.mlp_bias)
        gated = b.eltwise(f"{p}{'swiglu' if cfg.activation == 'silu' else 'geglu'}_mul", [gate, up], Op.MUL)
        down = self.linear(f"{p}down_proj", cfg.hidden, gated, cfg.mlp_bias)
        return b.eltwise(f"{p}mlp_residual", [x, down])

    def build(self) -> Workload:
        x = self.embedding()
        for i in range(self.cfg.layers):
            x = self.decoder_layer(i, x)
        self.b.norm("norm", Op.RMSNORM, src=x)
        self.linear("lm_head", self.cfg.vocab, self.b.last)
        workload = self.b.build()
        workload.graph["new_tokens"] = self.tokens  # per sequence: what a stage's tokens/s counts
        for node in workload.nodes:
            layer = workload.layer(node)
            if layer.op is Op.FC:
                tied = node == "lm_head" and self.cfg.tied
                workload.nodes[node]["layer"] = replace(layer, bias=node in self.biased, tied=tied)
        return workload


def _positive(name: str, option: str, value: object, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        kind = "a non-negative" if allow_zero else "a positive"
        raise InputError(f"model {name!r}: option {option} must be {kind} integer, got {value!r}")
    return value


def _freeze_base(workload: Workload, operands: dict[str, str]) -> Workload:
    """Only the adapters train. An attention matmul still gets the gradient of its second operand (the op
    `training()` names weight-gradient) when something upstream of that operand trains."""
    import networkx

    adapters = {n for n in workload.nodes if n.endswith(ADAPTER_SUFFIXES)}
    for node in workload.nodes:
        layer = workload.layer(node)
        if layer.op in PARAMETRIC_OPS and layer.weight_count and node not in adapters:
            workload.nodes[node]["layer"] = replace(layer, trainable=False)
    for matmul, operand in operands.items():
        upstream = networkx.ancestors(workload, operand) | {operand}
        if not upstream & adapters:
            workload.nodes[matmul]["layer"] = replace(workload.layer(matmul), trainable=False)
    return workload


def decoder_graph(cfg: DecoderConfig, stage: str = "prefill", seq_len: int = 512, context: int | None = None,
                  batch: int = 1, rank: int = LORA_RANK, name: str | None = None) -> Workload:
    """The graph of one stage (see module docstring); `name` defaults to the config's name and the stage."""
    name = name or f"{cfg.name}_{stage}"
    if stage not in STAGES:
        raise InputError(f"model {name!r}: stage {stage!r} is not one of {', '.join(STAGES)}")
    seq_len, batch = _positive(name, "seq_len", seq_len), _positive(name, "batch", batch)
    if context is not None:
        _positive(name, "context", context, allow_zero=True)
    if stage == "lora":
        if context:
            raise InputError(f"model {name!r}: option context does not apply to a lora step (got {context})")
        _positive(name, "rank", rank)
        graph = _Graph(cfg, name, batch, seq_len, 0, rank)
        workload = _freeze_base(graph.build(), graph.operands)
    elif stage == "decode":
        workload = _Graph(cfg, name, batch, 1, seq_len if context is None else context, 0).build()
    else:
        workload = _Graph(cfg, name, batch, seq_len, context or 0, 0).build()
    workload.graph["stage"] = stage
    return workload


def from_hf_config(source: str | Path | dict, stage: str | None = None, seq_len: int | None = None,
                   context: int | None = None, batch: int | None = None, rank: int = LORA_RANK,
                   name: str | None = None) -> Workload:
    """A stage graph straight from a Hugging Face config.json (a path or a parsed dict); options left None take
    their defaults (prefill, 512 tokens, batch 1), so callers pass what the user gave. A layer the config's counts
    make out of range (a hidden size of 2**40) is an InputError naming the file."""
    cfg = read_config(source)
    try:
        return decoder_graph(cfg, stage or "prefill", 512 if seq_len is None else seq_len, context,
                             1 if batch is None else batch, rank, name)
    except InputError as exc:
        if isinstance(source, dict):
            raise
        raise InputError(f"{source}: {exc}") from None
