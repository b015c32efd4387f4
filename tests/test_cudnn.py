import pytest

import rnnzoo
from rnnzoo.registry import get_spec


# every model built on the shared recurrent stack with an LSTM or GRU cell (tree models compose nodes themselves)
@pytest.mark.parametrize("name", [n for n in rnnzoo.list_models()
                                  if get_spec(n).defaults.get("cell") not in ("rnn", "mingru", "minlstm", "qrnn", "lru")
                                  and "num_layers" in get_spec(n).options()])
def test_every_lstm_and_gru_model_is_cudnn_eligible_by_default(name):
    model = rnnzoo.build(name, **get_spec(name).tiny)
    report = rnnzoo.cudnn_report(model, strict=True)
    assert report and all(r["cudnn"] for r in report), report
    bidirectional = get_spec(name).defaults.get("bidirectional") or get_spec(name).tiny.get("bidirectional")
    layers = {**get_spec(name).defaults, **get_spec(name).tiny}.get("num_layers", 1)
    decoder = 1 if get_spec(name).task == "seq2seq" and not get_spec(name).defaults.get("attention") else 0
    assert len(report) == layers * (2 if bidirectional else 1) + decoder  # + the baseline's decoder LSTM/GRU


@pytest.mark.parametrize("options,reason", [
    ({"recurrent_dropout": 0.1}, "recurrent_dropout"),
    ({"activation": "relu"}, "activation must be tanh"),
    ({"recurrent_activation": "hard_sigmoid"}, "recurrent_activation"),
    ({"use_bias": False}, "use_bias"),
    ({"unroll": True}, "unroll"),
    ({"use_cudnn": False}, "use_cudnn=False"),
])
def test_each_blocking_argument_is_named(options, reason):
    import keras

    from rnnzoo.layers import recurrent_stack, sequence_input

    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    model = keras.Model(inputs, recurrent_stack(x, cell="lstm", units=4, **options))
    report = rnnzoo.cudnn_report(model)
    assert not report[0]["cudnn"] and any(reason in r for r in report[0]["reasons"])
    with pytest.raises(ValueError, match="would miss cuDNN"):
        rnnzoo.cudnn_report(model, strict=True)


def test_gru_reset_after_and_simple_rnn():
    import keras

    from rnnzoo.layers import recurrent_stack, sequence_input

    inputs, x = sequence_input(vocabulary_size=20, embedding_dim=4)
    model = keras.Model(inputs, recurrent_stack(x, cell="gru", units=4, reset_after=False))
    assert "reset_after" in rnnzoo.cudnn_report(model)[0]["reasons"][0]
    rnn = rnnzoo.cudnn_report(rnnzoo.build("rnn_classifier", vocabulary_size=20, units=4))
    assert not rnn[0]["cudnn"] and "no cuDNN kernel" in rnn[0]["reasons"][0]
    rnnzoo.cudnn_report(rnnzoo.build("rnn_classifier", vocabulary_size=20, units=4), strict=True)  # not LSTM/GRU
