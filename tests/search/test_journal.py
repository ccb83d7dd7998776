"""The batched journal: trials written in batches, between batches by the same storage outside a batch, and by
another storage on the same file, read back by Optuna's own JournalStorage with the numbers and values written."""

import optuna
from optuna.distributions import IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from dse.explore.journal import BatchedJournalStorage


def trial(x: int) -> optuna.trial.FrozenTrial:
    return optuna.trial.create_trial(params={"x": x}, distributions={"x": IntDistribution(0, 100)}, value=x * x)


def test_batches_and_writes_between_them_read_back_in_order(tmp_path):
    path = tmp_path / "study.journal"
    storage = BatchedJournalStorage(path)
    study = optuna.create_study(study_name="s", storage=storage)
    with storage.batch():
        study.add_trials([trial(x) for x in range(3)])
    study.set_user_attr("between", 1)  # the same storage, outside a batch
    study.add_trial(trial(3))
    with storage.batch():
        study.add_trials([trial(x) for x in range(4, 6)])
    other = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    other.add_trial(trial(6))  # another writer between batches: the next batch must see its trial
    with storage.batch():
        study.add_trials([trial(x) for x in range(7, 9)])
        assert [t.number for t in study.get_trials(deepcopy=False)] == list(range(9))  # served from the batch
    reread = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(path))))
    assert [(t.number, t.params["x"], t.value) for t in reread.trials] == [(x, x, x * x) for x in range(9)]
    assert reread.user_attrs == {"between": 1}
    assert [t._trial_id for t in study.trials] == [t._trial_id for t in reread.trials] == list(range(9))
