"""The trained-model object: one constructor for every form of a trained model, the same answers from each, the
card read once, and verbs that run the model compiled (never the eager per-step loop)."""

import pathlib

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.presets import presets
from rnnzoo.trained import TrainedModel, length_bucket


def _run_verb(name, model):
    """The preset's own verb on a small input (the same input for every form of the model)."""
    if name in ("sentiment_bilstm", "pos_bilstm"):
        return rnnzoo.predict_text(model, ["a gripping , funny film", "the cat sat on the mat"])
    if name == "dates_bahdanau":
        return rnnzoo.translate(model, ["the 3rd of March 2001", "12/25/99"], beam_width=2)
    if name == "g2p_bahdanau_ls_long_seed2_cmudict":
        return rnnzoo.translate(model, ["keras", "zoo"])
    if name == "char_lstm_512_tiny_shakespeare":
        return rnnzoo.generate(model, "ROMEO:", max_length=12)
    if name == "word_lstm_shakespeare":
        return [r["log_prob"] for r in rnnzoo.score(model, ["to be or not to be", "my lord"])]
    if name == "sunspots_gru":
        from rnnzoo.tasks.forecasting.forecast import Forecaster

        return Forecaster(model).forecast(rnnzoo.datasets.load("sunspots").values).tolist()
    if name == "speech_bigru_ctc":
        from rnnzoo.tasks.speech.recognize import recognize

        features = np.random.default_rng(0).normal(size=(40, TrainedModel.of(model).model.inputs[0].shape[-1]))
        return recognize(model, [features.astype("float32")], beam_width=2)
    if name == "scenes_lstm_captioner":
        from rnnzoo.tasks.captioning.caption import caption, scenes

        return caption(model, scenes(2, seed=3).images)
    if name == "listops_tree_lstm":
        from rnnzoo.tasks.trees.data import classify

        return classify(model, ["( 3 max ( 4 min 2 ) )"])
    raise AssertionError(f"no verb call for preset {name!r}: add one")


QUICK = ("dates_bahdanau", "sentiment_bilstm")


@pytest.mark.parametrize("preset", [pytest.param(p, marks=() if p.name in QUICK else pytest.mark.slow, id=p.name)
                                    for p in presets()])
def test_every_form_of_a_preset_gives_its_verb_the_same_answer(preset):
    t = rnnzoo.load(preset.name)
    assert isinstance(t, TrainedModel) and isinstance(t.model, keras.Model)
    assert t.card.task == t.task.name and t.path.endswith("model.keras")
    expected = _run_verb(preset.name, t)
    for form in (preset.name, pathlib.Path(preset.path), preset.path, t.model):
        assert _run_verb(preset.name, form) == expected, f"{type(form).__name__} form differs"


def test_one_constructor_for_every_form():
    t = rnnzoo.load("dates_bahdanau")
    assert TrainedModel.of(t) is t
    assert TrainedModel.of(t.model) is t  # the object is kept on its model: the card is not read again
    assert TrainedModel.of(pathlib.Path(t.path)).card == t.card
    with pytest.raises(ValueError, match="Expected a trained rnnzoo model"):
        TrainedModel.of(42)
    with pytest.raises(FileNotFoundError, match="preset name"):
        TrainedModel.of("no_such_preset_or_file")
    bare = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no rnnzoo model card"):
        TrainedModel.of(bare)


def test_a_new_card_gives_a_new_object():
    from rnnzoo.card import set_card

    t = rnnzoo.load("sentiment_bilstm", compile=False)
    card = rnnzoo.ModelCard.from_dict(t.card.to_dict())
    card.labels = ["bad", "good"]
    set_card(t.model, card)
    assert TrainedModel.of(t.model) is not t and TrainedModel.of(t.model).card.labels == ["bad", "good"]


def test_the_card_is_decoded_once_over_load_verb_evaluate_and_export(tmp_path, monkeypatch):
    decoded = []
    original = rnnzoo.ModelCard.from_dict.__func__

    def counting(cls, content):
        decoded.append(1)
        return original(cls, content)

    monkeypatch.setattr(rnnzoo.ModelCard, "from_dict", classmethod(counting))
    t = rnnzoo.load("sentiment_bilstm")
    rnnzoo.predict_text(t.model, "a gripping , funny film")
    rnnzoo.evaluate(t.model, "sentiment")
    rnnzoo.export.export(t.model, str(tmp_path / "export"), tflite=False)
    assert len(decoded) == 1


def _count_eager_calls(monkeypatch):
    import tensorflow as tf

    calls = {"eager": 0, "traced": 0}
    original = keras.Model.__call__

    def counting(self, *args, **kwargs):
        calls["eager" if tf.executing_eagerly() else "traced"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "__call__", counting)
    return calls


def test_verbs_and_evaluate_never_call_the_model_eagerly(monkeypatch):
    lm = rnnzoo.load("word_lstm_shakespeare", compile=False)
    classifier = rnnzoo.load("sentiment_bilstm")
    calls = _count_eager_calls(monkeypatch)
    rnnzoo.score(lm, ["to be or not to be", "my lord , the king is dead"])
    rnnzoo.predict_text(classifier, ["a gripping , funny film"])
    rnnzoo.evaluate(classifier, "sentiment")
    assert calls["eager"] == 0 and calls["traced"] > 0


def test_score_traces_once_per_length_bucket(monkeypatch):
    lm = rnnzoo.load("word_lstm_shakespeare", compile=False)
    texts = ["to be", "to be or not to be that is the question", "my lord " * 12, "the king is dead",
             "and " * 40]
    lengths = [len(ids) for ids in lm.encoder.encode(texts, add_start=True)]  # scored inputs: ids without [END]
    first = rnnzoo.score(lm, texts, batch_size=1)
    assert lm.traces == len({length_bucket(n) for n in lengths}) < len(texts)
    again = rnnzoo.score(lm, list(reversed(texts)), batch_size=1)
    assert lm.traces == len({length_bucket(n) for n in lengths})  # the same buckets: nothing traced again
    assert [r["log_prob"] for r in again] == [r["log_prob"] for r in reversed(first)]


def test_bucketed_compiled_call_equals_the_plain_call():
    """Padding token inputs up to a bucket leaves the outputs at the real positions as they were (the padding
    is masked) for every kind of text model: language model, tagger, classifier, seq2seq."""
    for name in ("word_lstm_shakespeare", "pos_bilstm", "sentiment_bilstm", "dates_bahdanau"):
        t = rnnzoo.load(name, compile=False)
        rng = np.random.default_rng(1)
        inputs = []
        sides = [t.encoder, t.target_encoder] if t.card.target_text else [t.encoder]
        for side in sides:
            ids = rng.integers(4, len(side), size=(3, 11)).astype("int32")
            ids[1, 7:] = 0  # a shorter, right-padded row
            inputs.append(ids)
        plain = keras.ops.convert_to_numpy(t.model(inputs if len(inputs) > 1 else inputs[0], training=False))
        compiled = t.predict(inputs if len(inputs) > 1 else inputs[0])
        assert compiled.shape == plain.shape
        valid = (inputs[-1] > 0) if plain.ndim == 3 else np.ones(len(plain), bool)
        np.testing.assert_allclose(compiled[valid], plain[valid], atol=2e-5, err_msg=name)


def test_length_buckets_are_few_and_pad_at_most_a_quarter():
    buckets = [length_bucket(n) for n in range(1, 20001)]
    assert all(b >= n for n, b in zip(range(1, 20001), buckets))
    assert max((b - n) / n for n, b in zip(range(17, 20001), buckets[16:])) <= 0.25
    assert len(set(buckets)) <= 45


@pytest.mark.slow  # subprocesses that each import TensorFlow
def test_a_fresh_interpreter_loads_through_any_door_without_importing_the_package_api_first():
    """`import rnnzoo` is light (nothing registered yet): every door that loads a model registers rnnzoo's layer
    classes before Keras deserializes them."""
    import subprocess
    import sys

    for code in ("from rnnzoo.trained import load; print(load('sunspots_gru', compile=False).name)",
                 "import rnnzoo, sys; assert 'keras' not in sys.modules; print(rnnzoo.load('sunspots_gru').name)",
                 "import rnnzoo.export; print(rnnzoo.export.export.__name__, rnnzoo.card_of('sunspots_gru').model)"):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (code, proc.stderr[-2000:])
        assert proc.stdout.split()[-1] == "gru_forecaster", (code, proc.stdout)
