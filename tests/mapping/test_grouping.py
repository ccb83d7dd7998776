"""Non-compute ops join the latest group among their producers, whatever order the graph was written in."""

from dse.hw.system import load_system
from dse.mapping.problem import compile_problem
from dse.workload import Builder


def test_an_op_written_late_still_runs_after_every_producer():
    b = Builder("late", 1, (8, 8, 8))
    a = b.conv("a", 8, 3)                    # group 0
    bb = b.conv("b", 8, 3, src="input")      # group 1
    x = b.act("x", src=a)                    # written after b, fed only by group 0
    b.concat("y", [x, bb])                   # fed by groups 0 and 1: must run in group 1
    b.conv("c", 8, 3)                        # group 2
    problem = compile_problem(b.build(), load_system("h2h"))
    group_of = {name: g for g, names in enumerate(problem.members) for name in names}
    assert group_of["x"] == group_of["a"] == 0
    assert group_of["y"] == group_of["b"] == 1
    assert [p for p, _ in problem.preds[group_of["c"]]] == [1]
