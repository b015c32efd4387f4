"""End to end: data → text pipeline → model → fit → saved file → predictions from the file alone."""

import json
import os

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo import datasets
from rnnzoo.cli import main as cli
from rnnzoo.trained import evaluate
from rnnzoo.training import train

SMALL = dict(units=8, embedding_dim=8, verbose=0, batch_size=32)


@pytest.fixture(scope="module")
def sentiment_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("run") / "sentiment")
    data = datasets.load("sentiment").subset(range(0, 4000, 8), name="sentiment-small")
    return train("bilstm_classifier", data, epochs=2, out=out, **SMALL), out


def test_training_writes_model_metrics_and_history(sentiment_run):
    result, out = sentiment_run
    assert sorted(f for f in os.listdir(out) if not f.startswith(".")) == ["history.json", "metrics.json", "model.keras"]
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    assert metrics["examples"]["test"] == 50
    # the recorded accuracy is the model's on the 50 held-out sentences, recomputed here from its predictions
    test = result.splits[2]
    predicted = [p["label"] for p in rnnzoo.predict_text(result.model, list(test.texts))]
    assert metrics["accuracy"] == pytest.approx(np.mean(np.array(predicted) == np.array([str(l) for l in test.labels])))
    assert len(json.load(open(os.path.join(out, "history.json")))["loss"]) == metrics["epochs_run"]


def test_saved_model_alone_turns_text_into_predictions(sentiment_run):
    result, out = sentiment_run
    model = rnnzoo.load(out)
    assert model.card.labels == ["negative", "positive"] and model.card.task == "classifier"
    assert len(model.card.text["vocabulary"]) == len(result.encoder)
    pred = rnnzoo.predict_text(model, "a gorgeous , witty , seductive movie .")
    assert pred["label"] in ("negative", "positive") and abs(sum(pred["probabilities"].values()) - 1) < 1e-5
    same = rnnzoo.predict_text(result.model, ["a gorgeous , witty , seductive movie ."])[0]
    assert same["probability"] == pytest.approx(pred["probability"], abs=1e-6)


def test_predict_text_errors(sentiment_run):
    model = sentiment_run[0].model
    with pytest.raises(ValueError, match="empty"):
        rnnzoo.predict_text(model, "   ")
    with pytest.raises(ValueError, match="strings"):
        rnnzoo.predict_text(model, [b"bytes"])
    with pytest.raises(ValueError, match="no text pipeline"):
        rnnzoo.predict_text(rnnzoo.build("gru_classifier", vocabulary_size=10, units=4), "hello")


def test_evaluate_uses_the_held_out_split(sentiment_run):
    result, out = sentiment_run
    data = datasets.load("sentiment").subset(range(0, 4000, 8), name="sentiment-small")
    metrics = evaluate(out, data)  # the training source: its held-out test split, same seed
    assert metrics["examples"] == 50
    assert metrics["accuracy"] == pytest.approx(result.metrics["accuracy"], abs=1e-6)
    other = evaluate(out, data.subset(range(100), name="another"))  # any other source: evaluated whole
    assert other["examples"] == 100


def test_tagger_trains_on_pos_and_tags_raw_text(tmp_path):
    data = datasets.load("pos").subset(range(1000))
    result = train("bilstm_tagger", data, epochs=5, learning_rate=1e-2, **{**SMALL, "units": 16})
    assert result.metrics["accuracy"] > 0.5  # the most frequent tag (NN) covers about 13% of tokens
    tags = rnnzoo.predict_text(result.model, "The dog barks .")
    assert [t for t, _ in tags] == ["the", "dog", "barks", "."]


def test_char_language_model_trains_and_reports_perplexity():
    text = datasets.load("shakespeare").texts[0][:6000]
    data = datasets.TextCorpus([text[:4000], text[4000:5000], text[5000:]] * 8, name="shakespeare-small")
    result = train("char_gru_language_model", data, epochs=1, window=40, **SMALL)
    assert result.encoder.level == "char"
    assert 1 < result.metrics["perplexity"] < len(result.encoder)


class _Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 1:  # in the middle of the second epoch
            raise KeyboardInterrupt("simulated interruption")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def test_interrupted_training_resumes(tmp_path):
    data = datasets.load("sentiment").subset(range(0, 4000, 20))
    out = str(tmp_path / "resume")
    with pytest.raises(KeyboardInterrupt):
        train("gru_classifier", data, epochs=3, out=out, patience=10, callbacks=[_Interrupt()], **SMALL)
    assert os.path.isdir(os.path.join(out, "backup"))
    result = train("gru_classifier", data, epochs=3, out=out, patience=10, **SMALL)
    # epoch 1 was restored from the backup, not run again, and its logs were kept: the history covers all three
    assert len(result.history["loss"]) == 3 and result.metrics["epochs_run"] == 3
    assert json.load(open(os.path.join(out, "history.json"))) == result.history
    assert not os.path.exists(os.path.join(out, "backup"))


def test_training_rejects_mismatched_or_empty_data():
    with pytest.raises(ValueError, match="is for a tagger but the model is a classifier"):
        train("lstm_classifier", datasets.load("pos").subset(range(10)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        train("lstm_classifier", datasets.TextClassificationData([], []), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Unknown model"):
        train("lstm_clasifier", "sentiment")


def test_cli(tmp_path, capsys):
    assert cli(["list", "*tagger"]) == 0
    assert "bilstm_tagger" in capsys.readouterr().out
    assert cli(["datasets"]) == 0
    assert "sentiment" in capsys.readouterr().out
    csv = tmp_path / "tiny.csv"
    rows = ["great fun", "loved it", "wonderful", "superb acting"] * 10 + ["awful", "boring mess", "hated it",
                                                                             "dull"] * 10
    csv.write_text("review,stars\n" + "".join(f"{t},{'pos' if i < 40 else 'neg'}\n" for i, t in enumerate(rows)))
    out = str(tmp_path / "cli_model")
    assert cli(["train", "gru_classifier", "--data", str(csv), "--text-column", "review", "--label-column",
                "stars", "--epochs", "1", "--out", out, "--set", "units=4", "--set", "embedding_dim=4"]) == 0
    captured = capsys.readouterr()  # the summary alone on stdout; Keras progress on stderr
    assert json.loads(captured.out)["examples"]["train"] == 64 and "val_loss" in captured.err
    assert cli(["predict", out, "great fun"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["prediction"]["label"] in ("pos", "neg")
    assert cli(["evaluate", out, "--data", str(csv), "--text-column", "review", "--label-column", "stars"]) == 0
    assert json.loads(capsys.readouterr().out)["examples"] == 8  # same source: its held-out test split
    assert cli(["evaluate", str(tmp_path / "nothing"), "--data", "sentiment"]) == 1
    assert "No saved model" in capsys.readouterr().err
    assert cli(["train", "gru_classifier", "--data", str(csv), "--text-column", "review", "--label-column",
                "missing"]) == 1  # the file lacks the column: a runtime error, not a usage error
    assert "no label column 'missing'" in capsys.readouterr().err
    assert cli(["train", "nonexistent_model", "--data", "sentiment"]) == 2  # a usage error
    assert "Unknown model" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_help():
    import subprocess
    import sys

    for args in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["list", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "rnnzoo.cli", *args], capture_output=True, text=True)
        assert proc.returncode == 0 and "usage: rnnzoo" in proc.stdout


def test_save_without_optimizer_is_smaller_and_predicts_the_same(sentiment_run, tmp_path):
    from rnnzoo.saving import save

    model = sentiment_run[0].model
    full, lean = save(model, str(tmp_path / "full.keras")), save(model, str(tmp_path / "lean.keras"),
                                                                  include_optimizer=False)
    assert os.path.getsize(lean) < 0.6 * os.path.getsize(full)
    x = np.array([[5, 6, 7, 0]])
    np.testing.assert_allclose(rnnzoo.load(lean).model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match=".keras"):
        save(model, str(tmp_path / "model.h5"))


def test_stateful_windows_continue_each_stream():
    from rnnzoo.training import stateful_windows

    ids = np.arange(1, 42)
    x, y = stateful_windows(ids, batch_size=2, window=5)
    assert x.shape == (8, 5)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[2, 0], x[0, -1] + 1)  # batch 2 row 0 continues batch 1 row 0
    np.testing.assert_array_equal(x[3, 0], x[1, -1] + 1)
    with pytest.raises(ValueError, match="too few"):
        stateful_windows(np.arange(10), batch_size=4, window=5)


def test_stateful_truncated_bptt_trains_and_returns_a_stateless_model():
    text = datasets.load("shakespeare").texts[0][:8000]
    data = datasets.TextCorpus([text[:6000], text[6000:7000], text[7000:]] * 7, name="shakespeare-small")
    result = train("char_lstm_language_model", data, epochs=2, window=20, stateful=True, **{**SMALL, "batch_size": 8})
    assert len(result.history["loss"]) == 2 and np.isfinite(result.history["val_loss"]).all()
    assert result.model.input_shape == (None, None)  # usable at any batch size and length
    assert not any(getattr(l, "stateful", False) for l in result.model.layers)
    assert 1 < result.metrics["perplexity"] < len(result.encoder)
    with pytest.raises(ValueError, match="stateful=True is for language models"):
        train("lstm_classifier", datasets.load("sentiment").subset(range(40)), stateful=True, verbose=0)


def test_warm_start_continues_from_a_saved_model(sentiment_run, tmp_path):
    _, out = sentiment_run
    data = datasets.load("sentiment").subset(range(0, 4000, 8), name="sentiment-small")
    seen = {}

    class FirstWeights(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["weights"] = [np.array(w) for w in self.model.get_weights()]

    result = train("bilstm_classifier", data, epochs=1, init_from=out, callbacks=[FirstWeights()], **SMALL)
    for a, b in zip(seen["weights"], rnnzoo.load(out).model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert result.metrics["epochs_run"] == 1
    with pytest.raises(ValueError, match="different"):
        train("bilstm_classifier", data, epochs=1, init_from=out, min_frequency=3, **SMALL)


# -- honest evaluation: the card's fingerprint and split decide what is scored -----------------------------------

def _sentiment_small():
    return datasets.load("sentiment").subset(range(0, 4000, 8), name="sentiment-small")


def test_card_records_the_true_split(sentiment_run):
    result, out = sentiment_run
    card = rnnzoo.card_of(rnnzoo.load(out))
    assert card.card_version == 3 and card.task == "classifier" and card.labels == ["negative", "positive"]
    assert card.training["config"]["epochs"] == result.card.training["epochs"]  # the config that trained it
    assert card.data.source == "sentiment-small" and card.data.fingerprint == _sentiment_small().fingerprint()
    assert card.split.method == "fractions" and card.split.fractions == [0.8, 0.1, 0.1] and card.split.seed == 0
    assert card.split.held_out_fingerprint == result.splits[2].fingerprint()
    assert card.metrics["accuracy"] == pytest.approx(result.metrics["accuracy"]) and card.versions["keras"]


def test_evaluate_names_what_it_scored(sentiment_run):
    metrics = evaluate(sentiment_run[1], _sentiment_small())
    assert metrics["evaluated_on"].startswith("held-out test split of sentiment-small (50 of 500 examples")


def test_evaluate_scores_other_data_whole_and_says_so(sentiment_run):
    other = datasets.load("sentiment").subset(range(1, 4000, 40), name="other-sentences")
    metrics = evaluate(sentiment_run[1], other)
    assert metrics["examples"] == len(other) == 100
    assert "not this model's training source" in metrics["evaluated_on"]


def test_evaluate_refuses_changed_training_source(sentiment_run):
    changed = datasets.load("sentiment").subset(range(0, 4000, 9), name="sentiment-small")
    with pytest.raises(ValueError, match="content differs"):
        evaluate(sentiment_run[1], changed)


def test_evaluate_explicit_split_never_scores_training_data(tmp_path):
    train_part, val_part, test_part = _sentiment_small().split((0.8, 0.1, 0.1), seed=3)
    out = str(tmp_path / "explicit")
    train("gru_classifier", train_part, epochs=1, out=out, validation_data=val_part, test_data=test_part, **SMALL)
    with pytest.raises(ValueError, match="trained on"):
        evaluate(out, train_part)
    metrics = evaluate(out, test_part)
    assert metrics["examples"] == len(test_part) and "held-out test data" in metrics["evaluated_on"]


def test_split_seed_is_recorded_apart_from_the_weight_seed(tmp_path):
    result = train("gru_classifier", _sentiment_small(), epochs=1, seed=5, split_seed=0, **SMALL)
    assert result.card.split.seed == 0 and result.card.training["seed"] == 5
    assert result.card.split.held_out_fingerprint == _sentiment_small().split((0.8, 0.1, 0.1), seed=0)[2].fingerprint()
