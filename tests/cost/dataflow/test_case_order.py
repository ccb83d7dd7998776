"""The vector pass runs every row over the union of iteration cases and masks the ones a row lacks
(dse.cost.dataflow.levels.Level.cases). That is exact only if leaving out states never reorders the cases a row
has, because MAESTRO sizes buffers on the cases before the first one with MACs and keeps the last case's arithmetic
intensity. These tests check that property of MAESTRO's visiting order exhaustively on small shapes."""

from __future__ import annotations

import itertools

from dse.cost.dataflow.levels import visit_order


def _subsets_with_initial(n: int) -> list[tuple[int, ...]]:
    """The state sets a directive can have: the initial state (0) always, steady/edge states optionally."""
    return [(0, *rest) for r in range(n) for rest in itertools.combinations(range(1, n), r)]


def test_visit_order_is_a_permutation_starting_with_all_initial() -> None:
    for lengths in itertools.product([1, 2, 3], repeat=3):
        order = visit_order(list(lengths))
        assert order[0] == (0, 0, 0)
        assert sorted(order) == sorted(itertools.product(*(range(n) for n in lengths)))


def test_two_directives_by_hand() -> None:
    # counter 0 advances after case 0 and case 3; counter 1 after every case
    assert visit_order([2, 3]) == [(0, 0), (1, 1), (1, 2), (1, 0), (0, 1), (0, 2)]


def test_leaving_out_states_keeps_the_order_of_the_rest() -> None:
    checked = 0
    for k in range(1, 5):
        for lengths in itertools.product([1, 2, 3], repeat=k):
            union = visit_order(list(lengths))
            for kept in itertools.product(*(_subsets_with_initial(n) for n in lengths)):
                own = [tuple(kept[i][c] for i, c in enumerate(case)) for case in visit_order([len(s) for s in kept])]
                restricted = [case for case in union if all(c in kept[i] for i, c in enumerate(case))]
                assert own == restricted, (lengths, kept)
                checked += 1
    assert checked == 2800
