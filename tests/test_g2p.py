"""What the G2P benchmark is built from: lexicon files, label smoothing, checkpoint averaging, selection by
validation WER, and the Phonetisaurus peer scored by rnnzoo's own error rates."""

import os
import shutil
import sys

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.datasets import PairData, synthetic
from rnnzoo.datasets.files import load_lexicon
from rnnzoo.fitting import AverageWeights
from rnnzoo.losses import SparseCrossentropy, sparse_crossentropy
from rnnzoo.saving import compile_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bench():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import g2p

    return g2p


def test_lexicon_reads_both_formats_variants_and_stress(tmp_path):
    path = tmp_path / "lex.dict"
    path.write_text(";;; a comment\nABBOTT  AE1 B AH0 T\nabbott(2)\tAE1 B OW0 T\n\n# another\ncat K AE1 T\n")
    data = load_lexicon(str(path), lowercase=True)
    assert data.sources == ["abbott", "abbott", "cat"]
    assert data.targets == ["AE B AH T", "AE B OW T", "K AE T"]
    assert load_lexicon(str(path), keep_stress=True).targets[0] == "AE1 B AH0 T"
    assert load_lexicon(str(path)).sources[0] == "ABBOTT"
    path.write_text("cat K AE T\ndog\n")
    with pytest.raises(ValueError, match="line 2"):
        load_lexicon(str(path))


def test_benchmark_trains_and_tests_on_lexicon_files(tmp_path):
    g2p = _bench()
    train, test = tmp_path / "train.lex", tmp_path / "test.lex"
    train.write_text("".join(f"w{i} W AH N\n" for i in range(100)))
    test.write_text("w3 W AH N\nnew N UW\n")
    args = type("Args", (), {"train": str(train), "validation": None, "test": str(test)})()
    tr, va, te = g2p._split(args)
    assert len(set(tr.sources)) + len(set(va.sources)) == 100 and len(va) >= 1
    assert not set(tr.sources) & set(va.sources)  # words, not pairs, are split
    assert te.sources == ["w3", "new"]
    assert "train.lex" in g2p._describe(args)


def test_label_smoothing_matches_its_formula_and_honours_masks():
    logits = np.array([[[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]]], "float32")
    labels = np.array([[0, 2]])
    plain = SparseCrossentropy(from_logits=True)
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(float(plain(labels, logits)), float(keras_loss(labels, logits)), rtol=1e-6)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_p, labels[..., None], -1)[..., 0]
    want = (0.9 * nll - 0.1 * log_p.mean(-1)).mean()
    np.testing.assert_allclose(float(SparseCrossentropy(True, 0.1)(labels, logits)), want, rtol=1e-6)
    # the second position padded away: only the first counts
    weights = np.array([[1.0, 0.0]], "float32")
    first = 0.9 * nll[0, 0] - 0.1 * log_p[0, 0].mean()
    got = SparseCrossentropy(True, 0.1)(labels, logits, sample_weight=weights)
    np.testing.assert_allclose(float(got) * 2, first, rtol=1e-6)  # Keras averages over all positions
    assert isinstance(sparse_crossentropy(True, 0.0), keras.losses.SparseCategoricalCrossentropy)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        SparseCrossentropy(label_smoothing=1.0)


def test_label_smoothing_compiles_where_the_loss_allows_it():
    model = rnnzoo.build("gru_classifier", vocabulary_size=20, num_classes=3, units=4)
    compile_model(model, label_smoothing=0.1)
    assert model.loss.label_smoothing == 0.1
    forecaster = rnnzoo.build("gru_forecaster", sequence_length=8, horizon=2, num_features=1, units=4)
    with pytest.raises(ValueError, match="no label smoothing"):
        compile_model(forecaster, label_smoothing=0.1)


def test_average_weights_is_the_mean_of_the_last_epochs():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    averaging = AverageWeights(last=2)
    x, y = np.random.default_rng(0).normal(size=(32, 2)), np.ones((32, 1))
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[averaging, record])
    for got, a, b in zip(averaging.average(), seen[1], seen[2]):
        np.testing.assert_allclose(got, (a + b) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="last >= 1"):
        AverageWeights(last=0)


def test_error_rate_checkpoint_keeps_the_epoch_with_the_lowest_wer():
    from rnnzoo.tasks.seq2seq.translation import evaluate_translations
    from rnnzoo.tasks.seq2seq.translation import ErrorRateCheckpoint

    data = synthetic.dates(1500, seed=0)
    train, val, _ = data.split((0.8, 0.2, 0.0), seed=0)
    checkpoint = ErrorRateCheckpoint(val.subset(list(range(60))), start=2)
    result = rnnzoo.train("bahdanau_seq2seq", train, validation_data=val, test_data=val.subset([]), epochs=4,
                          units=16, embedding_dim=8, batch_size=64, learning_rate=3e-3, verbose=0, patience=10,
                          translation_limit=0, callbacks=[checkpoint])
    assert [s["epoch"] for s in checkpoint.scores] == [2, 3, 4]
    best = min(checkpoint.scores, key=lambda s: (s["wer"], s["token_error_rate"]))
    assert checkpoint.best_epoch == best["epoch"]
    again = evaluate_translations(result.model, val.subset(list(range(60))))
    assert again["wer"] == pytest.approx(best["wer"], abs=1 / 60 + 1e-9)  # float32 now, bf16-free training: same
    with pytest.raises(ValueError, match="validation pairs"):
        ErrorRateCheckpoint(PairData([], []))


@pytest.mark.skipif(shutil.which("phonetisaurus") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "phonetisaurus")), reason="phonetisaurus (requirements-dev) missing")
def test_phonetisaurus_peer_is_scored_like_our_models():
    g2p = _bench()
    train, _, test = rnnzoo.datasets.load("cmudict").split(g2p.SPLIT, seed=g2p.SPLIT_SEED)
    keep = set(list(dict.fromkeys(train.sources))[:1500])
    train = train.subset([i for i, w in enumerate(train.sources) if w in keep])
    keep = set(list(dict.fromkeys(test.sources))[:40])
    test = test.subset([i for i, w in enumerate(test.sources) if w in keep])
    metrics = g2p.run_peer("phonetisaurus", train, test)
    assert metrics["decoded"] == 40 and metrics["missing"] == 0
    assert metrics["wer"] < 0.8 and metrics["token_error_rate"] < 0.3  # it learned something from 1,500 words
    assert metrics["system"].startswith("phonetisaurus 0.3")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("phonetisaurus") is None and not os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "phonetisaurus")), reason="phonetisaurus (requirements-dev) missing")
def test_benchmark_command_trains_on_a_lexicon_file_and_scores_the_peer_in_the_same_run(tmp_path):
    import json

    g2p = _bench()
    train, _, test = rnnzoo.datasets.load("cmudict").split(g2p.SPLIT, seed=g2p.SPLIT_SEED)
    keep = set(list(dict.fromkeys(train.sources))[:600])
    g2p.write_lexicon(train.subset([i for i, w in enumerate(train.sources) if w in keep]), tmp_path / "train.lex")
    keep = set(list(dict.fromkeys(test.sources))[:30])
    g2p.write_lexicon(test.subset([i for i, w in enumerate(test.sources) if w in keep]), tmp_path / "test.lex")
    out = tmp_path / "run.json"
    g2p.main(["--train", str(tmp_path / "train.lex"), "--test", str(tmp_path / "test.lex"), "--epochs", "2",
              "--units", "8", "--embedding-dim", "8", "--layers", "1", "--batch-size", "64", "--beam", "2",
              "--select", "wer", "--average", "2", "--label-smoothing", "0.1", "--schedule", "cosine",
              "--peer", "phonetisaurus", "--results", str(out), "--runs-log", str(tmp_path / "runs.json")])
    report = json.loads(out.read_text())
    assert report["beam"]["decoded"] == report["peer"]["decoded"] == 30  # the same held-out words for both
    assert "train.lex" in report["task"] and report["validation"]["kept"] in report["validation"]["candidates"]
    assert len(json.loads((tmp_path / "runs.json").read_text())) == 1
