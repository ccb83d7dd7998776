"""The one command-line entry point, `dse`, with subcommands.

Each subcommand is one module in `dse/commands/` exposing `register(subparsers)`; they are found by listing that
package, so adding a command touches no shared file. The parser calls the function stored as `func`. Exit codes: 0 success, 2 bad input (one line on stderr), 1 anything else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings

from dse import commands
from dse.errors import InputError


def command_modules() -> list[str]:
    """Every module of `dse.commands`, sorted so `dse --help` is stable."""
    return sorted(f"{commands.__name__}.{info.name}" for info in pkgutil.iter_modules(commands.__path__))


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message to one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dse", description="Design-space exploration for edge AI hardware.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in command_modules():
        importlib.import_module(module).register(sub)
    return parser


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (an ONNX file's ops dse cannot cost, ...) as one line each on stderr, without source lines."""
    print(f"dse: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits, usage errors and --help, included)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    warnings.showwarning = _warn
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"dse: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
