"""Training expansion: op counts per layer, EF-Train's FLOP formula, dependencies."""

import networkx as nx
import pytest

from dse.workload import Pass, build, training
from dse.workload.layer import Op


def ef_train_formula(convs_and_fcs):
    """2*(3*sum(M*N*R*C*K^2) - M1*N1*R1*C1*K1^2), written out from EF-Train Sec. 4 with [M,N,R,C,K]."""
    total = sum(M * N * R * C * K * K for M, N, R, C, K in convs_and_fcs)
    M, N, R, C, K = convs_and_fcs[0]
    return 2 * (3 * total - M * N * R * C * K * K)


EF_1X = [(16, 3, 32, 32, 3), (16, 16, 32, 32, 3), (32, 16, 16, 16, 3), (32, 32, 16, 16, 3), (64, 32, 8, 8, 3),
         (64, 64, 8, 8, 3), (10, 1024, 1, 1, 1)]
LENET10 = [(32, 3, 32, 32, 3), (32, 32, 16, 16, 3), (64, 32, 8, 8, 3), (64, 1024, 1, 1, 1), (10, 64, 1, 1, 1)]


@pytest.mark.parametrize("name,table", [("ef_train_1x", EF_1X), ("lenet10", LENET10)])
def test_ef_train_flop_formula_exact(name, table):
    graph = training(build(name, batch=1))
    flops = sum(l.flops for l in graph.layers()
                if l.op in (Op.CONV, Op.FC) and l.pass_ is not Pass.WEIGHT_UPDATE)
    assert flops == ef_train_formula(table)


def test_lenet10_matches_the_authors_25_17_mflops():
    assert ef_train_formula(LENET10) == pytest.approx(25.17e6, abs=0.005e6)


def test_resnet50_ops_per_trainable_layer_and_flops_ratio():
    forward = build("resnet50")
    graph = training(forward)
    for layer in forward.layers():
        ops = [n for n in graph.nodes if graph.layer(n).source == layer.name or n == layer.name]
        if layer.op in (Op.CONV, Op.FC, Op.BATCHNORM):
            expected = 3 if layer.name == "conv1" else 4  # the stem conv needs no input gradient
        else:
            expected = 2  # forward + backward-data
        assert len(ops) == expected, layer.name
    ratio = graph.totals()["flops"] / forward.totals()["flops"]
    assert 2.9 < ratio < 3.1
    assert nx.is_directed_acyclic_graph(graph)


def test_backward_ops_wait_for_the_gradient_of_their_output():
    graph = training(build("vgg16"))
    # conv5_3's backward ops need the gradient from its ReLU's backward-data, which follows the pool's.
    assert nx.has_path(graph, "pool5.bd", "conv5_3.wg")
    assert nx.has_path(graph, "fc3", "fc3.bd")
    assert graph.edges["conv1_1", "conv1_1.wg"]["kind"] == "stash"
    assert "conv1_1.bd" not in graph


def test_adam_update_reads_and_writes_its_moments():
    sgd = training(build("lenet10", batch=1)).layer("fc1.wu")
    adam = training(build("lenet10", batch=1), optimizer="adam").layer("fc1.wu")
    assert adam.weight_bytes == 3 * sgd.weight_bytes
    assert adam.flops == 6 * sgd.flops


def test_a_matmuls_second_operand_gets_its_gradient_from_the_weight_gradient_op():
    from dse.workload import Builder

    b = Builder("attn", 1, (16, 1, 4))
    q = b.fc("q", 16, tokens=True)
    k = b.fc("k", 16, src="input", tokens=True)
    b.matmul("qk", q, k, heads=2, inner=8, cols=4)
    graph = training(b.build())
    assert graph.has_edge("qk.bd", "q.wg") and graph.has_edge("qk.wg", "k.wg")
    assert not graph.has_edge("qk.bd", "k.wg")
