"""rnnzoo's fast CPU training kernels compute what Keras' LSTM/GRU loop computes (outputs and gradients)."""

import numpy as np
import pytest

import kernel_checks
import rnnzoo
from model_checks import run_on_backend
from rnnzoo import config
from rnnzoo.layers.recurrent import GRU, LSTM


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("case", kernel_checks.CASES, ids=lambda c: "-".join(c) or "default")
def test_tensorflow_kernel_matches_keras(cell, case):
    out_diff, grad_diff, used = kernel_checks.check(cell, case)
    assert out_diff < 1e-5 and grad_diff < 1e-4, (out_diff, grad_diff)
    assert used, "fast kernel not taken"  # padded batches too


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("case", kernel_checks.CASES, ids=lambda c: "-".join(c) or "default")
def test_tensorflow_inference_loop_matches_keras(cell, case):
    out_diff, grad_diff, used = kernel_checks.check(cell, case, training=False)
    assert out_diff < 1e-5 and grad_diff < 1e-4, (out_diff, grad_diff)
    assert used, "forward-only loop not taken"
    with config.using(fast_inference=False):
        assert not kernel_checks.check(cell, case, training=False)[2]


def test_exports_trace_keras_own_graph_and_predict_matches_it(tmp_path):
    from rnnzoo.export.tflite import convert
    import tensorflow as tf

    model = rnnzoo.build("lstm_language_model", vocabulary_size=20, embedding_dim=6, units=8)
    x = np.random.default_rng(0).integers(1, 20, (3, 7)).astype("int32")
    fast = model.predict(x, verbose=0)
    assert _rnn_layers(model)[0].loop_used == "rnnzoo kernel (tensorflow)"
    convert(lambda ids: {"logits": model(ids, training=False)}, [tf.TensorSpec((1, 7), tf.int32, name="ids")])
    assert _rnn_layers(model)[0].loop_used == "keras"
    model.predict_function = None  # trace predict again, now with Keras' loop
    with config.using(fast_inference=False):
        plain = model.predict(x, verbose=0)
    assert _rnn_layers(model)[0].loop_used == "keras"
    np.testing.assert_allclose(fast, plain, atol=1e-5)


def _rnn_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, (LSTM, GRU))]


def _two_models(cell):
    models = []
    for _ in range(2):
        model = rnnzoo.build(f"{cell}_language_model", vocabulary_size=20, embedding_dim=6, units=8)
        rnnzoo.compile_model(model, learning_rate=1e-2)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("padded", [False, True])
def test_compiled_training_matches_keras_loop(cell, padded):
    """Graph-mode `train_on_batch` with the kernel (padded batches included) equals Keras' loop."""
    fast, plain = _two_models(cell)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (4, 9)).astype("int32")
    y = rng.integers(1, 20, (4, 9)).astype("int32")
    if padded:
        x[2, 6:] = 0
    for _ in range(3):
        fast.train_on_batch(x, y)
    assert {layer.loop_used for layer in _rnn_layers(fast)} == {"rnnzoo kernel (tensorflow)"}
    with config.using(fast_kernels=False):
        for _ in range(3):
            plain.train_on_batch(x, y)
    assert {layer.loop_used for layer in _rnn_layers(plain)} == {"keras"}
    for a, b in zip(fast.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_layers_are_keras_layers_with_the_same_config():
    import keras

    layer = rnnzoo.layers.recurrent_layer("lstm", 8)
    assert isinstance(layer, keras.layers.LSTM)
    twin = keras.layers.LSTM.from_config(layer.get_config())
    twin.build((None, None, 3))
    layer.build((None, None, 3))
    twin.set_weights(layer.get_weights())  # weights move between them unchanged


def test_torch_kernels_match_keras():
    data = run_on_backend("import kernel_checks; kernel_checks.main()", "torch", timeout=600)
    assert data["used"].get("torch/lstm", 0) > 0 and data["used"].get("torch/gru", 0) > 0
    for key, (out_diff, grad_diff, used, expected) in data["results"].items():
        assert out_diff < 1e-5 and grad_diff < 1e-4, (key, out_diff, grad_diff)
        assert used == expected, f"{key}: fast kernel {'not ' if expected else ''}taken"
