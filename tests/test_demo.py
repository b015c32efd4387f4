"""`make demo` in its quick mode: the whole path runs and prints its held-out metric."""

import json
import os
import subprocess
import sys


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
    assert all(0 <= summary[k] <= 1 for k in ("bilstm_ppmi", "bilstm_scratch", "bow_logistic_regression"))
    assert os.path.exists(os.path.join(out, "model.keras"))
    assert 0 <= summary["dates_exact_match"] <= 1 and summary["tflite_identical"] == summary["tflite_checked"]
    assert os.path.exists(os.path.join(str(tmp_path), "demo_dates_bahdanau_export", "decoder_step.tflite"))
    assert "Forecasting: yearly sunspot numbers" in proc.stdout and summary["sunspots_mase"] > 0
