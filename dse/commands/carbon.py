"""`dse carbon breakeven|indifference`: the two sustainability analyses of papers.md §3.3 for two platforms."""

from __future__ import annotations

import argparse
import json

from dse.commands.compare import add_job_arguments, estimates_text, profiles
from dse.inputs import FRACTION, option

BASIS_HELP = "embodied energy (J, the paper's measure) or carbon (g CO2e at --grid)"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("carbon", help="break-even and indifference analyses between two platforms")
    actions = parser.add_subparsers(dest="action", required=True)
    be = actions.add_parser("breakeven", help="years until a replacement recovers its embodied energy/carbon")
    be.add_argument("--incumbent", required=True, help="platform in service (its embodied share is sunk)")
    be.add_argument("--replacement", required=True, help="platform replacing it")
    be.add_argument("--activity", type=option(float, FRACTION), default=0.5, help="demand, busy fraction of the faster (default 0.5)")
    be.add_argument("--basis", choices=("energy", "carbon"), default="energy", help=BASIS_HELP)
    add_job_arguments(be)
    be.set_defaults(func=_breakeven)
    ind = actions.add_parser("indifference", help="activity ratios where two new platforms cost the same")
    ind.add_argument("--x", required=True, help="first platform")
    ind.add_argument("--y", required=True, help="second platform")
    ind.add_argument("--basis", choices=("energy", "carbon"), default="energy", help=BASIS_HELP)
    add_job_arguments(ind)
    ind.set_defaults(func=_indifference)


def _breakeven(args: argparse.Namespace) -> int:
    import numpy as np

    from dse.cost.carbon import breakeven_years, check_activity, load_act

    activity = float(check_activity(args.activity))
    grid = load_act().grid(args.grid)
    (inc, rep), _, estimates = profiles(args, [args.incumbent, args.replacement])
    years = breakeven_years(inc, rep, activity, args.basis, grid)
    info = {"incumbent": inc.name, "replacement": rep.name, "workload": args.workload, "training": args.training,
            "activity": activity, "basis": args.basis, "breakeven_years": years if np.isfinite(years) else None,
            "estimates": estimates}
    if args.json:
        print(json.dumps(info, indent=2))
    elif np.isfinite(years):
        print(f"{rep.name} replacing {inc.name} recovers its embodied {args.basis} in {years:.3g} years "
              f"at activity {activity:g}")
    else:
        print(f"{rep.name} never recovers its embodied {args.basis}: it draws no less than {inc.name}")
    if not args.json:
        print(estimates_text(estimates))
    return 0


def _indifference(args: argparse.Namespace) -> int:
    from dse.cost.carbon import indifference_activity, load_act

    grid = load_act().grid(args.grid)
    (x, y), _, estimates = profiles(args, [args.x, args.y])
    roots = indifference_activity(x, y, args.lifetime_years, args.basis, grid)
    info = {"x": x.name, "y": y.name, "workload": args.workload, "training": args.training, "basis": args.basis,
            "lifetime_years": args.lifetime_years, "indifference_activity": roots, "estimates": estimates}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        found = ", ".join(f"{r:.4g}" for r in roots) or "none in [0, 1]"
        print(f"{x.name} vs {y.name} over {args.lifetime_years:g} years: indifference activity ratio {found}")
        print(estimates_text(estimates))
    return 0
