"""The command line starts without the heavy libraries: `dse --help` builds every subcommand's parser and
`dse workload list` reads the zoo, and neither may load pandas, matplotlib, optuna, scipy, networkx or numpy (they
load inside the command that uses them). Speed itself is measured by benchmarks/cli_startup.py."""

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "matplotlib", "optuna", "scipy", "networkx", "numpy", "jinja2", "sqlalchemy")

PROBE = """
import contextlib, io, json, sys
from dse.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main({argv!r})
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.mark.parametrize("argv", [["--help"], ["workload", "list"], ["hls", "generate", "--help"]])
def test_start_up_loads_no_heavy_library(argv: list[str]) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == []
