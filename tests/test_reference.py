"""The NumPy equations in rnnzoo.reference agree with the Keras layers (random weights, masked and not)."""

import keras
import numpy as np
import pytest

from rnnzoo import reference

LAYERS = {
    "simple_rnn": lambda: keras.layers.SimpleRNN(6, return_sequences=True, return_state=True),
    "lstm": lambda: keras.layers.LSTM(6, return_sequences=True, return_state=True),
    "gru_reset_after": lambda: keras.layers.GRU(6, return_sequences=True, return_state=True, reset_after=True),
    "gru_classic": lambda: keras.layers.GRU(6, return_sequences=True, return_state=True, reset_after=False),
}


def _randomize(layer):
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("masked", [False, True])
def test_numpy_equations_match_keras(name, masked):
    layer = LAYERS[name]()
    x = np.random.default_rng(0).normal(size=(3, 7, 5)).astype("float32")
    layer(x)
    _randomize(layer)
    mask = np.ones((3, 7), bool)
    if masked:
        mask[1, 4:] = False  # right padding
        mask[2, 2:] = False
    out = layer(x, mask=mask if masked else None)
    keras_seq, keras_states = keras.ops.convert_to_numpy(out[0]), [keras.ops.convert_to_numpy(s) for s in out[1:]]
    ours_seq, ours_state = reference.forward(layer, x, mask=mask if masked else None)
    ours_states = list(ours_state) if isinstance(ours_state, tuple) else [ours_state]
    valid = mask  # Keras fills padded outputs differently by backend; compare the real steps and final states
    np.testing.assert_allclose(ours_seq[valid], keras_seq[valid], atol=1e-5)
    for ours, theirs in zip(ours_states, keras_states):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_forward_rejects_other_layers():
    with pytest.raises(ValueError, match="No NumPy reference"):
        reference.forward(keras.layers.Dense(3), np.zeros((1, 2, 3)))


def _rnn_lm_problem(vocabulary=7, units=5, batch=3, time=6):
    rng = np.random.default_rng(2)
    weights = [rng.normal(0, 0.5, s) for s in ((vocabulary, units), (units, units), (units, vocabulary))]
    inputs = rng.integers(0, vocabulary, (batch, time))
    targets = rng.integers(0, vocabulary, (batch, time))
    return weights, inputs, targets


def test_bptt_matches_a_numerical_gradient():
    (u, w, v), inputs, targets = _rnn_lm_problem()
    loss, grads = reference.rnn_lm_loss_and_gradients(u, w, v, inputs, targets)
    for name, param in (("kernel", u), ("recurrent_kernel", w), ("output_kernel", v)):
        numeric = reference.numerical_gradient(
            lambda: reference.rnn_lm_loss_and_gradients(u, w, v, inputs, targets)[0], param)
        error = np.linalg.norm(grads[name] - numeric) / max(np.linalg.norm(grads[name] + numeric), 1e-12)
        assert error < 1e-4, (name, error)


def test_bptt_matches_keras_gradients():
    import tensorflow as tf

    from rnnzoo.layers import OneHot

    (u, w, v), inputs, targets = _rnn_lm_problem()
    vocabulary, units = u.shape
    model = keras.Sequential([keras.Input((None,), dtype="int32"), OneHot(vocabulary, mask_zero=False),
                              keras.layers.SimpleRNN(units, use_bias=False, return_sequences=True),
                              keras.layers.Dense(vocabulary, use_bias=False)])
    model.set_weights([u.astype("float32"), w.astype("float32"), v.astype("float32")])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        keras_loss = loss_fn(targets, model(inputs))
    keras_grads = [g.numpy() for g in tape.gradient(keras_loss, model.trainable_weights)]
    loss, grads = reference.rnn_lm_loss_and_gradients(u, w, v, inputs, targets)
    assert float(keras_loss) == pytest.approx(loss, abs=1e-5)
    for ours, theirs in zip((grads["kernel"], grads["recurrent_kernel"], grads["output_kernel"]), keras_grads):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
