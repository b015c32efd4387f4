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


def _two_models(cell, jit_compile=False):
    models = []
    for k in range(2):
        model = rnnzoo.build(f"{cell}_language_model", vocabulary_size=20, embedding_dim=6, units=8)
        rnnzoo.compile_model(model, learning_rate=1e-2, jit_compile=jit_compile and k == 0)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_compiled_training_matches_keras_loop(cell, padded, jit_compile):
    """`train_on_batch` with the kernel (padded batches included), in graph mode and compiled by XLA (what `fit`
    does in float32 on a CPU, `rnnzoo.xla.xla_training`), equals Keras' loop in graph mode."""
    fast, plain = _two_models(cell, jit_compile)
    assert fast.jit_compile is jit_compile and plain.jit_compile is False
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


def _slow_growth(cell, dtype, forward_only):
    """The final state of 200 steps whose state grows by ~0.005 (LSTM cell state from 4.0) or ~0.0002 (GRU h from
    0.5) a step, with zero weights and a bias that sets the gates (values exact in bfloat16)."""
    import tensorflow as tf

    from rnnzoo.layers import kernels

    steps, batch, units = 200, 2, 4
    gates = 4 if cell == "lstm" else 3
    x = tf.zeros((steps, batch, 3), dtype)
    kernel, recurrent = tf.zeros((3, gates * units), dtype), tf.zeros((units, gates * units), dtype)
    if cell == "lstm":  # i = σ(−2), f = σ(8) (1 in bfloat16), g = tanh(1/16), c0 = 4
        bias = tf.constant(np.repeat([-2.0, 8.0, 0.0625, 0.0], units), dtype)
        states = [tf.zeros((batch, units), dtype), tf.fill((batch, units), tf.constant(4.0, dtype))]
    else:  # z = σ(8), candidate tanh(8) ≈ 1, h0 = 0.5
        bias = tf.constant(np.stack([np.repeat([8.0, 0.0, 8.0], units), np.zeros(3 * units)]), dtype)
        states = [tf.fill((batch, units), tf.constant(0.5, dtype))]
    if forward_only:
        hs, final = kernels.tf_forward_sequence(cell, x, states, kernel, recurrent, bias)
    elif cell == "lstm":
        hs, *final = kernels.tf_lstm_sequence(x, *states, kernel, recurrent, bias)
    else:
        hs, *final = kernels.tf_gru_sequence(x, *states, kernel, recurrent, bias)
    assert hs.dtype == dtype and all(s.dtype == dtype for s in final)
    return float(tf.cast(final[-1], tf.float32)[0, 0])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("forward_only", [False, True], ids=["training", "inference"])
def test_tensorflow_kernels_keep_float32_states_under_bfloat16(cell, forward_only):
    """bfloat16 multiplies, float32 gates and states: a state growing by less than half its bfloat16 spacing each
    step (Keras' bfloat16 loop never moves it) follows the float32 kernel; outputs stay bfloat16."""
    import tensorflow as tf

    expected = _slow_growth(cell, tf.float32, forward_only)
    assert expected > (4.5 if cell == "lstm" else 0.52)
    assert abs(_slow_growth(cell, tf.bfloat16, forward_only) - expected) < 0.01 * expected


def test_tensorflow_kernel_gradients_in_bfloat16_follow_float32():
    """The bfloat16 kernel's weight gradients agree with the float32 kernel's to bfloat16 precision."""
    import tensorflow as tf

    from rnnzoo.layers import kernels

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4, 5)).astype("float32")
    w, u = rng.normal(0, 0.3, (5, 24)).astype("float32"), rng.normal(0, 0.3, (6, 24)).astype("float32")
    b = rng.normal(0, 0.1, (24,)).astype("float32")

    def grads(dtype):
        weights = [tf.Variable(v) for v in (w, u, b)]
        with tf.GradientTape() as tape:
            cast = [tf.cast(v, dtype) for v in weights]
            h0 = tf.zeros((4, 6), dtype)
            hs, h, c = kernels.tf_lstm_sequence(tf.cast(x, dtype), h0, h0, *cast)
            loss = tf.reduce_sum(tf.cast(hs, tf.float32) ** 2) + tf.reduce_sum(tf.cast(c, tf.float32))
        return [g.numpy() for g in tape.gradient(loss, weights)]

    for low, full in zip(grads(tf.bfloat16), grads(tf.float32), strict=True):
        assert np.abs(low - full).max() < 0.05 * np.abs(full).max()
