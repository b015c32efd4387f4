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
