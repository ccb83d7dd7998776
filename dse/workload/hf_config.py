"""A decoder-only LLM described by its Hugging Face `config.json`, read into a validated `DecoderConfig`.

Families: Llama, Mistral, Qwen2, Phi-3 and Gemma (`model_type` llama, mistral, qwen2, phi3, gemma). Everything that
sets a count of parameters or operations is read: hidden size, layers, attention heads, key/value heads (grouped-
query attention), head dim, intermediate (FFN) size, vocabulary, tied embeddings, biases, the MLP activation.
What differs between the families only in arrangement, not in counts, is left to the graph builder's docstring.
RoPE parameters, dropout, token ids and dtypes change no count and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dse.errors import InputError
from dse.inputs import Range, read_json, whole
from dse.workload.layer import MAX_DIM

#: model_type -> (tied embeddings when the file does not say, q/k/v projections carry a bias, embeddings are
#: multiplied by sqrt(hidden)). Defaults are the transformers config classes' own defaults; Qwen2's attention
#: always has q/k/v biases (Qwen2Attention); Gemma scales its embeddings (GemmaModel's normalizer).
FAMILIES = {
    "llama": (False, False, False),
    "mistral": (False, False, False),
    "qwen2": (False, True, False),
    "phi3": (False, False, False),
    "gemma": (True, False, True),
}
#: Most decoder layers a config may have: about twice the deepest published decoder (Llama 3.1 405B, 126 layers).
#: The graph grows by a dozen nodes per layer (a LoRA training graph of 1024 layers takes ~35 s to price), so a
#: config of 10**30 layers would build for ever instead of failing.
MAX_LAYERS = 256
#: hidden_act values -> Layer activation function names.
ACTIVATIONS = {"silu": "silu", "swish": "silu", "gelu": "gelu", "gelu_pytorch_tanh": "gelu", "gelu_new": "gelu"}


@dataclass(frozen=True)
class DecoderConfig:
    """The counts of one decoder-only transformer; `name` names its graphs."""

    name: str
    family: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    activation: str
    scale_embeddings: bool

    @property
    def params(self) -> int:
        """Parameter count from the architecture's formula: per layer q, k, v, o, gate, up, down and two RMSNorm
        weight vectors; embedding (and an untied LM head); final norm."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        attention = self.hidden * q + 2 * self.hidden * kv + q * self.hidden
        attention += (q + 2 * kv) * self.qkv_bias + self.hidden * self.o_bias
        mlp = 3 * self.hidden * self.intermediate + (2 * self.intermediate + self.hidden) * self.mlp_bias
        embeddings = self.vocab * self.hidden * (1 if self.tied else 2)
        return self.layers * (attention + mlp + 2 * self.hidden) + embeddings + self.hidden


def _count(where: str, data: dict, key: str, default: Any = None, within: Range = Range(1, MAX_DIM)) -> int:
    """A count field: a whole number (a float such as 2.0 is not, as in JSON configs) in the layer-dimension range."""
    value = data.get(key, default)
    if isinstance(value, float):
        raise InputError(f"{where}: field {key} must be an integer in {within}, got {value!r}")
    return whole(value, f"{where}: field {key}", within)


def _flag(where: str, data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{where}: field {key} must be true or false, got {value!r}")
    return value


def parse_config(data: Any, where: str, name: str) -> DecoderConfig:
    """A `DecoderConfig` from the parsed JSON of a config.json; `where` names the file in error messages."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a Hugging Face config must be a JSON object, got {type(data).__name__}")
    family = data.get("model_type")
    if not isinstance(family, str) or family not in FAMILIES:
        raise InputError(f"{where}: field model_type {family!r} is not a supported decoder family; "
                         f"supported: {', '.join(FAMILIES)}")
    tied_default, qkv_bias, scale = FAMILIES[family]
    hidden = _count(where, data, "hidden_size")
    heads = _count(where, data, "num_attention_heads")
    kv_heads = _count(where, data, "num_key_value_heads", heads)
    if heads % kv_heads:
        raise InputError(f"{where}: field num_key_value_heads {kv_heads} must divide num_attention_heads {heads}")
    if data.get("head_dim") is None and hidden % heads:
        raise InputError(f"{where}: field hidden_size {hidden} is not a multiple of num_attention_heads {heads} "
                         f"and no head_dim is given")
    head_dim = _count(where, data, "head_dim", hidden // heads)
    act = data.get("hidden_activation") or data.get("hidden_act", "silu")
    if not isinstance(act, str) or act not in ACTIVATIONS:
        raise InputError(f"{where}: field hidden_act {act!r} is not supported; supported: {', '.join(ACTIVATIONS)}")
    attention_bias = _flag(where, data, "attention_bias", False)
    return DecoderConfig(
        name=name, family=family, hidden=hidden, layers=_count(where, data, "num_hidden_layers", within=Range(1, MAX_LAYERS)), heads=heads,
        kv_heads=kv_heads, head_dim=head_dim, intermediate=_count(where, data, "intermediate_size"),
        vocab=_count(where, data, "vocab_size"), tied=_flag(where, data, "tie_word_embeddings", tied_default),
        qkv_bias=qkv_bias or attention_bias, o_bias=attention_bias, mlp_bias=_flag(where, data, "mlp_bias", False),
        activation=ACTIVATIONS[act], scale_embeddings=scale,
    )


def read_config(source: str | Path | dict, name: str | None = None) -> DecoderConfig:
    """A config.json by path, or an already parsed dict; the graph name defaults to the file's stem."""
    if isinstance(source, dict):
        return parse_config(source, "config", name or "decoder")
    path = Path(source)
    data = read_json(path, "Hugging Face config")
    stem = path.stem if path.stem != "config" else path.parent.name or "decoder"
    return parse_config(data, str(path), name or stem)
