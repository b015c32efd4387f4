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


def test_the_report_names_the_kernel_per_backend_and_device():
    """The decision table of rnnzoo.cudnn, answered for a GPU from this CPU machine (issue 38's acceptance: a
    masked LSTM language model gets cuDNN on TensorFlow and PyTorch)."""
    lm = rnnzoo.build("lstm_language_model", vocabulary_size=30, units=8)
    expect = {("tensorflow", "gpu"): "cuDNN", ("torch", "gpu"): "cuDNN", ("jax", "gpu"): "Keras generic loop",
              ("tensorflow", "cpu"): "rnnzoo TensorFlow kernel", ("torch", "cpu"): "oneDNN",
              ("jax", "cpu"): "Keras generic loop"}
    for (backend, device), kernel in expect.items():
        (entry,) = rnnzoo.cudnn_report(lm, backend=backend, device=device)
        assert entry["kernel"] == kernel and entry["masked"], (backend, device, entry)
        assert entry["cudnn"] == (backend != "jax")
    assert "refuses masks" in rnnzoo.cudnn_report(lm, backend="jax", device="gpu")[0]["reasons"][0]
    unmasked = rnnzoo.build("lstm_language_model", vocabulary_size=30, units=8, mask_zero=False)
    assert rnnzoo.cudnn_report(unmasked, backend="jax", device="gpu")[0]["kernel"] == "cuDNN"
    gru = rnnzoo.build("gru_language_model", vocabulary_size=30, units=8, mask_zero=False)
    assert "no cuDNN GRU" in rnnzoo.cudnn_report(gru, backend="jax", device="gpu")[0]["why"]
    with pytest.raises(ValueError, match="would miss cuDNN"):
        rnnzoo.cudnn_report(lm, backend="jax", strict=True)
    from rnnzoo import config

    with config.using(fast_kernels=False):
        assert rnnzoo.cudnn_report(lm, backend="tensorflow", device="cpu")[0]["kernel"] == "Keras generic loop"
    assert rnnzoo.cudnn_report(lm)[0]["device"] == "cpu"  # this machine's, by default
    with pytest.raises(ValueError, match="device must be"):
        rnnzoo.cudnn_report(lm, device="tpu")


@pytest.mark.slow  # a subprocess on the PyTorch backend
def test_on_a_faked_cuda_device_the_torch_route_calls_torch_lstm_and_matches_keras(tmp_path):
    """The masked token path on PyTorch calls torch.lstm / torch.gru whatever the device (it used to return to
    Keras' per-step loop on anything but a CPU): with the device faked as CUDA, the layers report cuDNN, call the
    fused op, and equal Keras' own loop within 1e-5 on a right-padded batch."""
    import os
    import subprocess
    import sys

    code = """
import numpy as np, keras, torch, rnnzoo
from rnnzoo import config
from rnnzoo.layers import kernels
kernels._device_type = lambda t: "cuda"
calls = []
for name in ("lstm", "gru"):
    real = getattr(torch, name)
    def spy(*a, _real=real, _name=name, **k):
        calls.append(_name)
        return _real(*a, **k)
    setattr(torch, name, spy)
x = np.array([[5, 9, 3, 7, 2, 6], [4, 8, 0, 0, 0, 0], [7, 3, 5, 0, 0, 0]])
for model_name in ("lstm_language_model", "gru_language_model", "bilstm_classifier"):
    options = {"num_classes": 3} if "classifier" in model_name else {}
    model = rnnzoo.build(model_name, vocabulary_size=12, units=6, embedding_dim=4, **options)
    before = len(calls)
    fast = keras.ops.convert_to_numpy(model(x, training=False))
    used = {l.loop_used for l in model._flatten_layers(include_self=False) if hasattr(l, "loop_used")} - {None}
    assert len(calls) > before, (model_name, calls)
    assert all("cuDNN" in u for u in used), (model_name, used)
    with config.using(fast_kernels=False):
        plain = keras.ops.convert_to_numpy(model(x, training=False))
    valid = (x > 0) if fast.ndim == 3 else np.ones(len(x), bool)
    diff = float(np.abs(fast - plain)[valid].max())
    assert diff <= 1e-5, (model_name, diff)
print("ok", sorted(set(calls)))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "KERAS_BACKEND": "torch"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split("ok", 1)[1].strip() == "['gru', 'lstm']"
