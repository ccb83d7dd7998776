"""The simulator against schedules worked out by hand (bytes / link rate, flops / throughput)."""

import pytest

from dse.mapping.problem import compile_problem
from dse.mapping.schedule import Mapping, ScheduleError, simulate
from dse.workload.graph import Workload
from dse.workload.layer import Layer, Op

from .conftest import chain, design, fc, make_system

MS = 1e-3


@pytest.fixture
def two_fc(tmp_path):
    # a: 1000 -> 500 (weights 2 MB, input 4 kB, output 2 kB, 1 MFLOP); b: 500 -> 250 (weights 0.5 MB, out 1 kB)
    system = make_system(tmp_path, {"X": design(1e9, 10.0), "Y": design(0.5e9, 20.0)})
    return compile_problem(chain(fc("a", 1000, 500), fc("b", 500, 250)), system)


def test_split_mapping_all_through_host(two_fc):
    s = simulate(two_fc, Mapping(((0,), (1,))))
    # a on X: load 2.004 MB at 1 GB/s = 2.004 ms, compute 1 ms, store 2 kB = 0.002 ms -> 3.006 ms
    assert s.end[0] == pytest.approx(3.006 * MS)
    # b on Y: starts 3.006, load 0.502 MB = 0.502 ms, compute 0.25 MFLOP / 0.5 GFLOP/s = 0.5 ms, store 0.001 ms
    assert s.start[1] == pytest.approx(3.006 * MS)
    assert s.load_end[1] == pytest.approx(3.508 * MS)
    assert s.makespan_s == pytest.approx(4.009 * MS)
    # energy: 10 W x 3.006 ms + 20 W x 1.003 ms
    assert s.energy_j == pytest.approx(10 * 3.006e-3 + 20 * 1.003e-3)
    assert s.utilization() == pytest.approx({"X": 1.0 / 4.009, "Y": 0.5 / 4.009})


def test_pinned_weights_skip_the_host_read(two_fc):
    s = simulate(two_fc, Mapping(((0, 1), ()), pinned=frozenset({1})))
    # a as above (3.006 ms); b on X: load only its 2 kB input, compute 0.25 ms, store 1 kB
    assert s.makespan_s == pytest.approx((3.006 + 0.002 + 0.25 + 0.001) * MS)
    assert s.load_bytes[1] == 2000


def test_fusion_keeps_the_tensor_on_the_accelerator(two_fc):
    s = simulate(two_fc, Mapping(((0, 1), ()), pinned=frozenset({1}), fuse=True))
    assert s.store_bytes[0] == 0 and s.load_bytes[1] == 0
    assert s.makespan_s == pytest.approx((2.004 + 1.0 + 0.25 + 0.001) * MS)


def test_fusion_still_stores_for_a_consumer_elsewhere(tmp_path):
    # p feeds q (next on X, fused) and r (on Y): p's output must still reach host memory once, and r loads it
    system = make_system(tmp_path, {"X": design(1e9, 1.0), "Y": design(1e9, 1.0)})
    w = Workload(name="fan")
    w.add_layer(fc("p", 100, 50))
    w.add_layer(fc("q", 50, 10), ["p"])
    w.add_layer(fc("r", 50, 10), ["p"])
    prob = compile_problem(w, system)
    p, q, r = (prob.index(n) for n in "pqr")
    s = simulate(prob, Mapping(((p, q), (r,)), fuse=True))
    assert s.store_bytes[p] == 200  # 50 floats, stored once for r
    assert s.load_bytes[q] == 50 * 10 * 4  # weights only: the tensor from p is fused
    assert s.load_bytes[r] == 50 * 10 * 4 + 200
    assert s.start[r] == pytest.approx(s.end[p])


def test_fusion_needs_adjacency(tmp_path):
    # p and q on X with an unrelated layer z between them: nothing fuses, p stores, q loads
    system = make_system(tmp_path, {"X": design(1e9, 1.0)})
    w = chain(fc("p", 100, 50), fc("q", 50, 10))
    w.add_layer(fc("z", 100, 10))
    prob = compile_problem(w, system)
    p, q, z = (prob.index(n) for n in "pqz")
    s = simulate(prob, Mapping(((p, z, q),), fuse=True))
    assert s.store_bytes[p] == 200 and s.load_bytes[q] == 2000 + 200


def test_shared_host_port_contention(tmp_path):
    # two independent layers start together on X and Y, each reading 1 MB of input over its 1 GB/s link
    def run(port):
        system = make_system(tmp_path, {"X": design(1e12, 1.0), "Y": design(1e12, 1.0)},
                             host_port_bw_bytes_per_s=port)
        w = Workload(name="par")
        w.add_layer(Layer("u", Op.FC, C=250_000, K=1, bias=False))
        w.add_layer(Layer("v", Op.FC, C=250_000, K=1, bias=False))
        prob = compile_problem(w, system)
        return simulate(prob, Mapping(((0,), (1,)))), prob

    free, prob = run(None)
    weights_and_input = prob.weight_bytes[0] + prob.input_bytes[0]  # 1 MB + 1 MB
    assert free.load_end[0] == pytest.approx(weights_and_input / 1e9)
    assert free.load_end[1] == pytest.approx(weights_and_input / 1e9)
    # port = link rate: the second transfer waits for the first (FCFS): 2 ms then 4 ms
    shared, _ = run(1e9)
    assert sorted(shared.load_end) == pytest.approx([2 * MS, 4 * MS])
    # port = 1.5 GB/s: the second gets 0.5 GB/s for 2 ms (1 MB), then 1 GB/s for its last 1 MB: ends at 3 ms
    partial, _ = run(1.5e9)
    assert sorted(partial.load_end) == pytest.approx([2 * MS, 3 * MS])


def test_p2p_link_bypasses_host(tmp_path):
    system = make_system(tmp_path, {"X": design(1e9, 1.0), "Y": design(1e9, 1.0)},
                         p2p=[{"between": ["X", "Y"], "bw_bytes_per_s": 4e9}])
    prob = compile_problem(chain(fc("a", 1000, 500), fc("b", 500, 250)), system)
    s = simulate(prob, Mapping(((0,), (1,))))
    assert s.store_bytes[0] == 0 and s.p2p_bytes[0] == 2000
    assert s.load_bytes[1] == 500_000  # weights only
    # a: 2.004 ms load + 1 ms + 2 kB at 4 GB/s; b: 0.5 ms load + 0.25 ms + 0.001 ms
    assert s.makespan_s == pytest.approx((2.004 + 1 + 0.0005 + 0.5 + 0.25 + 0.001) * MS)


def test_order_against_dependencies_is_rejected(two_fc):
    with pytest.raises(ScheduleError, match="deadlock"):
        simulate(two_fc, Mapping(((1, 0), ())))


def test_non_compute_ops_ride_with_their_producer(tmp_path):
    system = make_system(tmp_path, {"X": design(1e9, 1.0, ops=("conv", "fc"))})
    w = Workload(name="res")
    w.add_layer(Layer("c1", Op.CONV, C=4, K=4, Y=8, X=8, R=3, S=3, pad_y=1, pad_x=1, bias=False))
    w.add_layer(Layer("relu", Op.ACTIVATION, C=4, K=4, Y=8, X=8, function="relu"), ["c1"])
    w.add_layer(Layer("c2", Op.CONV, C=4, K=4, Y=8, X=8, R=3, S=3, pad_y=1, pad_x=1, bias=False), ["relu"])
    w.add_layer(Layer("add", Op.ADD, C=4, K=4, Y=8, X=8), ["c2", "relu"])
    w.add_layer(fc("head", 256, 10), ["add"])
    prob = compile_problem(w, system)
    assert [l.name for l in prob.layers] == ["c1", "c2", "head"]
    assert prob.members == [["c1", "relu"], ["c2", "add"], ["head"]]
    # relu's 1 kB output travels to c2's group twice over (to c2 and to the add) but moves once
    assert prob.preds[1] == [(0, 4 * 8 * 8 * 4)]
