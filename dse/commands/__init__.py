"""Subcommands of `dse`, one module each, each exposing `register(subparsers)`; found by `dse.cli`."""
