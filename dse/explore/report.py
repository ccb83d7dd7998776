"""`report.html` of a run folder: per study the setup, the chosen point, every Pareto plot and the Pareto table."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from dse.explore.results import StudyOutcome

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
         "img{max-width:520px;margin:4px}h2{border-bottom:1px solid #aaa}")


def write_report(outcomes: list[StudyOutcome], out: Path) -> Path:
    parts = [f"<html><head><meta charset='utf-8'><title>dse explore</title><style>{STYLE}</style></head><body>",
             "<h1>dse explore</h1>",
             "<p>Files: <a href='trials.csv'>trials.csv</a> (every trial), <a href='pareto.csv'>pareto.csv</a> "
             "(the Pareto set of each study), <a href='chosen.json'>chosen.json</a>, "
             "<a href='config.yaml'>config.yaml</a>.</p>"]
    for outcome in outcomes:
        parts += _study_section(outcome, out)
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path


def _study_section(o: StudyOutcome, out: Path) -> list[str]:
    spec, trials = o.spec, o.trials
    feasible = int(trials["feasible"].sum()) if len(trials) else 0
    objectives = ", ".join(f"{x.name} ({x.direction})" for x in spec.objectives)
    constraints = ", ".join(f"{c.metric} {c.op} {c.bound:g}" for c in spec.constraints) or "the model's own limits"
    parts = [f"<h2>{html.escape(spec.name)}: {html.escape(spec.problem)}</h2>",
             f"<p>Sampler {spec.sampler}; {len(trials)} trials, {feasible} feasible, {len(o.pareto)} on the Pareto "
             f"front. Objectives: {html.escape(objectives)}. Constraints: {html.escape(constraints)}. "
             f"Fixed: {html.escape(str(spec.fixed))}.</p>"]
    if o.chosen is not None:
        chosen = o.chosen.dropna().to_frame("chosen point").T
        parts += ["<h3>Chosen point (knee of the front)</h3>", chosen.to_html(index=False, float_format=_fmt)]
    for name, path in o.artifacts.items():
        rel = path.relative_to(out)
        if path.suffix == ".png":
            parts.append(f"<p>{html.escape(name)}:<br><img src='{rel}'></p>")
        elif path.suffix == ".txt":
            parts.append(f"<p>{html.escape(name)} (<a href='{rel}'>{rel}</a>):</p>"
                         f"<pre>{html.escape(path.read_text())}</pre>")
        else:
            parts.append(f"<p>{html.escape(name)}: <a href='{rel}'>{rel}</a></p>")
    parts += [f"<img src='{p.relative_to(out)}'>" for p in o.figures if p.suffix == ".png"]
    if not o.pareto.empty:
        shown = o.pareto.loc[:, [c for c in o.pareto.columns if c.startswith(("trial", "param_", "objective_"))]]
        parts += ["<h3>Pareto set</h3>", shown.head(50).to_html(index=False, float_format=_fmt)]
    infeasible = _infeasible(trials)
    if not infeasible.empty:
        parts += ["<h3>Infeasible points (kept off every front)</h3>",
                  infeasible.head(50).to_html(index=False, float_format=_fmt)]
    return parts


def _infeasible(trials: pd.DataFrame) -> pd.DataFrame:
    """Completed trials that break a constraint, with the constraints they break and the problem's own reason."""
    if trials.empty:
        return trials
    bad = trials[(trials["state"] == "COMPLETE") & ~trials["feasible"]]
    limits = [c for c in trials.columns if c.startswith("constraint_")]
    rows = []
    for _, t in bad.iterrows():
        broken = ", ".join(f"{c[len('constraint_'):]} over by {t[c]:.4g}" for c in limits if t[c] > 0)
        why = t.get("metric_why")
        rows.append({"trial": t["trial"], **{c: t[c] for c in bad.columns if c.startswith("param_")},
                     "why": why if isinstance(why, str) and why else broken})
    return pd.DataFrame(rows)


def _fmt(value: float) -> str:
    return f"{value:.4g}" if pd.notna(value) else ""
