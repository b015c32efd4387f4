"""`make demo` in its quick mode: the whole path runs and prints its held-out metric."""

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_quick(tmp_path):
    out = str(tmp_path / "demo")
    proc = subprocess.run([sys.executable, "-m", "rnnzoo.demo", "--quick", "--out", out], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Held-out test accuracy" in proc.stdout and "Bag-of-words logistic regression" in proc.stdout
    summary = json.load(open(os.path.join(out, "demo_summary.json")))
    assert summary["test_examples"] == 60
    # `rnnzoo.evaluate` on the training source scores the held-out sentences only, and gets training's figure
    assert summary["evaluate_examples"] == 60 and abs(summary["evaluate_accuracy"] - summary["bilstm_ppmi"]) < 1e-6
    # floors that a broken pipeline would miss (quick mode, 2026-12-02: BoW 0.683, sunspots MASE 0.612, G2P WER 0.275)
    assert summary["bow_logistic_regression"] >= 0.6  # chance is 0.5 on these balanced sentences
    for key in ("bilstm_ppmi", "bilstm_scratch", "bow_logistic_regression"):  # one epoch: near chance, but real
        lo, hi = summary["intervals_95"][key]
        assert lo < summary[key] < hi and summary[key] * 60 == pytest.approx(round(summary[key] * 60), abs=1e-4)
    from rnnzoo import datasets
    from rnnzoo.demo import SPLIT

    data = datasets.load("sentiment")
    train_part, _, test_part = data.subset(range(0, len(data), 10)).split(SPLIT, seed=0)
    shown = [s["text"] for s in summary["showcase"]]  # the sentences the demo shows are held-out ones
    assert len(shown) == 4 and set(shown) <= set(test_part.texts) and not set(shown) & set(train_part.texts)
    assert os.path.exists(os.path.join(out, "model.keras"))
    assert summary["dates_decoded"] > 0 and summary["tflite_identical"] == summary["tflite_checked"] > 0
    assert summary["g2p_wer"] < 0.35 and summary["word_lm_prefers_real"]  # the committed reference models
    assert os.path.exists(os.path.join(str(tmp_path), "demo_dates_bahdanau_export", "decoder_step.tflite"))
    assert "Forecasting: yearly sunspot numbers" in proc.stdout and summary["sunspots_mase"] < 0.9  # beats seasonal naive
    assert "Presets:" in proc.stdout and "pos_bilstm" in proc.stdout and "/DT" in proc.stdout  # presets by name
    assert summary["captions_matching_the_drawing"] >= 2  # of three new scenes (the preset's beam exact match: 0.978)
