"""Samplers on fake logits (no trained model), the compiled decode loop, scoring and generation."""

import math

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.decoding import StepModel, decode, draw_uniforms, get_sampler
from rnnzoo.text import TextEncoder

LOGITS = np.log(np.array([[0.05, 0.5, 0.3, 0.1, 0.05]] * 4000, "float32"))


def _draws(sampler, seed=0):
    u = keras.random.uniform((len(LOGITS),), seed=seed)
    return keras.ops.convert_to_numpy(sampler(keras.ops.convert_to_tensor(LOGITS), u))


def _frequencies(sampler):
    return np.bincount(_draws(sampler), minlength=5) / len(LOGITS)


def test_greedy_picks_the_argmax():
    assert (_draws(get_sampler("greedy")) == 1).all()


def test_random_sampler_follows_the_distribution_and_temperature():
    np.testing.assert_allclose(_frequencies(get_sampler("random")), [0.05, 0.5, 0.3, 0.1, 0.05], atol=0.03)
    sharp = _frequencies(get_sampler("random", temperature=0.5))
    expected = np.array([0.05, 0.5, 0.3, 0.1, 0.05]) ** 2
    np.testing.assert_allclose(sharp, expected / expected.sum(), atol=0.03)
    assert _frequencies(get_sampler("random", temperature=3.0))[0] > 0.1  # flatter


def test_top_k_and_top_p_stay_inside_their_sets():
    top2 = _frequencies(get_sampler("top_k", k=2))
    assert top2[[0, 3, 4]].sum() == 0
    np.testing.assert_allclose(top2[[1, 2]], [0.5 / 0.8, 0.3 / 0.8], atol=0.03)
    nucleus = _frequencies(get_sampler("top_p", p=0.75))  # 0.5 + 0.3 reaches 0.75: tokens 1 and 2 only
    assert nucleus[[0, 3, 4]].sum() == 0 and nucleus[2] > 0.3
    assert (_draws(get_sampler("top_p", p=0.4)) == 1).all()  # the top token alone already reaches p


def test_samplers_are_reproducible_and_validate_options():
    s = get_sampler("top_p", p=0.9, temperature=0.8)
    assert (_draws(s, seed=5) == _draws(s, seed=5)).all()
    assert (_draws(s, seed=5) != _draws(s, seed=6)).any()
    for name, options, match in [("nucleus", {}, "Unknown sampler"), ("top_k", {"k": 0}, "positive"),
                                 ("top_p", {"p": 1.5}, "p must"), ("random", {"temperature": 0}, "positive"),
                                 ("top_k", {"p": 0.5}, "does not take")]:
        with pytest.raises(ValueError, match=match):
            get_sampler(name, **options)


@pytest.fixture(scope="module")
def tiny_lm():
    encoder = TextEncoder.fit(["abcde fghij"], level="char", min_frequency=1)
    model = rnnzoo.build("char_lstm_language_model", vocabulary_size=len(encoder), units=8, embedding_dim=4,
                         num_layers=2, residual=True,
                         metadata={"task": "language_model", "text": encoder.get_config()})
    return model


def test_step_model_matches_the_full_model(tiny_lm):
    x = np.array([[2, 5, 6, 7, 8, 9]], "int32")
    full = keras.ops.convert_to_numpy(tiny_lm(x))
    step = StepModel(tiny_lm)
    states = step.initial_states(1)
    for t in range(x.shape[1]):
        logits, states = step(keras.ops.convert_to_tensor(x[:, t]), states)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), full[:, t], atol=1e-5)


def test_compiled_loop_equals_eager_loop_and_handles_batches(tiny_lm):
    prompts = np.array([[2, 5, 6, 0], [2, 7, 8, 9]], "int32")
    lengths = np.array([3, 4], "int32")
    for sampler in ("greedy", "top_k", "random"):
        a = decode(tiny_lm, prompts, lengths, 12, get_sampler(sampler), seed=3)
        b = decode(tiny_lm, prompts, lengths, 12, get_sampler(sampler), seed=3, compile=False)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a[0, :3], [2, 5, 6])  # the prompt is kept as given
        np.testing.assert_array_equal(a[1, :4], [2, 7, 8, 9])
        assert (a[0, 3:15] > 0).any()


def test_sampling_draws_numpy_uniforms_from_the_seed(tiny_lm):
    # The same seed gives the same numbers on every backend: NumPy's PCG64, drawn before the compiled loop.
    expected = np.random.default_rng(11).random((5, 2), dtype=np.float32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(draw_uniforms(5, 2, seed=11)), expected)
    a = keras.ops.convert_to_numpy(draw_uniforms(5, 2))
    assert a.shape == (5, 2) and ((a >= 0) & (a < 1)).all()
    prompts, lengths = np.array([[2, 5]], "int32"), np.array([2], "int32")
    runs = {seed: decode(tiny_lm, prompts, lengths, 30, get_sampler("random"), seed=seed) for seed in (1, 1, 2)}
    np.testing.assert_array_equal(decode(tiny_lm, prompts, lengths, 30, get_sampler("random"), seed=1), runs[1])
    assert (runs[1] != runs[2]).any()


def test_decoding_stops_at_end():
    encoder = TextEncoder.fit(["ab"], level="char", min_frequency=1)
    model = rnnzoo.build("char_gru_language_model", vocabulary_size=len(encoder), units=4, embedding_dim=4,
                         metadata={"task": "language_model", "text": encoder.get_config()})
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    bias[:] = -20.0
    bias[3] = 20.0  # [END] is overwhelmingly likely
    logits.set_weights([np.zeros_like(kernel), bias])
    out = decode(model, np.array([[2]], "int32"), np.array([1], "int32"), 10, get_sampler("greedy"))
    assert out[0, 1] == 3 and (out[0, 2:] == 0).all()
    assert rnnzoo.generate(model, "ab", max_length=10) == "ab"


def test_generate_text_api(tiny_lm):
    one = rnnzoo.generate(tiny_lm, "abc", max_length=20, sampler="top_p", p=0.9, temperature=0.8, seed=1)
    assert one.startswith("abc") and len(one) <= 23
    assert one == rnnzoo.generate(tiny_lm, "abc", max_length=20, sampler="top_p", p=0.9, temperature=0.8, seed=1)
    batch = rnnzoo.generate(tiny_lm, ["a", "fgh"], max_length=5, sampler="random", seed=0)
    assert batch[0].startswith("a") and batch[1].startswith("fgh")
    with pytest.raises(ValueError, match="max_length"):
        rnnzoo.generate(tiny_lm, "a", max_length=0)
    with pytest.raises(ValueError, match="not a language model"):
        rnnzoo.generate(rnnzoo.build("gru_classifier", vocabulary_size=10, units=4,
                                     metadata={"task": "classifier"}), "a")


def test_score_is_the_sum_of_next_token_log_probs(tiny_lm):
    result = rnnzoo.score(tiny_lm, "abz")
    assert result["num_tokens"] == 3 and result["unknown"] == ["z"]
    ids = [2] + [tiny_lm_encoder_id(tiny_lm, c) for c in "abz"]
    logits = keras.ops.convert_to_numpy(tiny_lm(np.array([ids[:-1]])))[0]
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = sum(logp[t, ids[t + 1]] for t in range(3))
    assert result["log_prob"] == pytest.approx(expected, abs=1e-4)
    assert result["perplexity"] == pytest.approx(math.exp(-expected / 3), rel=1e-4)
    assert "[UNK]" in result["tokens"][2][0]
    both = rnnzoo.score(tiny_lm, ["abc", "fghij"])
    assert [r["num_tokens"] for r in both] == [3, 5]
    with pytest.raises(ValueError, match="empty"):
        rnnzoo.score(tiny_lm, "")


def tiny_lm_encoder_id(model, token):
    return rnnzoo.TrainedModel.of(model).encoder.vocabulary.word_to_index(token)


def test_suppressed_ids_are_never_generated():
    encoder = TextEncoder.fit(["ab"], level="char", min_frequency=1)
    model = rnnzoo.build("char_gru_language_model", vocabulary_size=len(encoder), units=4, embedding_dim=4,
                         metadata={"task": "language_model", "text": encoder.get_config()})
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    bias[:] = 0.0
    bias[1] = 5.0  # [UNK] is the most likely token
    logits.set_weights([np.zeros_like(kernel), bias])
    out = decode(model, np.array([[2]], "int32"), np.array([1], "int32"), 30, get_sampler("random"), seed=0)
    assert 1 not in out[0, 1:] and 2 not in out[0, 1:]
    allowed = decode(model, np.array([[2]], "int32"), np.array([1], "int32"), 30, get_sampler("greedy"),
                     suppress=(0,))
    assert allowed[0, 1] == 1


def test_a_temperature_sweep_reuses_one_compiled_loop_and_matches_the_eager_loop():
    """Temperature and p are values of the compiled loop, not constants: sweeping them compiles once (a compile
    per value used to make TensorFlow warn about retracing in the notebooks), with the eager loop's output."""
    import keras

    from rnnzoo.decoding import DECODERS, decode

    model = rnnzoo.build("lstm_language_model", vocabulary_size=20, units=8, embedding_dim=4)
    DECODERS.clear()
    prompts, lengths = np.array([[2, 5, 6]]), np.array([3])
    for options in ({"temperature": 0.3}, {"temperature": 0.7}, {"temperature": 1.5}):
        sampler = rnnzoo.decoding.get_sampler("random", **options)
        compiled = decode(model, prompts, lengths, 12, sampler, seed=4)
        eager = decode(model, prompts, lengths, 12, sampler, seed=4, compile=False)
        np.testing.assert_array_equal(compiled, eager)
    for p in (0.5, 0.95):
        sampler = rnnzoo.decoding.get_sampler("top_p", p=p)
        np.testing.assert_array_equal(decode(model, prompts, lengths, 12, sampler, seed=4),
                                      decode(model, prompts, lengths, 12, sampler, seed=4, compile=False))
    if keras.backend.backend() != "torch":
        assert len(DECODERS._loops[model]) == 2  # one loop for "random", one for "top_p"


def test_many_compiled_loops_are_not_reported_as_retracing(caplog):
    """Each output length compiles its own loop from the same closure; TensorFlow keys its retracing statistics by
    code object, so without `OwnFunction` the sixth loop logged "triggered tf.function retracing" (the notebooks
    showed it). Each loop now counts on its own."""
    import logging

    import keras

    from rnnzoo.decoding import decode

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's retracing warning")
    model = rnnzoo.build("gru_language_model", vocabulary_size=20, units=8, embedding_dim=4)
    caplog.set_level(logging.WARNING, logger="tensorflow")
    for max_new in range(3, 10):
        decode(model, np.array([[2, 5]]), np.array([2]), max_new, "greedy")
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
