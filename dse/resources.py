"""Where dse's shipped data lives. `accelerators/` and `templates/` sit at the top of a source checkout; an
installed dse carries copies inside the package (setup.py maps them to `dse.accelerators` and `dse.templates`)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _root(folder: str) -> Path:
    installed = _PACKAGE / folder
    return installed if installed.is_dir() else _PACKAGE.parent / folder


def accelerators(*parts: str) -> Path:
    """A path under the shipped `accelerators/` tree, e.g. accelerators("fpga", "zcu102.yaml")."""
    return _root("accelerators").joinpath(*parts)


def templates(*parts: str) -> Path:
    """A path under the shipped `templates/` tree, e.g. templates("hls")."""
    return _root("templates").joinpath(*parts)
