import keras
import numpy as np
import pytest

from rnnzoo.layers import recurrent_layer, recurrent_stack, sequence_input


def _recurrent_layers(model):
    out = []
    for layer in model.layers:
        inner = [layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional) else [layer]
        out += [l for l in inner if isinstance(l, keras.layers.RNN)]
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_defaults_stay_on_the_cudnn_path(cell):
    layer = recurrent_layer(cell, 8)
    assert layer.cell.activation is keras.activations.tanh
    if cell != "rnn":
        assert layer.cell.recurrent_activation is keras.activations.sigmoid
    assert layer.cell.recurrent_dropout == 0 and not layer.unroll and layer.cell.use_bias
    assert isinstance(layer.cell.recurrent_initializer, keras.initializers.Orthogonal)
    if cell == "gru":
        assert layer.cell.reset_after


@pytest.mark.parametrize("merge_mode,width", [("concat", 16), ("sum", 8), ("mul", 8), ("ave", 8)])
def test_bidirectional_merge_modes(merge_mode, width):
    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    y = recurrent_stack(x, cell="gru", units=8, bidirectional=True, merge_mode=merge_mode)
    assert tuple(y.shape) == (None, None, width)
    # by value: the merge of the forward run and the time-reversed backward run, computed here from the two halves
    model, embed = keras.Model(inputs, y), keras.Model(inputs, x)
    bi = next(l for l in model.layers if isinstance(l, keras.layers.Bidirectional))
    ids = np.random.default_rng(0).integers(1, 20, (2, 5)).astype("int32")  # no padding
    e = embed(ids)
    forward = keras.ops.convert_to_numpy(bi.forward_layer(e))
    backward = keras.ops.convert_to_numpy(bi.backward_layer(e))[:, ::-1]
    expected = {"concat": np.concatenate([forward, backward], -1), "sum": forward + backward,
                "mul": forward * backward, "ave": (forward + backward) / 2}[merge_mode]
    assert not np.allclose(forward, backward, atol=1e-3)  # the two directions differ, so the modes differ
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(ids)), expected, atol=1e-6)


def test_layers_residual_dropout_and_names():
    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    y = recurrent_stack(x, cell="lstm", units=8, num_layers=3, residual=True, dropout=0.2)
    model = keras.Model(inputs, y)
    names = [l.name for l in model.layers]
    assert {"recurrent_1", "recurrent_2", "recurrent_3"} <= set(names)
    assert {"recurrent_2_residual", "recurrent_3_residual"} <= set(names)  # layer 1 changes the width
    assert "recurrent_1_dropout" in names
    assert len(_recurrent_layers(model)) == 3


@pytest.mark.parametrize("cell,bidirectional,num_states", [("lstm", False, 2), ("gru", False, 1),
                                                            ("lstm", True, 4), ("rnn", True, 2)])
def test_return_state(cell, bidirectional, num_states):
    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    y, states = recurrent_stack(x, cell=cell, units=8, bidirectional=bidirectional, return_sequences=False,
                                return_state=True)
    assert len(states) == num_states and all(tuple(s.shape) == (None, 8) for s in states)
    ids = np.array([[1, 2, 3, 0]])
    out = keras.Model(inputs, [y] + states).predict(ids, verbose=0)
    np.testing.assert_allclose(out[0][:, :8], out[1], atol=1e-6)  # forward output == forward h


def test_pretrained_embeddings_frozen_and_trainable(tmp_path):
    import json

    matrix = np.random.default_rng(0).normal(size=(20, 6)).astype("float32")
    for trainable in (False, True):
        inputs, x = sequence_input(embeddings=matrix, trainable_embeddings=trainable)
        model = keras.Model(inputs, x)
        emb = model.get_layer("embedding")
        np.testing.assert_allclose(emb.embeddings.numpy(), matrix)
        assert emb.trainable is trainable
        # the matrix travels in the weights, not as JSON in the config (which bloated saved files five-fold)
        assert str(matrix[0, 0])[:6] not in json.dumps(emb.get_config())
        model.save(tmp_path / "m.keras")
        np.testing.assert_allclose(keras.saving.load_model(tmp_path / "m.keras").get_layer("embedding")
                                   .embeddings.numpy(), matrix)
    with pytest.raises(ValueError, match="rows"):
        sequence_input(vocabulary_size=10, embeddings=matrix)
    with pytest.raises(ValueError, match="2-D"):
        sequence_input(embeddings=matrix[0])


def test_one_hot_input_is_the_seeds_formulation():
    inputs, x = sequence_input(input_mode="one_hot", vocabulary_size=5)
    out = keras.Model(inputs, x).predict(np.array([[1, 4, 0]]), verbose=0)
    np.testing.assert_array_equal(out[0], np.eye(5)[[1, 4, 0]])


def test_dense_input_needs_num_features():
    with pytest.raises(ValueError, match="num_features"):
        sequence_input(input_mode="dense")
    inputs, x = sequence_input(input_mode="dense", num_features=3)
    assert tuple(x.shape) == (None, None, 3)


def test_bad_stack_arguments():
    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    for kwargs, match in [({"num_layers": 0}, "num_layers"), ({"merge_mode": "max"}, "merge_mode"),
                          ({"dropout": 1.5}, "dropout"), ({"units": 0}, "units"), ({"cell": "lstmx"}, "cell")]:
        with pytest.raises(ValueError, match=match):
            recurrent_stack(x, **kwargs)
    with pytest.raises(ValueError, match="input_mode"):
        sequence_input(input_mode="words", vocabulary_size=10)


def test_embeddings_start_like_pytorch_unless_told_otherwise():
    """N(0, 1) by default (the epoch-1 gap of issue 17); any Keras initializer by name."""
    import numpy as np

    import rnnzoo

    table = rnnzoo.build("char_lstm_language_model", vocabulary_size=200, embedding_dim=64).get_layer("embedding")
    values = np.asarray(table.embeddings)
    assert 0.95 < values.std() < 1.05 and abs(values.mean()) < 0.02
    small = rnnzoo.build("char_lstm_language_model", vocabulary_size=200, embedding_dim=64,
                         embedding_initializer="uniform").get_layer("embedding")
    assert np.abs(np.asarray(small.embeddings)).max() <= 0.05
