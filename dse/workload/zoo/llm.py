"""On-device LLM: OpenLLaMA-3B prefill, KV-cache decode and LoRA fine-tuning (papers.md section 4.3).

The model is the Hugging Face `config.json` of `openlm-research/open_llama_3b` shipped as `configs/openllama_3b.json`
(LlamaForCausalLM: 26 decoder layers, hidden 3200, 32 heads of 100, SwiGLU FFN 8640, vocabulary 32000, untied
embedding and LM head, no biases), built by `dse.workload.decoder` like any other decoder config. The other files in
`configs/` are public configs of models people run on devices; pass their path wherever a workload is named.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from dse.workload.decoder import LORA_RANK, decoder_graph
from dse.workload.hf_config import DecoderConfig, read_config

if TYPE_CHECKING:
    from dse.workload.graph import Workload

CONFIGS = Path(__file__).resolve().parent / "configs"

@cache
def openllama_config() -> DecoderConfig:
    """The shipped OpenLLaMA-3B config."""
    return read_config(CONFIGS / "openllama_3b.json", name="openllama_3b")


def openllama_3b(batch: int = 1, seq_len: int = 512) -> Workload:
    """OpenLLaMA-3B prefill of seq_len tokens (HF config: 26 layers, d 3200, 32 heads, SwiGLU 8640, vocab 32000)."""
    return decoder_graph(openllama_config(), "prefill", seq_len, batch=batch, name="openllama_3b")


def openllama_3b_decode(batch: int = 1, seq_len: int = 512) -> Workload:
    """OpenLLaMA-3B decoding one token against a KV cache of seq_len tokens (cache inputs, not graph layers)."""
    return decoder_graph(openllama_config(), "decode", seq_len, batch=batch, name="openllama_3b_decode")


def openllama_3b_lora(batch: int = 1, seq_len: int = 512, rank: int = LORA_RANK) -> Workload:
    """OpenLLaMA-3B LoRA fine-tuning step on seq_len tokens: frozen base, rank-8 adapters on q and v (papers.md 4.3).

    Only the adapters train. An attention matmul still gets the gradient of its second operand (the op `training()`
    names weight-gradient) when something upstream of that operand trains, so layer 0's QK^T is frozen (its keys come
    from frozen layers only) while its AV is not (the values carry an adapter).
    """
    return decoder_graph(openllama_config(), "lora", seq_len, batch=batch, rank=rank, name="openllama_3b_lora")


MODELS = {
    "openllama_3b": openllama_3b,
    "openllama_3b_decode": openllama_3b_decode,
    "openllama_3b_lora": openllama_3b_lora,
}
