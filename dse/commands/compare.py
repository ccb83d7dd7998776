"""`dse compare`: one workload on several platforms: latency, energy per job, power, embodied and lifetime carbon."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from dse.commands.workload import WORKLOAD_HELP, add_model_arguments, load_args
from dse.errors import InputError
from dse.inputs import FRACTION, LIFETIME_YEARS, option

if TYPE_CHECKING:
    import pandas as pd

    from dse.cost.carbon import Profile


def add_bits_arguments(parser: argparse.ArgumentParser) -> None:
    """Precision and bit widths of the job, shared by every command that costs a workload on a platform."""
    parser.add_argument("--precision", help="override every platform's default precision (fp32, fp16, int8)")
    parser.add_argument("--weight-bits", type=int, dest="weight_bits", choices=(32, 16, 8, 4),
                        help="weight bits (4: int4 in groups of 128 with an fp16 scale and zero each)")
    parser.add_argument("--act-bits", type=int, dest="act_bits", choices=(32, 16, 8), help="activation bits")
    parser.add_argument("--kv-bits", type=int, dest="kv_bits", choices=(32, 16, 8, 4), help="KV-cache bits")


def platform_for(args: argparse.Namespace, name: str):
    """The named platform at the precision and bit widths of `args`."""
    from dse.cost.platform import load_platform

    return load_platform(name, args.training, args.precision, args.weight_bits, args.act_bits, args.kv_bits)


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with `dse carbon`: which job, how busy, how long, which grid."""
    parser.add_argument("--workload", default="alexnet", help=WORKLOAD_HELP + " (default alexnet)")
    parser.add_argument("--training", action="store_true", help="cost one training step instead of an inference")
    add_model_arguments(parser)
    add_bits_arguments(parser)
    parser.add_argument("--lifetime-years", type=option(float, LIFETIME_YEARS), default=5.0, dest="lifetime_years",
                        help="device lifetime in years (default 5)")
    parser.add_argument("--grid", default="world", help="grid of operation, an ACT/SCARIF name (default world)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("compare", help="compare platforms on one workload, with embodied and lifetime carbon")
    add_job_arguments(parser)
    parser.add_argument("--platforms", required=True,
                        help="comma-separated shipped platform names or GPU/PIM/FPGA board .yaml files")
    parser.add_argument("--activity", type=option(float, FRACTION), default=0.5,
                        help="demand as the busy fraction of the fastest listed platform, 0..1 (default 0.5)")
    parser.add_argument("--out", help="folder for the table (CSV, JSON) and plots (PNG, SVG)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    parser.set_defaults(func=_compare)


def profiles(args: argparse.Namespace, names: list[str]) -> tuple[list[Profile], list[dict], dict[str, list[str]]]:
    """Carbon profiles of the named platforms running the job of `args`; per platform its precision, bit widths
    and whether the job fits its memory (bytes needed and available); and per platform the input fields whose
    source is an `[estimate: reason]`."""
    from dse.cost.carbon import check_years, load_act, profile

    check_years(args.lifetime_years)
    act = load_act()
    workload = load_args(args)
    result, details, estimates = [], [], {}
    for name in names:
        platform = platform_for(args, name)
        result.append(profile(platform.evaluate(workload, args.training), platform, act))
        need = platform.memory(workload, args.training)
        details.append({"precision": platform.precision, "weight_bits": platform.bits.weight,
                        "act_bits": platform.bits.act, "kv_bits": platform.bits.kv, "fits": platform.fits(need),
                        "memory_needed_bytes": need.total, "memory_available_bytes": platform.memory_bytes,
                        "weight_bytes": need.weights, "kv_cache_bytes": need.kv_cache,
                        "activation_bytes": need.activations})
        estimates[platform.name] = list(platform.estimates)
    return result, details, estimates


def estimates_text(estimates: dict[str, list[str]]) -> str:
    """One line per platform naming its estimated inputs (docs/sustainability.md gives the reasons)."""
    lines = ["inputs resting on [estimate] sources (accelerators/*.yaml; docs/sustainability.md):"]
    lines += [f"  {name}: {', '.join(keys) or 'none'}" for name, keys in estimates.items()]
    return "\n".join(lines)


def table(profs: list[Profile], details: list[dict], activity: float, years: float, grid: float) -> pd.DataFrame:
    import pandas as pd

    from dse.cost.carbon import J_PER_KWH, fleet_lifetime, reference_seconds

    t_ref = reference_seconds(profs)
    rows = []
    for p, detail in zip(profs, details):
        life = fleet_lifetime(p, activity, years, t_ref, grid)
        rows.append({
            "platform": p.name, **detail, "latency_s": float(p.seconds_per_job),
            "energy_per_job_j": float(p.energy_per_job_j), "power_w": float(p.active_w), "idle_w": p.idle_w,
            "embodied_energy_kwh": p.embodied_energy_j / J_PER_KWH, "embodied_carbon_kg": p.embodied_carbon_g / 1e3,
            "units": int(life["units"]), "busy_per_unit": float(life["busy_per_unit"]),
            "lifetime_energy_kwh": float(life["energy_j"]) / J_PER_KWH,
            "lifetime_carbon_kg": float(life["carbon_g"]) / 1e3,
        })
    return pd.DataFrame(rows)


def out_dir(path: str, force: bool) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {path}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"--out {path}: folder is not empty; pass --force to write into it")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from dse.cost.carbon import check_activity, load_act
    from dse.cost.platform import platform_names
    from dse.plot.carbon import plot_breakeven, plot_lifetime

    activity = float(check_activity(args.activity))
    names = platform_names(args.platforms)
    out = out_dir(args.out, args.force) if args.out else None
    grid = load_act().grid(args.grid)
    profs, details, estimates = profiles(args, names)
    frame = table(profs, details, activity, args.lifetime_years, grid)
    info = {"workload": args.workload, "training": args.training, "activity": activity,
            "lifetime_years": args.lifetime_years, "grid": args.grid, "grid_g_per_kwh": grid,
            "platforms": json.loads(frame.to_json(orient="records", double_precision=15)), "estimates": estimates}
    if out:
        frame.to_csv(out / "compare.csv", index=False)
        (out / "compare.json").write_text(json.dumps(info, indent=2))
        job = "training step" if args.training else "inference"
        info["files"] = [str(p) for p in plot_lifetime(profs, args.lifetime_years, grid, out / "lifetime_carbon",
                                                       f"{args.workload} {job}, {args.lifetime_years:g} years")]
        if len(profs) > 1:
            info["files"] += [str(p) for p in plot_breakeven(profs[0], profs[1:], out / "breakeven")]
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        with pd.option_context("display.width", 250, "display.max_columns", None):
            print(frame.drop(columns=["weight_bytes", "kv_cache_bytes", "activation_bytes"])
                  .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        for d, p in zip(details, profs):
            if not d["fits"]:
                print(f"{p.name}: does not fit: needs {d['memory_needed_bytes'] / 1e9:.3g} GB (weights "
                      f"{d['weight_bytes'] / 1e9:.3g}, KV cache {d['kv_cache_bytes'] / 1e9:.3g}, activations "
                      f"{d['activation_bytes'] / 1e9:.3g}), has {d['memory_available_bytes'] / 1e9:.3g} GB")
        print(estimates_text(estimates))
        if out:
            print(f"wrote {out}")
    return 0
