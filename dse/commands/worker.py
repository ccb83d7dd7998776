"""`dse worker --study NAME --storage URL`: join a shared study (many processes, many machines)."""

from __future__ import annotations

import argparse
import json

from dse.inputs import HEARTBEAT_SECONDS, MAX_TRIALS, Range, option


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("worker", help="run trials of a study shared through an RDB storage")
    parser.add_argument("--study", required=True, help="study name")
    parser.add_argument("--storage", required=True, help="RDB URL, e.g. postgresql://user@127.0.0.1/dse")
    parser.add_argument("--config", help="explore config holding the study; creates the study if absent")
    parser.add_argument("--trials", type=option(int, Range(1, MAX_TRIALS)), default=100, help="trials this worker runs")
    parser.add_argument("--heartbeat-seconds", type=option(int, HEARTBEAT_SECONDS), default=10,
                        help="heartbeat interval; a trial silent for 3 intervals is failed and retried")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    parser.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    from dse.errors import InputError
    from dse.explore.config import load_config
    from dse.explore.runner import create_or_load, open_storage, run_worker

    storage = open_storage(args.storage, heartbeat_seconds=args.heartbeat_seconds)
    if args.config:
        config = load_config(args.config)
        specs = {s.name: s for s in config.studies}
        if args.study not in specs:
            raise InputError(f"{args.config}: no study {args.study!r}; it has: {', '.join(specs)}")
        create_or_load(specs[args.study], config.seed, storage)
    finished = run_worker(args.study, storage, args.trials)
    if args.json:
        print(json.dumps({"study": args.study, "trials": finished}))
    return 0
