"""The import contracts in pyproject.toml hold: a cost model that imports a search, a workload that imports a cost
model or a cycle between packages fails here, with import-linter's report of the offending import chain."""

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_import_contracts_hold(capsys) -> None:
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report
