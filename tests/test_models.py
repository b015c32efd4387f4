"""Every registered model, checked by the shared helper in model_checks.py."""

import os
import pickle

import keras
import numpy as np
import pytest

import rnnzoo
from model_checks import (
    check_config_round_trip,
    check_padding_invariance,
    check_save_load,
    check_train_step_changes_every_weight,
    check_variable_length,
    expected_shape,
    run_on_backend,
    tiny,
)

MODELS = rnnzoo.list_models()


def test_registry_has_every_cell_and_task():
    for cell in ("lstm", "gru", "rnn"):
        for kind in ("classifier", "tagger", "language_model"):
            assert rnnzoo.list_models(f"*{cell}_{kind}"), (cell, kind)


# Everyday runs (`make test-quick`) check one model of each task family; `make test` checks every model.
QUICK = {"bilstm_classifier", "gru_tagger", "lstm_language_model", "bahdanau_seq2seq", "gru_forecaster",
         "lstm_captioner", "bigru_ctc", "recursive_classifier", "lstm_regressor"}
SWEEP = [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in MODELS]


@pytest.mark.parametrize("name", SWEEP)
def test_model(name, tmp_path):
    model, spec, task, (x, y) = tiny(name)
    assert model.name == name
    assert model.predict(x, verbose=0).shape == expected_shape(model, task, x)
    assert all(v <= 50 for k, v in spec.tiny.items() if k == "vocabulary_size")
    check_config_round_trip(model, x)
    check_save_load(model, x, str(tmp_path / "m.keras"))
    check_padding_invariance(model, task, x)
    check_variable_length(model, task, x)
    check_train_step_changes_every_weight(model, x, y)


def decode_all(task, model, x):
    """Greedy ids of the LM loop, greedy and beam-3 ids of the seq2seq/captioner loops (None for other tasks)."""
    if task == "language_model":
        from rnnzoo.decoding import decode

        return np.asarray(decode(model, x[:2, :3], np.array([3, 2]), 4, "greedy")).tolist()
    if task in ("seq2seq", "captioner"):
        from rnnzoo.decoding import decode_ids

        return [np.asarray(decode_ids(model, x[0][:2], 5, beam_width=b)["tokens"]).tolist() for b in (1, 3)]
    return None


_TORCH_SCRIPT = r"""
import json, os, pickle, sys
import numpy as np
import keras, rnnzoo
from model_checks import tiny
from test_models import decode_all as DECODE
from rnnzoo.saving import compile_model
results = {}
for name in rnnzoo.list_models():
    try:
        model, spec, task, (x, y) = tiny(name)
        compile_model(model)
        loss = model.train_on_batch(x, y)
        loss = float(loss[0] if isinstance(loss, (list, tuple)) else loss)
        out = model.predict(x, verbose=0)
        results[name] = {"loss": loss, "finite": bool(np.isfinite(out).all()), "shape": list(out.shape)}
        model.save(os.path.join(os.environ["RNNZOO_TORCH_OUT"], name + ".keras"))  # trained here, loaded on TF
        with open(os.path.join(os.environ["RNNZOO_TORCH_OUT"], name + ".pkl"), "wb") as f:
            pickle.dump((x, out), f)
        results[name]["decoded"] = DECODE(spec.task, model, x)  # the decode loops, eager on this backend
    except Exception as e:  # reported per model by the test
        results[name] = {"error": f"{type(e).__name__}: {e}"}
print("RESULTS" + json.dumps({"backend": keras.backend.backend(), "results": results}))
"""


@pytest.fixture(scope="module")
def torch_results(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp("torch_models"))
    results = run_on_backend(_TORCH_SCRIPT, "torch", RNNZOO_TORCH_OUT=out_dir)["results"]
    for name, result in results.items():
        result["saved"] = os.path.join(out_dir, name)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_model_on_torch_backend(name, torch_results):
    result = torch_results[name]
    assert "error" not in result, result.get("error")
    assert np.isfinite(result["loss"]) and result["finite"]
    # trained on PyTorch (rnnzoo's fused kernels there), loaded here on TensorFlow: the same outputs, so a model
    # trained on the fastest CPU backend exports through the TensorFlow path unchanged
    with open(result["saved"] + ".pkl", "rb") as f:
        x, expected = pickle.load(f)
    model = keras.saving.load_model(result["saved"] + ".keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-4)
    # the decode loops on PyTorch give the same ids, by value, as on TensorFlow with the same weights
    assert result["decoded"] == decode_all(rnnzoo.get_spec(name).task, model, x)
