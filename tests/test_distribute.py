"""Data-parallel training (rnnzoo.distribute): the same weights as one device, for every task family, and clear
errors for configurations that cannot work."""

import json
import os
import subprocess
import sys

import pytest

import rnnzoo
from rnnzoo import distribute

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.slow  # about 90 s: eight families, each trained twice
def test_mirrored_training_on_two_devices_equals_one_device_for_every_task_family():
    proc = subprocess.run([sys.executable, os.path.join(HERE, "distributed_check.py")], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report.pop("replicas") == 2
    card = report.pop("card")
    assert card == {"strategy": "mirrored", "replicas": 2, "global_batch": 16, "per_replica_batch": 8}
    families = {"text_classifier", "tagger", "language_model", "seq2seq", "forecaster", "captioner", "trees", "speech"}
    assert set(report) == families
    assert all(difference <= 1e-5 for difference in report.values()), report


def test_unknown_names_and_other_backends_are_refused():
    with pytest.raises(ValueError, match="Unknown distribution 'mirror'.*mirrored, multi_worker, data_parallel"):
        distribute.plan("mirror")
    with pytest.raises(ValueError, match="needs the jax backend.*on TensorFlow use 'mirrored'"):
        distribute.plan("data_parallel")
    with pytest.raises(ValueError, match="must be one of"):
        distribute.plan(3)


def test_a_global_batch_must_split_over_the_replicas():
    two = distribute.Plan("mirrored", 2, engine=None)
    distribute.check_batch(two, 32)
    with pytest.raises(ValueError, match="global batch size 33 does not split over 2 replicas.*multiple of 2"):
        distribute.check_batch(two, 33)


@pytest.mark.parametrize("config, message", [
    (None, "TF_CONFIG environment variable, which is not set"),
    ("{not json", "TF_CONFIG is malformed"),
    ('{"cluster": {"worker": ["localhost:1"]}}', "TF_CONFIG is malformed.*task"),
    ('{"cluster": {"worker": ["localhost:1"]}, "task": {"type": "worker", "index": 3}}', "task.index 3 is not"),
    ('{"cluster": {"worker": []}, "task": {"type": "ps", "index": 0}}', "task.type must be 'worker' or 'chief'"),
])
def test_a_bad_tf_config_is_explained(config, message, monkeypatch):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", config)
    with pytest.raises(ValueError, match=message):
        distribute.plan("multi_worker")


def test_stateful_language_models_are_not_split_over_replicas():
    data = rnnzoo.datasets.TextCorpus(["to be or not to be"] * 8)
    with pytest.raises(ValueError, match="stateful=True.*distribution"):
        rnnzoo.train("char_gru_language_model", data, stateful=True, distribution="mirrored", verbose=0)
