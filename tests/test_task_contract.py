"""The task contract: a task defined in this file alone trains, saves, loads, predicts, evaluates and exports with
no edit to a shared module; every task's training path goes through the one fitting loop and writes the same
three files."""

import argparse
import json
import os

import keras
import numpy as np
import pytest
from keras import layers

import rnnzoo
from rnnzoo import datasets, fitting
from rnnzoo.card import ModelCard
from rnnzoo.datasets import synthetic
from rnnzoo.datasets.base import TextClassificationData
from rnnzoo.layers.trunk import trunk
from rnnzoo.names import HISTORY_FILE, METRICS_FILE, MODEL_FILE
from rnnzoo.task import Examples, Task

THREE = sorted([MODEL_FILE, METRICS_FILE, HISTORY_FILE])


def _written(out):
    return sorted(f for f in os.listdir(out) if not f.startswith("."))


# -- a toy task, defined here only: is the number of words in a text even or odd? --------------------------------

class ParityData(TextClassificationData):
    task = "toy_parity"


class ParityTask(Task):
    name = "toy_parity"
    text_field = "texts"

    def loss(self):
        return keras.losses.BinaryCrossentropy()

    def metrics(self):
        return [keras.metrics.BinaryAccuracy(name="accuracy")]

    def fit_outputs(self, train_data, options):
        return ["even", "odd"], {"labels": ["even", "odd"]}

    def encode(self, data, encoder, labels, window=None):
        return Examples(encoder.encode(data.texts), np.array([[float(y == "odd")] for y in data.labels], "float32"))

    def postprocess(self, tokens, outputs, labels):
        return [{"parity": labels[int(p[0] > 0.5)], "words": len(t)} for t, p in zip(tokens, outputs)]

    def evaluate(self, trained, data, scores, **options):
        return {"toy_metric": len(data)}

    def text_signature(self, trained, kit, max_new_tokens):
        tf = kit.tf
        model = trained.model

        @tf.function(input_signature=kit.text_spec)
        def parity(texts):
            ids, _ = kit.source.ids(texts)
            return {"odd": model(ids, training=False)[:, 0]}

        return "parity", parity, "raw strings → probability of an odd word count"


def build_parity(*, name="toy_parity_gru", **options):
    inputs, x = trunk(options, return_sequences=False)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="odd")(x), name=name)


@pytest.fixture(scope="module")
def parity_run(tmp_path_factory):
    if "toy_parity" not in rnnzoo.task.TASKS:  # registered after collection: the shared model tests never see it
        rnnzoo.register_task(ParityTask())
        rnnzoo.register_model("toy_parity_gru", build_parity, task="toy_parity", defaults={"cell": "gru"},
                              tiny={"vocabulary_size": 12, "units": 4, "embedding_dim": 4})
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(list("abcdefgh"), int(rng.integers(1, 9)))) for _ in range(300)]
    data = ParityData(texts, ["odd" if len(t.split()) % 2 else "even" for t in texts], name="parity")
    out = str(tmp_path_factory.mktemp("toy") / "parity")
    result = rnnzoo.train("toy_parity_gru", data, epochs=2, out=out, units=8, embedding_dim=8, min_frequency=1,
                          verbose=0)
    return result, out, data


def test_toy_task_trains_and_writes_the_three_files(parity_run):
    result, out, _ = parity_run
    assert _written(out) == THREE
    assert result.metrics["toy_metric"] == result.card.split.counts["test"] == 30
    assert json.load(open(os.path.join(out, METRICS_FILE)))["epochs_run"] == 2


def test_toy_task_loads_predicts_and_evaluates(parity_run):
    result, out, data = parity_run
    model = rnnzoo.load(out)
    assert rnnzoo.card_of(model).task == "toy_parity"
    prediction = rnnzoo.predict_text(model, "a b c")
    assert prediction["words"] == 3 and prediction["parity"] in ("even", "odd")
    metrics = rnnzoo.evaluate(model, data)
    assert metrics["examples"] == 30 and metrics["toy_metric"] == 30
    assert metrics["loss"] == pytest.approx(result.metrics["loss"], abs=1e-5)


def test_toy_task_exports_its_own_signature(parity_run, tmp_path):
    import tensorflow as tf

    result, out, _ = parity_run
    info = rnnzoo.export.export(out, str(tmp_path / "export"), quantize=(), fused=False)
    assert "parity" in info["signatures"] and info["files"]["model.tflite"]["bytes"] > 0
    loaded = tf.saved_model.load(str(tmp_path / "export" / "saved_model"))
    odd = loaded.signatures["parity"](tf.constant(["a b c"]))["odd"].numpy()[0]
    expected = rnnzoo.load(out).predict(result.trained.encoder.encode(["a b c"])[0][None])
    assert odd == pytest.approx(float(expected[0, 0]), abs=1e-5)


# -- every task's training path writes model.keras, metrics.json and history.json ---------------------------------

def _three_files_and_card(result, out, task):
    assert _written(out) == THREE
    card = rnnzoo.card_of(rnnzoo.load(out, compile=False))
    assert card.task == task and card.metrics["epochs_run"] == result.metrics["epochs_run"] >= 1
    assert len(json.load(open(os.path.join(out, HISTORY_FILE)))["loss"]) == result.metrics["epochs_run"]
    return card


def _example_tasks():
    """Every registered task that has example data (the built-in ones do), so a new task needs no new test code."""
    return sorted(name for name, task in rnnzoo.task.TASKS.items()
                  if type(task).example_data is not rnnzoo.Task.example_data)


def _verb_options(verb):
    parser = argparse.ArgumentParser()
    for flags, kwargs in verb.options:
        parser.add_argument(*flags, **kwargs)
    return parser.parse_args([])


@pytest.mark.parametrize("task_name", _example_tasks())
def test_every_task_family_end_to_end(task_name, tmp_path):
    """Build tiny, `rnnzoo.train` (the three files and the card), `rnnzoo.load`, the family's verb, `evaluate`
    and the cheapest export, through the same calls for every task family."""
    task = rnnzoo.get_task(task_name)
    name = next(n for n in rnnzoo.list_models() if rnnzoo.get_spec(n).task == task_name)
    data = task.example_data(seed=0)
    out = str(tmp_path / "run")
    result = rnnzoo.train(name, data, epochs=1, out=out, verbose=0, batch_size=16, minutes=None,
                          **{k: v for k, v in rnnzoo.get_spec(name).tiny.items() if k != "batch_size"})
    card = _three_files_and_card(result, out, task_name)
    assert card.training["config"]["epochs"] == 1 and card.data.fingerprint == data.fingerprint()
    assert result.trained.model is result.model and result.trained.card is result.card

    trained = rnnzoo.load(out)
    items, evaluation = task.example_requests(data, str(tmp_path))
    verb = task.verbs()[0]
    answers = verb.run(trained, items, _verb_options(verb))
    assert len(answers) == len(items) and json.loads(json.dumps(answers, default=float))
    assert verb.run(result.trained, items, _verb_options(verb)) == answers  # what training returned, loaded or not

    metrics = rnnzoo.evaluate(trained, evaluation)
    assert metrics["examples"] > 0 and metrics["evaluated_on"]
    info = rnnzoo.export.export(trained, str(tmp_path / "export"), tflite=False)
    assert info["signatures"] and info["task"] == task_name


def test_regressor_trains_through_the_fitting_loop(tmp_path):
    out = str(tmp_path / "regressor")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 5, 2)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    model = rnnzoo.build("gru_regressor", num_features=2, units=4)
    result = fitting.fit(model, (x, y), (x[:16], y[:16]), card=ModelCard(model="gru_regressor", task="regressor"),
                         epochs=1, batch_size=16, out=out, evaluate=lambda m: {"mae": float(np.abs(
                             m.predict(x[:16], verbose=0) - y[:16]).mean())})
    _three_files_and_card(result, out, "regressor")
