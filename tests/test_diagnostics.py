"""Gradient diagnostics: per-step gradient norms, the gradient-norm/clipping logger, the adding problem."""

import os
import sys

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.datasets import adding_problem
from rnnzoo.diagnostics import GradientNormLogger, hidden_state_gradients

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))


def _regressor(name="rnn_regressor", **options):
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(name, num_features=2, units=8, **options)
    rnnzoo.compile_model(model)
    return model


def test_last_step_gradient_matches_the_closed_form():
    """For MSE through a linear head, ∂L/∂h_T = 2 (ŷ − y) W_out / batch."""
    model = _regressor()
    x, y = adding_problem(16, 10, seed=0)
    norms = hidden_state_gradients(model, x, y)
    assert norms.shape == (10,) and np.all(np.isfinite(norms))
    pred = model.predict(x, verbose=0)
    w = np.asarray(model.get_layer("output").kernel)
    expected = np.linalg.norm(2 * (pred - y) / len(x) @ w.T, axis=-1).mean()
    np.testing.assert_allclose(norms[-1], expected, rtol=1e-4)


def test_small_recurrent_weights_make_gradients_vanish():
    model = _regressor(recurrent_initializer=keras.initializers.Orthogonal(gain=0.3))
    x, y = adding_problem(16, 20, seed=0)
    norms = hidden_state_gradients(model, x, y)
    assert norms[0] / norms[-1] < 1e-6  # each step multiplies by at most 0.3 · max tanh' = 0.3
    assert np.all(np.diff(norms) > 0)


def test_sequence_models_and_bad_layers():
    model = rnnzoo.build("gru_language_model", vocabulary_size=20, units=8, embedding_dim=4)
    x = np.random.default_rng(0).integers(1, 20, (4, 9))
    assert hidden_state_gradients(model, x, x).shape == (9,)
    bi = rnnzoo.build("bilstm_classifier", vocabulary_size=20, num_classes=2, units=4)
    with pytest.raises(ValueError, match="unidirectional"):
        hidden_state_gradients(bi, x, np.zeros(4, "int32"))


def test_gradient_logger_records_every_batch_and_does_not_change_training():
    x, y = adding_problem(64, 12, seed=0)
    plain = _regressor("lstm_regressor")
    plain.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    logged = _regressor("lstm_regressor")
    logger = GradientNormLogger()
    history = logged.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False, callbacks=[logger])
    for a, b in zip(plain.get_weights(), logged.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert len(logger.norms) == 8 and np.all(logger.norms > 0)
    assert len(history.history["grad_norm"]) == 2 and "clip_fraction" in history.history
    always = _regressor()
    rnnzoo.compile_model(always, clipnorm=1e-6)
    tiny_logger = GradientNormLogger()
    always.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[tiny_logger])
    assert tiny_logger.clipped.all()
    never = _regressor()
    rnnzoo.compile_model(never, clipnorm=None)
    none_logger = GradientNormLogger()
    never.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[none_logger])
    assert not none_logger.clipped.any()


@pytest.mark.slow
def test_adding_problem_quick():
    """Short sequences: the LSTM gets well below the 0.167 baseline within seconds."""
    from adding_problem import run

    result = run("lstm", length=20, minutes=0.4, units=32, train_size=5000)
    assert result["test_mse"] < 0.05, result
