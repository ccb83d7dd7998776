"""Plug-in tables built by listing a package: every module that declares a dict `ATTRIBUTE` contributes to it.

The model zoo (`MODELS`) and the explore problems (`PROBLEMS`) grow this way, so adding a model family or a
problem is one new module and no edit of a shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any


def collect(package: str, path: Iterable[str], attribute: str) -> dict[str, Any]:
    """Merge `attribute` of every module in `package`, in module-name order; a name declared twice is a bug."""
    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.{info.name}")
        for name, value in getattr(module, attribute, {}).items():
            if name in found:
                raise RuntimeError(f"{attribute} entry {name!r} is declared twice (again in {module.__name__})")
            found[name] = value
    return found
