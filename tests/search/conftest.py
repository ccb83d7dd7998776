import pytest

from dse.explore import problems

from .toy_problem import Parabola


@pytest.fixture
def parabola(monkeypatch):
    monkeypatch.setitem(problems.PROBLEMS, "parabola", Parabola)
    return Parabola
