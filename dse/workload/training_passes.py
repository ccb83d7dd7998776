"""Expand a forward graph into its on-device training graph: backward-data, weight-gradient and weight-update ops.

Rules, following EF-Train's accounting:
- A layer gets a backward-data op only when something upstream of it needs a gradient. The first layer of a CNN
  therefore has none, and under LoRA the gradient flows back only as far as the earliest adapter.
- A trainable layer with parameters gets a weight-gradient op and a weight-update op (the optimizer's state traffic
  is in the update op's bytes). A matmul of two activations gets a "weight-gradient" op for its second operand.
- Gradients flow along ``grad`` edges from each consumer's backward-data op to the producer's backward ops; the
  forward activations the backward ops need arrive on ``stash`` edges from the forward ops.
"""

from __future__ import annotations

from dse.errors import InputError
from dse.workload.graph import Workload, check_acyclic
from dse.workload.layer import OPTIMIZERS, Layer, Op, Pass

SUFFIX = {Pass.BACKWARD_DATA: ".bd", Pass.WEIGHT_GRADIENT: ".wg", Pass.WEIGHT_UPDATE: ".wu"}
#: Ops whose backward-data needs the stashed forward tensors (mask, indices, statistics), not just the gradient.
NEEDS_STASH_FOR_BD = frozenset({Op.ACTIVATION, Op.MAXPOOL, Op.BATCHNORM, Op.LAYERNORM, Op.RMSNORM, Op.SOFTMAX,
                                Op.MUL, Op.MATMUL, Op.LSTM})


def _has_trainable_weights(layer: Layer) -> bool:
    return layer.trainable and (layer.has_weights or layer.op is Op.MATMUL)


def training(workload: Workload, optimizer: str = "sgd") -> Workload:
    """A new graph holding the forward layers plus every backward op and its dependencies."""
    if optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}")
    check_acyclic(workload)
    forward = workload.layers()
    if any(l.pass_ is not Pass.FORWARD for l in forward):
        raise InputError(f"workload {workload.model_name!r} already holds training passes")
    if not any(_has_trainable_weights(l) for l in forward):
        raise InputError(f"workload {workload.model_name!r} cannot be trained: it has no trainable layer (no conv, "
                         "fc, norm or embedding with weights, no matmul of two activations)")

    # grad_out[name]: the output of this layer needs a gradient (it or something upstream trains).
    grad_out: dict[str, bool] = {}
    for layer in forward:
        upstream = any(grad_out[p] for p in workload.predecessors(layer.name))
        grad_out[layer.name] = upstream or (layer.trainable and layer.has_weights)

    out = Workload(name=workload.model_name)
    out.graph.update(workload.graph)
    out.graph["training"] = {"optimizer": optimizer}
    for layer in forward:
        out.add_node(layer.name, layer=layer)
    out.add_edges_from(workload.edges(data=True))

    for layer in reversed(forward):
        if not grad_out[layer.name]:
            continue
        name = layer.name
        consumers = [c for c in workload.successors(name) if grad_out.get(c)]
        # The gradient of this layer's output: from each consumer's backward op for the operand it feeds, or from
        # the loss when nothing consumes it.
        grad_sources = [s for s in (_gradient_op(workload, c, name) for c in consumers) if s in out]
        grad_bytes = layer.output_bytes

        def add(pass_: Pass, **changes: object) -> str:
            op_name = name + SUFFIX[pass_]
            out.add_node(op_name, layer=layer.with_pass(pass_, op_name, **changes))
            for src in grad_sources or [name]:
                out.add_edge(src, op_name, bytes=grad_bytes, kind="grad")
            return op_name

        needs_input_grad = any(grad_out[p] for p in workload.predecessors(name))
        if needs_input_grad:
            bd = add(Pass.BACKWARD_DATA)
            if layer.op in NEEDS_STASH_FOR_BD:
                out.add_edge(name, bd, bytes=layer.input_bytes, kind="stash")
        if _has_trainable_weights(layer):
            wg = add(Pass.WEIGHT_GRADIENT)
            out.add_edge(name, wg, bytes=layer.input_bytes, kind="stash")
            if layer.has_weights:
                wu_name = name + SUFFIX[Pass.WEIGHT_UPDATE]
                out.add_node(wu_name, layer=layer.with_pass(Pass.WEIGHT_UPDATE, wu_name, optimizer=optimizer))
                out.add_edge(wg, wu_name, bytes=layer.params * layer.elem_bytes, kind="grad")
    return out


def _gradient_op(workload: Workload, consumer: str, producer: str) -> str:
    """The op that computes d(loss)/d(producer's output) inside `consumer`: backward-data for the first operand;
    for a matmul's second operand (its first predecessor is the first operand), the weight-gradient op."""
    second_operand = workload.layer(consumer).op is Op.MATMUL and next(iter(workload.predecessors(consumer))) != producer
    return consumer + SUFFIX[Pass.WEIGHT_GRADIENT if second_operand else Pass.BACKWARD_DATA]

