"""The shared checks every registered model passes; a new model needs no new test code."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.task import TASKS
from rnnzoo.saving import compile_model

BATCH, LENGTH = 6, 12


def run_on_backend(code, backend="torch", timeout=900, **env):
    """Runs `code` in a fresh Python on another Keras backend (tests/ on the path, `env` added to the
    environment) and returns the JSON object it printed after "RESULTS", checked to come from that backend."""
    pytest.importorskip(backend)
    env = {**os.environ, **env, "KERAS_BACKEND": backend, "PYTHONPATH": os.path.dirname(__file__)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULTS")]
    assert line, proc.stderr[-3000:]
    data = json.loads(line[0][len("RESULTS"):])
    assert data["backend"] == backend
    return data


def tiny(name):
    """Builds `name` with its tiny test settings; returns (model, spec, task, (x, y))."""
    spec = rnnzoo.get_spec(name)
    task = TASKS[spec.task]
    config = {**spec.defaults, **spec.tiny}
    model = rnnzoo.build(name, **spec.tiny)
    return model, spec, task, task.example_batch(config, BATCH, LENGTH, seed=1)


def _columns(x):
    """A model's inputs as a tuple (seq2seq models take source and target ids)."""
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def has_time_axis(model):
    """For each model input, whether its axis 1 is a free-length time axis (not an image's fixed height)."""
    return [t.shape[1] is None for t in model.inputs]


def expected_shape(model, task, x):
    classes = model.output_shape[-1]
    x = _columns(x)[-1]  # sequence outputs follow the last input (the target of a seq2seq model)
    return (x.shape[0], x.shape[1], classes) if task.sequence_output else (x.shape[0], classes)


def check_config_round_trip(model, x):
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    from_json = keras.models.model_from_json(json.dumps(json.loads(model.to_json())))
    assert [w.shape for w in from_json.weights] == [w.shape for w in model.weights]


def check_train_step_changes_every_weight(model, x, y):
    compile_model(model, learning_rate=1e-2)
    before = [np.array(w) for w in model.trainable_weights]
    loss = model.train_on_batch(x, y)
    loss = loss[0] if isinstance(loss, (list, tuple)) else loss
    assert np.isfinite(loss), f"loss is {loss}"
    unchanged = [w.path for w, b in zip(model.trainable_weights, before) if np.array_equal(np.array(w), b)]
    assert not unchanged, f"weights not updated by a training step: {unchanged}"


def check_save_load(model, x, path):
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def check_padding_invariance(model, task, x):
    """Right-padding with extra zeros leaves the outputs at real positions unchanged (masking works).

    Real-valued series (dense inputs) are fixed-length windows, never padded: nothing to check."""
    if _columns(x)[0].dtype.kind == "f":
        return
    padded = tuple(np.concatenate([c, np.zeros((c.shape[0], 7) + c.shape[2:], c.dtype)], axis=1) if time else c
                   for c, time in zip(_columns(x), has_time_axis(model)))
    a, b = model.predict(x, verbose=0), model.predict(padded if len(padded) > 1 else padded[0], verbose=0)
    if task.sequence_output:
        last = _columns(x)[-1]
        valid = last > 0
        np.testing.assert_allclose(a[valid], b[:, : last.shape[1]][valid], atol=1e-5)
    else:
        np.testing.assert_allclose(a, b, atol=1e-5)


def check_variable_length(model, task, x):
    """Shorter sequences and a tf.data pipeline work with the same model."""
    from rnnzoo.text import make_dataset

    columns = _columns(x)
    short = tuple(c[:, :5] if time else c for c, time in zip(columns, has_time_axis(model)))
    short = short if len(short) > 1 else short[0]
    assert model.predict(short, verbose=0).shape == expected_shape(model, task, short)
    if columns[0].dtype.kind == "f" or any(c.ndim > 2 for c in columns):
        return  # real-valued windows and trees (children are (nodes, 2)) are not id sequences to re-pad
    seqs = tuple([row[row > 0] for row in c] for c in columns)
    out = model.predict(make_dataset(seqs if len(seqs) > 1 else seqs[0], batch_size=4, bucket_boundaries=[]),
                        verbose=0)
    assert out.shape[0] == columns[0].shape[0]
