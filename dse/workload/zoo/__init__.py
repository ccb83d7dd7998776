"""The built-in model zoo: one builder per model, looked up by name.

Each module in this package declares `MODELS = {name: builder}`; they are merged here by walking the package, so a
new family of models is one new module.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING

from dse.errors import InputError
from dse.inputs import MAX_BATCH, MAX_SEQ_LEN, Range, whole
from dse.registry import collect

if TYPE_CHECKING:
    from dse.workload.graph import Workload

#: name -> builder. Builders take `batch` and, for sequence models, `seq_len` and other keyword options.
MODELS: dict[str, Callable[..., Workload]] = collect(__name__, __path__, "MODELS")
#: options every builder may take, with their largest accepted value (dse.inputs explains the limits).
LIMITS = {"batch": MAX_BATCH, "seq_len": MAX_SEQ_LEN}


def builder(name: str) -> Callable[..., Workload]:
    """The builder of model `name`; an unknown name is an InputError suggesting the closest known one."""
    found = MODELS.get(name)
    if found is None:
        close = difflib.get_close_matches(name, MODELS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"unknown model {name!r}{hint} (see `dse workload list`)")
    return found


def build(name: str, **options: object) -> Workload:
    """Build model `name`; options the builder does not take (e.g. seq_len for a CNN) are rejected by name."""
    builder_of = builder(name)
    accepted = inspect.signature(builder_of).parameters
    given = {k: v for k, v in options.items() if v is not None}
    for key, value in given.items():
        if key not in accepted:
            raise InputError(f"model {name!r} does not take option {key} (got {value!r}); it takes: {', '.join(accepted)}")
        if key in LIMITS:
            whole(value, f"model {name!r}: option {key}", Range(1, LIMITS[key]))
    return builder_of(**given)


def describe(name: str) -> str:
    """First line of the builder's docstring: what the model is and where its shapes come from."""
    return (inspect.getdoc(MODELS[name]) or "").splitlines()[0]
