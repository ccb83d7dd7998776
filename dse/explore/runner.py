"""Run one study: sample in memory, evaluate a batch with the vectorized cost model, persist the batch.

Analytical trials take microseconds while a storage write takes milliseconds, so `run_study` keeps storage off the
hot path: an in-memory Optuna study samples and learns, the problem evaluates a whole batch with numpy, and the
finished batch is appended to the persistent storage in one go. A batch is the unit of durability: a process
killed mid-batch loses that batch's unfinished work and nothing that was persisted; rerunning resumes from the
stored trials. With TPE and random sampling, batch k always covers trials [64k, 64k + 64) and samples with a seed
derived from (seed, k), from the trials before it; NSGA-II runs a generation per batch (`dse.explore.generations`,
pymoo's vectorised NSGA-II), replaying the stored generations on resume. Either way a killed and resumed run gives
the same trials as an uninterrupted one. `run_worker` is the
shared-storage mode: one trial at a time on an RDB storage with heartbeats, so many processes on many machines
cooperate and a killed worker's trial is failed and retried; each worker's sampler is seeded from the OS's entropy.
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any

import moocore
import numpy as np
import optuna
import sqlalchemy.exc
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState
from tqdm import tqdm

from dse.errors import InputError, ModelError
from dse.explore.config import StudySpec
from dse.explore.generations import Generations, total_violation
from dse.explore.journal import BatchedJournalStorage
from dse.explore.problems import PROBLEMS, Problem

optuna.logging.set_verbosity(optuna.logging.WARNING)

BATCH = 64
USER_ATTR_SPEC = "dse_spec"


# ---- storage ------------------------------------------------------------------------------------------------
def open_storage(url: str | None, run_dir: Path | None = None,
                 heartbeat_seconds: int | None = None) -> optuna.storages.BaseStorage:
    """A journal file in the run folder by default (measured ~15x faster to append than SQLite, see
    benchmarks/explore_speed.py); `sqlite:///...` or `postgresql://...` for an RDB storage. With a heartbeat, a
    trial whose worker stops beating for three intervals is marked failed and re-queued (up to 3 times)."""
    if url is None:
        if run_dir is None:
            raise InputError("no storage: give --storage URL or --out DIR")
        run_dir.mkdir(parents=True, exist_ok=True)
        return BatchedJournalStorage(run_dir / "study.journal")
    if not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg2://", "mysql://")):
        raise InputError(f"storage URL {url!r}: expected sqlite:///FILE or postgresql://USER@HOST/DB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats are "experimental"
        kwargs: dict[str, Any] = {}
        if heartbeat_seconds:
            kwargs = dict(heartbeat_interval=heartbeat_seconds, grace_period=3 * heartbeat_seconds,
                          heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3))
        for attempt in range(5):
            try:
                return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True}, **kwargs)
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                time.sleep(0.2 * (attempt + 1))  # workers starting together race to create the schema
            except Exception as exc:  # OperationalError (unreachable), a missing driver, a malformed URL...
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise InputError(f"storage {_redact(url)!r} is unreachable: {reason}") from None
    raise InputError(f"storage {_redact(url)!r}: could not create its tables (another process kept racing)")


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches an error message."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':', 1)[0]}:***@{tail}"


# ---- samplers -----------------------------------------------------------------------------------------------
class FixedSpaceNSGAII(optuna.samplers.NSGAIISampler):
    """NSGA-II for studies whose every trial draws from the spec's one sweep: the relative search space is that
    sweep, instead of being re-derived from all past trials (and deep-copied) on every ask, which took a third of
    Optuna's time per trial (benchmarks/explore_speed.py). Single-value distributions are left to
    `sample_independent`, as NSGAIISampler does."""

    def __init__(self, sweep: dict[str, BaseDistribution], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._space = {name: dist for name, dist in sweep.items() if not dist.single()}

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return dict(self._space)


def population_size(spec: StudySpec) -> int:
    """NSGA-II's population: a fifth of the trials, so a small study still evolves over generations, at most 50."""
    return min(50, max(4, spec.trials // 5))


def make_sampler(spec: StudySpec, seed: int | None) -> optuna.samplers.BaseSampler:
    """The Optuna sampler of a study run one trial at a time (workers, and the batched runner's TPE and random)."""
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if spec.sampler == "nsga2":
        return FixedSpaceNSGAII(spec.sweep, seed=seed, population_size=population_size(spec))
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.sampler == "grid":
        return optuna.samplers.GridSampler(grid_points(spec), seed=seed)
    # "exact": the batched mode enumerates the grid itself; workers sharing a study split it with BruteForce.
    return optuna.samplers.BruteForceSampler(seed=seed)


def grid_points(spec: StudySpec) -> dict[str, list]:
    """Every value of every swept parameter; only discrete spaces can be enumerated."""
    points = {}
    for name, dist in spec.sweep.items():
        if isinstance(dist, CategoricalDistribution):
            points[name] = list(dist.choices)
        elif isinstance(dist, IntDistribution) and not dist.log:
            points[name] = list(range(dist.low, dist.high + 1, dist.step))
        else:
            raise InputError(f"study {spec.name}: sweep.{name} is continuous; samplers grid and exact need "
                             "lists or integer ranges")
    return points


# ---- evaluation ---------------------------------------------------------------------------------------------
def study_directions(spec: StudySpec) -> list[str]:
    return [o.direction for o in spec.objectives]


def evaluate_points(problem: Problem, spec: StudySpec, params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objective values, constraint values and all metrics for each point, ready to become trials. Every metric
    is finite and non-negative (the `violation_*` columns finite), else a ModelError names the problem and point."""
    frame = problem.evaluate([{**problem.fixed, **p} for p in params])
    names = list(frame.columns)
    # column by column: Series.tolist gives the Python numbers to_dict(orient="records") gives, ~8x faster
    rows = zip(*(frame[name].tolist() for name in names))
    results = []
    for point, row in zip(params, rows):
        metrics = {k: _plain(v) for k, v in zip(names, row)}
        _check_row(spec, point, metrics)
        constraints = {k[len("violation_"):]: float(v) for k, v in metrics.items() if k.startswith("violation_")}
        for c in spec.constraints:
            constraints[f"{c.metric}{c.op}{c.bound:g}"] = c.violation(float(metrics[c.metric]))
        values = [float(metrics[o.name]) for o in spec.objectives]
        results.append({"values": values, "constraints": constraints, "metrics": metrics})
    return results


def _check_row(spec: StudySpec, point: dict[str, Any], metrics: dict[str, Any]) -> None:
    for key, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value) or (value < 0 and not key.startswith("violation_")):
                raise ModelError(f"problem {spec.problem} (study {spec.name}): metric {key} = {value!r} at {point} "
                                 "(every trial's metrics must be finite and non-negative)")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _frozen(params: dict, dists: dict[str, BaseDistribution], result: dict,
            system_attrs: dict[str, Any] | None = None) -> FrozenTrial:
    """The trial as stored; `system_attrs` are the sampler's own (as the in-memory study holds them), so a resumed
    run's sampler sees exactly what the uninterrupted run's did. Built with FrozenTrial's public constructor as
    `optuna.trial.create_trial` builds it (started and completed now), less create_trial's per-parameter upgrade of
    deprecated distribution classes (a config only makes current ones) and its validation, which `Study.add_trials`
    repeats anyway: together they were a fifth of a trial's time after the model's warm-up."""
    now = datetime.datetime.now()
    return FrozenTrial(
        number=-1, trial_id=-1, state=TrialState.COMPLETE, value=None, values=result["values"],
        datetime_start=now, datetime_complete=now, params=params, distributions=dict(dists),
        user_attrs={k: v for k, v in result["metrics"].items() if _json_safe(v)},
        system_attrs={**(system_attrs or {}), **{f"constraints:{k}": v for k, v in result["constraints"].items()}},
        intermediate_values={},
    )


def _json_safe(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float)):  # every metric but a rare list or record
        return True
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


def persist(study: optuna.Study, trials: list[FrozenTrial], storage: optuna.storages.BaseStorage) -> None:
    """Append a batch of finished trials to the persistent study, as one journal write where the storage can."""
    with storage.batch() if isinstance(storage, BatchedJournalStorage) else nullcontext():
        study.add_trials(trials)


# ---- the embedded, batched mode -----------------------------------------------------------------------------
def create_or_load(spec: StudySpec, seed: int, storage: optuna.storages.BaseStorage) -> optuna.Study:
    """The persistent study, created with the spec stored beside it, or loaded if it exists with the same spec."""
    record = _spec_record(spec, seed)
    study = optuna.create_study(study_name=spec.name, storage=storage, directions=study_directions(spec),
                                load_if_exists=True)
    stored = study.user_attrs.get(USER_ATTR_SPEC)
    if stored is None:
        study.set_user_attr(USER_ATTR_SPEC, record)
    elif _without_trials(stored) != _without_trials(record):  # asking for more trials resumes the same study
        raise InputError(f"study {spec.name!r} in this storage was made from a different configuration; "
                         "use another --out (or storage) or the same config")
    return study


def _without_trials(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "trials"}


def _spec_record(spec: StudySpec, seed: int) -> dict:
    record = asdict(spec)
    record["sweep"] = {k: optuna.distributions.distribution_to_json(v) for k, v in spec.sweep.items()}
    record["seed"] = seed
    return json.loads(json.dumps(record))


def run_study(spec: StudySpec, seed: int, storage: optuna.storages.BaseStorage, progress: bool = True,
              on_batch: Callable[[int], None] | None = None) -> optuna.Study:
    """Run `spec` until its study holds `spec.trials` finished trials; resumes whatever the storage already has."""
    study = create_or_load(spec, seed, storage)
    problem = PROBLEMS[spec.problem](spec.fixed)
    done = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    target = spec.trials
    if spec.sampler == "exact":
        target = min(target, math.prod(len(v) for v in grid_points(spec).values()))
    bar = Progress(spec, done, target, progress, on_batch)
    if spec.sampler == "exact":
        _run_exact(spec, problem, study, storage, len(done), bar)
    elif spec.sampler == "nsga2":
        _run_generations(spec, seed, problem, study, storage, done, bar)
    else:
        _run_sampled(spec, seed, problem, study, storage, done, bar)
    bar.close()
    return study


def _run_exact(spec: StudySpec, problem: Problem, study: optuna.Study, storage: optuna.storages.BaseStorage,
               start: int, bar: Progress) -> None:
    grid = grid_points(spec)
    names = list(grid)
    points = [dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
    points = points[start:spec.trials]
    for i in range(0, len(points), BATCH * 16):
        chunk = points[i:i + BATCH * 16]
        results = evaluate_points(problem, spec, chunk)
        trials = [_frozen(p, spec.sweep, r) for p, r in zip(chunk, results)]
        persist(study, trials, storage)
        bar.advance(trials)


def batch_seed(seed: int, batch: int) -> int:
    """The sampler seed of batch `batch` of a study seeded `seed` (32 bits, as numpy's samplers take)."""
    return int(np.random.SeedSequence([seed, batch]).generate_state(1)[0])


def _run_sampled(spec: StudySpec, seed: int, problem: Problem, study: optuna.Study,
                 storage: optuna.storages.BaseStorage, done: list[FrozenTrial],
                 bar: Progress) -> None:
    """Batch k samples trials [64k, 64k + 64) from the trials before it with the seed of (seed, k). A resumed run
    restarts at the batch it was killed in (re-asking its stored points, which come out the same) and stores only
    the trials it lacks."""
    if len(done) >= spec.trials:
        return
    batch, stored = len(done) // BATCH, len(done)
    memory = optuna.create_study(directions=study_directions(spec))
    memory.add_trials(done[:batch * BATCH])
    while batch * BATCH < spec.trials:
        size = min(BATCH, spec.trials - batch * BATCH)
        memory.sampler = make_sampler(spec, batch_seed(seed, batch))
        asked = [memory.ask(spec.sweep) for _ in range(size)]
        results = evaluate_points(problem, spec, [t.params for t in asked])
        for trial, result in zip(asked, results):
            for key, value in result["constraints"].items():
                trial.set_constraint(key, value)
            memory.tell(trial, result["values"])
        fresh = memory.get_trials(deepcopy=False)[stored:]
        trials = [_frozen(t.params, spec.sweep, r, t.system_attrs)
                  for t, r in zip(fresh, results[len(results) - len(fresh):])]
        persist(study, trials, storage)
        bar.advance(trials)
        stored += len(fresh)
        batch += 1


def _run_generations(spec: StudySpec, seed: int, problem: Problem, study: optuna.Study,
                     storage: optuna.storages.BaseStorage, done: list[FrozenTrial],
                     bar: Progress) -> None:
    """NSGA-II a generation per batch (`dse.explore.generations`): ask a generation, evaluate it in one call, store
    it, tell it. A resumed run replays the stored generations without evaluating them; a generation cut by a kill
    is re-asked (its stored points come out the same) and only its missing trials are evaluated."""
    nsga = Generations(spec.sweep, study_directions(spec), seed, population_size(spec))
    position = 0
    while position < spec.trials:
        asked = nsga.ask()[:spec.trials - position]
        if not asked:  # a small sweep used up: NSGA-II proposes no design twice
            bar.write(f"study {spec.name!r}: NSGA-II found no design it has not proposed after {position} trials; "
                      "stopping early")
            return
        stored = done[position:position + len(asked)]
        fresh = asked[len(stored):]
        results = evaluate_points(problem, spec, fresh) if fresh else []
        if fresh:
            trials = [_frozen(p, spec.sweep, r) for p, r in zip(fresh, results)]
            persist(study, trials, storage)
            bar.advance(trials)
        nsga.tell([t.params for t in stored] + fresh,
                  [t.values for t in stored] + [r["values"] for r in results],
                  [total_violation(t.constraints) for t in stored]
                  + [total_violation(r["constraints"]) for r in results])
        position += len(asked)


class RunningFront:
    """The feasible non-dominated objective values so far, for the progress bar: kept batch by batch with moocore,
    since Optuna's `best_trials` rescans every trial and, called after each batch, made a 10,000-trial run ~10x
    slower than the same run without the bar."""

    def __init__(self, spec: StudySpec, trials: list[FrozenTrial]) -> None:
        self._objectives = spec.objectives
        self._maximise = [o.direction == "maximize" for o in spec.objectives]
        self.values = np.empty((0, len(spec.objectives)))
        self.add(trials)

    def add(self, trials: list[FrozenTrial]) -> None:
        rows = [t.values for t in trials
                if t.values is not None and all(v <= 0 for v in t.constraints.values())]
        if rows:
            merged = np.vstack([self.values, np.asarray(rows, dtype=float)])
            self.values = merged[moocore.is_nondominated(merged, maximise=self._maximise, keep_weakly=True)]

    def summary(self) -> str:
        if not len(self.values):
            return "no feasible trial yet"
        best = [(self.values[:, i].max() if up else self.values[:, i].min()) for i, up in enumerate(self._maximise)]
        return f"pareto={len(self.values)} " + " ".join(f"{o.name}={b:.4g}" for o, b in zip(self._objectives, best))


class Progress:
    """The tqdm bar of a study, its postfix the running front; `on_batch` is called with each stored batch's size.
    tqdm's monitor thread is off: the bar moves once per batch and needs none, and a process with no other thread
    may fork (dse.search.codesign.fork_workers)."""

    def __init__(self, spec: StudySpec, done: list[FrozenTrial], total: int, enabled: bool,
                 on_batch: Callable[[int], None] | None) -> None:
        tqdm.monitor_interval = 0
        self._bar = tqdm(total=total, initial=min(len(done), total), desc=spec.name, unit="trial",
                         disable=not enabled, dynamic_ncols=True, leave=True)
        self._front = RunningFront(spec, done if enabled else [])
        self._on_batch = on_batch

    def advance(self, trials: list[FrozenTrial]) -> None:
        self._bar.update(len(trials))
        if not self._bar.disable:
            self._front.add(trials)
            self._bar.set_postfix_str(self._front.summary(), refresh=False)
        if self._on_batch:
            self._on_batch(len(trials))

    def write(self, message: str) -> None:
        self._bar.write(message)

    def close(self) -> None:
        self._bar.close()


# ---- the shared-storage worker mode -------------------------------------------------------------------------
def run_worker(study_name: str, storage: optuna.storages.BaseStorage, trials: int, progress: bool = False) -> int:
    """Join `study_name` and run `trials` more trials one at a time; returns how many this worker finished."""
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise InputError(f"no study {study_name!r} in this storage; create it with `dse worker --config FILE` "
                         "or `dse explore --storage URL`") from None
    record = study.user_attrs.get(USER_ATTR_SPEC)
    if record is None:
        raise InputError(f"study {study_name!r} was not made by dse (it has no stored configuration)")
    spec = spec_from_record(record)
    problem = PROBLEMS[spec.problem](spec.fixed)
    study.sampler = make_sampler(spec, None)  # seeded from the OS's entropy: no two workers share a seed

    def objective(trial: optuna.Trial) -> list[float]:
        params = {name: suggest(trial, name, dist) for name, dist in spec.sweep.items()}
        (result,) = evaluate_points(problem, spec, [params])
        for key, value in result["constraints"].items():
            trial.set_constraint(key, value)
        for key, value in result["metrics"].items():
            if _json_safe(value):
                trial.set_user_attr(key, value)
        return result["values"]

    study.optimize(objective, n_trials=trials, show_progress_bar=progress)
    return trials


def suggest(trial: optuna.Trial, name: str, dist: BaseDistribution) -> Any:
    """Ask a live trial for a parameter of a stored distribution through Optuna's public API."""
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)


def spec_from_record(record: dict) -> StudySpec:
    from dse.explore.config import Constraint, Objective

    return StudySpec(
        name=record["name"], problem=record["problem"], sampler=record["sampler"], trials=record["trials"],
        fixed=record["fixed"],
        sweep={k: optuna.distributions.json_to_distribution(v) for k, v in record["sweep"].items()},
        objectives=tuple(Objective(**o) for o in record["objectives"]),
        constraints=tuple(Constraint(**c) for c in record["constraints"]),
    )
