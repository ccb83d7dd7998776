"""The one exception type for bad user input.

Everything a user can get wrong (a file, a field, a value) raises `InputError`; the CLI turns it into one line on
stderr and exit code 2. Anything else is a bug and exits 1.
"""


class InputError(ValueError):
    """Bad user input: the message names the file or object, the field and the offending value.

    The message is one line whatever the input held: a name read from a user's file (an ONNX dim, a YAML key) may
    carry newlines or control characters, which are shown escaped (`\\n`, `\\x1b`)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


def one_line(text: str) -> str:
    """`text` with every non-printable character (newline, tab, escape, ...) written as its Python escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ModelError(ArithmeticError):
    """A cost model produced a non-finite or negative number: a bug, or an input range that lets a model overflow.
    It is not the user's input being wrong in a way they can read, so the CLI lets it exit 1 with its traceback."""


class Infeasible(InputError):
    """Well-formed input the design cannot serve: a layer fits no tile, no accelerator of a system runs a layer.
    A search or mapper catches only this (the point is infeasible, the layer goes elsewhere); every other
    InputError is the user's to see."""
