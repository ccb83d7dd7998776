"""`dse explore`: run every study of a config into one run folder, then write its tables, plots and report."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml

from dse.errors import InputError
from dse.explore.config import ExploreConfig, StudySpec, load_config, parse_config
from dse.explore.problems import PROBLEMS
from dse.explore.results import (
    StudyOutcome,
    choose,
    pairwise_front,
    pareto_frame,
    trials_frame,
)
from dse.explore.runner import create_or_load, open_storage, run_study
from dse.inputs import read_yaml

DEFAULT_CONFIG = Path(__file__).with_name("default_explore.yaml")
#: `--quick` caps every study at this many trials (exact enumeration is already cheap and is left whole).
QUICK_TRIALS = 40


def default_config() -> ExploreConfig:
    """The built-in sweep, limited to the studies whose problem kinds this installation has."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["studies"] = {k: v for k, v in data["studies"].items() if v["problem"] in PROBLEMS}
    return parse_config(data, "<built-in default>")


def quick(config: ExploreConfig) -> ExploreConfig:
    studies = tuple(s if s.sampler == "exact" else replace(s, trials=min(s.trials, QUICK_TRIALS))
                    for s in config.studies)
    return replace(config, studies=studies)


def explore(config: ExploreConfig, out: Path, storage_url: str | None = None, progress: bool = True) -> list[StudyOutcome]:
    """Run (or resume) every study into `out`, then write trials.csv, pareto.csv, plots and report.html."""
    check_run_folder(config, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(config.raw, sort_keys=False))
    storage = open_storage(storage_url, out)
    studies = [run_study(spec, config.seed, storage, progress=progress) for spec in config.studies]
    return _write_outputs(config, out, studies)


def summarise(config: ExploreConfig, out: Path, storage_url: str | None = None) -> list[StudyOutcome]:
    """Tables, plots and report of the studies as stored (runs no trials)."""
    storage = open_storage(storage_url, out)
    return _write_outputs(config, out, [create_or_load(spec, config.seed, storage) for spec in config.studies])


def _write_outputs(config: ExploreConfig, out: Path, studies: list) -> list[StudyOutcome]:
    outcomes = [_summarise(spec, study, out) for spec, study in zip(config.studies, studies)]
    _write_tables(outcomes, out)
    from dse.explore.report import write_report

    write_report(outcomes, out)
    return outcomes


def load_run_config(run_dir: Path) -> ExploreConfig:
    path = run_dir / "config.yaml"
    if not path.is_file():
        raise InputError(f"{run_dir}: not a dse run folder (no config.yaml)")
    return load_config(path)


def check_run_folder(config: ExploreConfig, out: Path) -> None:
    """An --out that holds another exploration (or anything else) is refused, so nothing in it is lost."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    stored = out / "config.yaml"
    if not stored.is_file():
        if any(out.iterdir()):
            raise InputError(f"--out {out}: folder is not empty and holds no dse run; choose another --out")
        return
    previous = parse_config(read_yaml(stored), str(stored))
    if _shape(previous) != _shape(config):
        raise InputError(f"--out {out}: holds another exploration (its config.yaml differs); choose another --out "
                         "or rerun with the same config to resume")


def _shape(config: ExploreConfig) -> tuple:
    """What must match to resume: everything but the trial counts."""
    return (config.seed, tuple(replace(s, trials=0) for s in config.studies))


def _summarise(spec: StudySpec, study, out: Path) -> StudyOutcome:
    from dse.plot.pareto import plot_front

    trials = trials_frame(study, spec)
    pareto = pareto_frame(trials)
    chosen = choose(pareto, spec)
    chosen_number = int(chosen["trial"]) if chosen is not None else None
    figures: list[Path] = []
    names = [o.name for o in spec.objectives]
    for x, y in itertools.combinations(names, 2):
        front = pairwise_front(trials, spec, x, y)
        figures += plot_front(trials, front, x, y, out / f"pareto_{spec.name}_{x}_vs_{y}", chosen_number,
                              title=f"{spec.name}: {y} vs {x}")
    artifacts: dict[str, Path] = {}
    if chosen is not None:
        point = {k[len("param_"):]: v for k, v in chosen.items() if k.startswith("param_") and pd.notna(v)}
        problem = PROBLEMS[spec.problem](spec.fixed)
        artifacts = problem.artifacts({**problem.fixed, **point}, out / f"chosen_{spec.name}")
    return StudyOutcome(spec, trials, pareto, chosen, figures, artifacts)


def _write_tables(outcomes: list[StudyOutcome], out: Path) -> None:
    pd.concat([o.trials for o in outcomes], ignore_index=True).to_csv(out / "trials.csv", index=False)
    pd.concat([o.pareto for o in outcomes], ignore_index=True).to_csv(out / "pareto.csv", index=False)
    chosen = {o.spec.name: (json.loads(o.chosen.to_json()) if o.chosen is not None else None) for o in outcomes}
    (out / "chosen.json").write_text(json.dumps(chosen, indent=2))
