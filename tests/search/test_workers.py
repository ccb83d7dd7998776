"""Killed and parallel workers: nothing finished is lost, a killed run resumes to the uninterrupted trials. PostgreSQL tests need DSE_TEST_POSTGRES (set by .ci/run)."""

import os
import signal
import subprocess
import time
import uuid

import optuna
import pytest
import yaml
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from dse.explore.config import load_config
from dse.explore.run import explore

from .toy_problem import cli_command, config_dict

POSTGRES = os.environ.get("DSE_TEST_POSTGRES")
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="DSE_TEST_POSTGRES not set (.ci/run starts a server)")


def write_config(tmp_path, **study):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(**study)))
    return path


def finished(study):
    return {t.number: t.params for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))}


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_kill_9_during_an_embedded_explore_loses_no_finished_trial_and_resumes_to_the_uninterrupted_trials(
        tmp_path, parabola):
    # 64-trial batches at 5 ms a point: one batch every ~0.3 s, 1200 trials in ~6 s.
    config = write_config(tmp_path, trials=1200, fixed={"delay": 0.005})
    out = tmp_path / "run"
    journal = out / "study.journal"
    proc = subprocess.Popen(cli_command("explore", str(config), "--out", str(out), "--no-progress"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stored():
        if not journal.exists():
            return {}
        storage = JournalStorage(JournalFileBackend(str(journal)))
        return finished(optuna.load_study(study_name="toy", storage=storage))

    assert wait_for(lambda: len(stored()) >= 128), proc.stderr.read() if proc.poll() is not None else "slow"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = stored()
    assert 0 < len(before) < 1200
    resumed = subprocess.run(cli_command("explore", str(config), "--out", str(out), "--no-progress"),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    after = stored()
    assert len(after) == 1200
    assert all(after[n] == params for n, params in before.items())
    # The same config without the kill (and without the delay, which the sampler never sees) gives the same trials.
    uninterrupted = tmp_path / "whole.yaml"
    uninterrupted.write_text(yaml.safe_dump(config_dict(trials=1200, fixed={"delay": 0.0})))
    explore(load_config(uninterrupted), tmp_path / "whole", progress=False)
    whole = optuna.load_study(study_name="toy", storage=JournalStorage(JournalFileBackend(
        str(tmp_path / "whole" / "study.journal"))))
    assert finished(whole) == after


@needs_postgres
def test_three_workers_share_one_postgres_study(tmp_path):
    name = f"toy_{uuid.uuid4().hex[:8]}"
    config = write_config(tmp_path, trials=90)
    text = config.read_text().replace("toy:", f"{name}:")
    config.write_text(text)
    procs = [subprocess.Popen(cli_command("worker", "--study", name, "--storage", POSTGRES, "--config", str(config),
                                          "--trials", "30"), stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    study = optuna.load_study(study_name=name, storage=POSTGRES)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 90
    assert len({t.number for t in complete}) == 90
    assert len(study.best_trials) > 0


@needs_postgres
def test_kill_9_of_a_postgres_worker_fails_and_retries_its_trial(tmp_path):
    name = f"toy_{uuid.uuid4().hex[:8]}"
    config = write_config(tmp_path, trials=40, fixed={"delay": 0.4})
    config.write_text(config.read_text().replace("toy:", f"{name}:"))
    args = ["worker", "--study", name, "--storage", POSTGRES, "--config", str(config), "--heartbeat-seconds", "1"]
    proc = subprocess.Popen(cli_command(*args, "--trials", "40"), stderr=subprocess.PIPE, text=True)
    storage = optuna.storages.RDBStorage(POSTGRES)

    def running_after_some_done():
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            return False
        states = [t.state for t in study.get_trials(deepcopy=False)]
        return states.count(TrialState.COMPLETE) >= 3 and TrialState.RUNNING in states

    assert wait_for(running_after_some_done, timeout=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    study = optuna.load_study(study_name=name, storage=storage)
    before = finished(study)
    killed = [t for t in study.get_trials(deepcopy=False) if t.state is TrialState.RUNNING]
    assert len(killed) == 1
    time.sleep(3.5)  # past the grace period of three heartbeats
    resume = subprocess.run(cli_command(*args, "--trials", "3"), capture_output=True, text=True, timeout=120)
    assert resume.returncode == 0, resume.stderr
    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    assert trials[killed[0].number].state is TrialState.FAIL
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == killed[0].number]
    assert len(retried) == 1 and retried[0].params == killed[0].params
    after = finished(study)
    assert all(after[n] == params for n, params in before.items())
    assert len(after) == len(before) + 3
