"""Bahdanau and Luong attention and the attention decoder agree with a direct NumPy computation of the formulas."""

import keras
import numpy as np
import pytest

from rnnzoo import reference
from rnnzoo.layers.attention import AttentionDecoder, BahdanauAttention, LuongAttention


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


def _inputs(query_dim=5, memory_dim=6):
    rng = np.random.default_rng(0)
    query = rng.normal(size=(3, query_dim)).astype("float32")
    memory = rng.normal(size=(3, 7, memory_dim)).astype("float32")
    mask = np.ones((3, 7), bool)
    mask[1, 4:] = False
    mask[2, 1:] = False
    return query, memory, mask


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_bahdanau_matches_numpy(normalize, masked):
    query, memory, mask = _inputs()
    mask = mask if masked else None
    layer = BahdanauAttention(4, normalize=normalize)
    layer(query, memory)
    _randomize(layer)
    context, weights = layer(query, memory, memory_mask=mask)
    w = reference.attention_of(layer)
    ref_context, ref_weights = reference.bahdanau_attention(
        query.astype("float64"), memory.astype("float64"), w["memory_kernel"], w["query_kernel"], w["v"], mask,
        w.get("g"), w.get("b"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), ref_weights, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(context), ref_context, atol=1e-5)
    if masked:
        assert np.all(keras.ops.convert_to_numpy(weights)[~mask] < 1e-8)  # padding gets no attention


@pytest.mark.parametrize("score_mode", LuongAttention.SCORE_MODES)
def test_luong_matches_numpy(score_mode):
    query, memory, mask = _inputs(6, 6)
    layer = LuongAttention(score_mode)
    layer(query, memory)
    if layer.weights:
        _randomize(layer)
    context, weights = layer(query, memory, memory_mask=mask)
    ref_context, ref_weights = reference.luong_attention(
        query.astype("float64"), memory.astype("float64"), reference.attention_of(layer).get("kernel"),
        score_mode, mask)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), ref_weights, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(context), ref_context, atol=1e-5)


def test_attention_over_many_queries_equals_one_at_a_time():
    _, memory, mask = _inputs()
    queries = np.random.default_rng(3).normal(size=(3, 4, 5)).astype("float32")
    layer = BahdanauAttention(4)
    context, weights = layer(queries, memory, memory_mask=mask)
    for t in range(4):
        c, w = layer(queries[:, t], memory, memory_mask=mask)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(weights)[:, t], keras.ops.convert_to_numpy(w), atol=1e-6)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(context)[:, t], keras.ops.convert_to_numpy(c), atol=1e-6)


def test_dot_scores_need_equal_sizes():
    query, memory, _ = _inputs(5, 6)
    with pytest.raises(ValueError, match="same size"):
        LuongAttention("dot")(query, memory)
    with pytest.raises(ValueError, match="score_mode"):
        LuongAttention("cosine")


@pytest.mark.parametrize("attention,cell", [("bahdanau", "lstm"), ("bahdanau", "gru"), ("luong", "lstm"),
                                            ("luong", "rnn")])
def test_attention_decoder_matches_numpy(attention, cell):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(3, 5, 4)).astype("float32")
    _, memory, mask = _inputs()
    states = [rng.normal(size=(3, 6)).astype("float32") for _ in range(2 if cell == "lstm" else 1)]
    layer = AttentionDecoder(6, cell=cell, attention=attention)
    layer(inputs, memory, states)
    _randomize(layer, seed=2)
    outputs, weights = layer.run(inputs, memory, states, memory_mask=mask)
    ref_outputs, ref_weights = reference.attention_decoder(layer, inputs.astype("float64"),
                                                           memory.astype("float64"), states, mask)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs), ref_outputs, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), ref_weights, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights).sum(-1), 1.0, atol=1e-5)


def test_layers_round_trip_their_config():
    for layer in (BahdanauAttention(4, normalize=True), LuongAttention("scaled_dot"),
                  AttentionDecoder(6, cell="gru", attention="luong", input_feeding=False)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_wide_step_equals_the_cell_in_float32(cell):
    from rnnzoo.layers.attention import _wide_step

    layer = AttentionDecoder(6, cell=cell)
    layer.cell.build((None, 5))
    _randomize(layer.cell, seed=3)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5)).astype("float32")
    states = [rng.normal(size=(3, 6)).astype("float32") for _ in range(layer.num_cell_states)]
    h, new = _wide_step(layer.cell, cell, x, states)
    ref_h, ref_new = layer.cell(x, states)
    ref_new = ref_new if isinstance(ref_new, (list, tuple)) else [ref_new]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(h), keras.ops.convert_to_numpy(ref_h), atol=1e-6)
    for a, b in zip(new, ref_new, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_mixed_precision_decoder_carries_float32_states(cell, monkeypatch):
    """Under mixed bfloat16 the decoder's gates and cell states are float32 (the multiplies run in bfloat16), which
    keeps a 200-step decoder closer to the float32 one than Keras' cell, whose gates and states are bfloat16."""
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(4, 200, 8)).astype("float32")
    memory = rng.normal(size=(4, 7, 6)).astype("float32")
    states = [rng.normal(size=(4, 16)).astype("float32") for _ in range(2 if cell == "lstm" else 1)]
    layer = AttentionDecoder(16, cell=cell)
    reference_outputs = keras.ops.convert_to_numpy(layer(inputs, memory, states))[..., :16]
    for sub in (layer, layer.cell, layer.attention):
        sub.dtype_policy = "mixed_bfloat16"
    carry = layer.initial_carry(states, keras.ops.cast(memory, "bfloat16"))
    assert [keras.backend.standardize_dtype(s.dtype) for s in carry["states"]] == ["float32"] * len(states)

    def error():
        out = keras.ops.convert_to_numpy(keras.ops.cast(layer(inputs, memory, states), "float32"))[..., :16]
        return np.abs(out - reference_outputs).mean()

    wide = error()
    monkeypatch.setattr(AttentionDecoder, "wide_states", property(lambda self: False))
    keras_cell = error()
    assert wide < 0.8 * keras_cell, (wide, keras_cell)


def test_mixed_precision_decoder_keeps_small_increments_of_the_cell_state(monkeypatch):
    """A cell state growing by ~0.005 a step from 4.0: bfloat16 (spacing 1/32 there, forget gate 0.99966 rounded to
    1) never moves it, the decoder's float32 state follows the float32 decoder."""
    units, steps = 4, 200
    memory = np.ones((2, 3, 5), "float32")
    layer = AttentionDecoder(units, cell="lstm")
    layer(np.zeros((2, 1, 3), "float32"), memory, [np.zeros((2, units), "float32")] * 2)
    layer.set_weights([np.zeros(w.shape, "float32") for w in layer.get_weights()])
    bias = np.concatenate([np.full(units, -2.0), np.full(units, 8.0), np.full(units, 0.05), np.zeros(units)])
    layer.cell.bias.assign(bias.astype("float32"))
    x = np.zeros((2, 3), "float32")

    def final_cell_state():
        keys = layer.keys(keras.ops.cast(memory, layer.compute_dtype))
        carry = layer.initial_carry([np.zeros((2, units), "float32"), np.full((2, units), 4.0, "float32")],
                                    keras.ops.cast(memory, layer.compute_dtype))
        for _ in range(steps):
            _, carry = layer.step(keras.ops.cast(x, layer.compute_dtype), carry, keys,
                                  keras.ops.cast(memory, layer.compute_dtype))
        return float(keras.ops.convert_to_numpy(keras.ops.cast(carry["states"][1], "float32"))[0, 0])

    expected = final_cell_state()
    assert 4.7 < expected < 5.1  # float32: 4 + Σ (i·g − (1 − f)·c) over 200 steps
    for sub in (layer, layer.cell, layer.attention):
        sub.dtype_policy = "mixed_bfloat16"
    assert abs(final_cell_state() - expected) < 0.01
    monkeypatch.setattr(AttentionDecoder, "wide_states", property(lambda self: False))
    assert final_cell_state() == 4.0  # Keras' bfloat16 cell state: every increment lost
