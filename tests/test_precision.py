"""Training precision (`rnnzoo.precision`): mixed bfloat16 / float16 during training, float32 afterwards."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo import hardware, precision, xla
from rnnzoo.card import ModelCard
from rnnzoo.fitting import fit
from model_checks import run_on_backend

CHECK = """
import json, keras, numpy as np, rnnzoo
from rnnzoo.card import ModelCard
from rnnzoo.fitting import fit

def run(p):
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("char_lstm_language_model", vocabulary_size=20, embedding_dim=8, units=16, mask_zero=False)
    seen = {}
    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            layer = self.model.get_layer("recurrent_1")
            seen["compute"] = layer.compute_dtype
            seen["loop"] = layer.loop_used
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (32, 12)).astype("int32")
    y = rng.integers(1, 20, (32, 12)).astype("int32")
    result = fit(model, (x, y), card=ModelCard(model="char_lstm_language_model", task="language_model"),
                 epochs=2, batch_size=16, callbacks=[Watch()], precision=p)
    weights = np.concatenate([np.ravel(w) for w in result.model.get_weights()])
    return weights, seen, result.model.get_layer("recurrent_1").compute_dtype, str(result.model(x).dtype)

w32, seen32, _, _ = run("float32")
w16, seen16, after, out_dtype = run("bfloat16")
print("RESULTS" + json.dumps({"backend": keras.backend.backend(), "diff": float(np.max(np.abs(w32 - w16))),
                              "seen32": seen32, "seen16": seen16, "after": after, "out_dtype": out_dtype}))
"""


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 20, (32, 12)).astype("int32")
    return x, rng.integers(1, 20, (32, 12)).astype("int32")


def _model():
    keras.utils.set_random_seed(0)
    return rnnzoo.build("char_lstm_language_model", vocabulary_size=20, embedding_dim=8, units=16, mask_zero=False)


def _card():
    return ModelCard(model="char_lstm_language_model", task="language_model")


def test_names_aliases_and_a_clear_error():
    assert precision.resolve("float32") == precision.resolve(None) == "float32"
    assert precision.resolve("bf16") == precision.resolve("BFLOAT16") == precision.resolve("mixed_bfloat16") == \
        "bfloat16"
    assert precision.resolve("fp16") == "float16"
    with pytest.raises(ValueError, match="Unknown precision 'half'.*'auto', 'float32', 'bfloat16', 'float16'"):
        precision.resolve("half")


@pytest.mark.parametrize("flags, gpus, expected", [
    ({"avx512_bf16": True, "amx": False}, [], "bfloat16"),
    ({"avx512_bf16": False, "amx": True}, [], "bfloat16"),
    ({"avx512_bf16": False, "amx": False}, [], "float32"),
    ({"avx512_bf16": False, "amx": False}, [{"name": "A100", "bf16": True}], "bfloat16"),
    ({"avx512_bf16": True, "amx": True}, [{"name": "T4", "bf16": False}], "float32"),
])
def test_auto_follows_the_hardware(monkeypatch, flags, gpus, expected):
    base = {"model": "test CPU", "cores": 2, "avx2": True, "avx512": True, "avx512_fp16": False}
    monkeypatch.setattr(hardware, "cpu_info", lambda: {**base, **flags})
    monkeypatch.setattr(hardware, "gpus", lambda: gpus)
    assert precision.resolve("auto") == expected
    assert hardware.describe_hardware()["auto_precision"] == expected
    assert "chosen by precision='auto'" in precision.announce(expected, "auto")


def test_describe_hardware_reads_this_machine():
    info = rnnzoo.describe_hardware()
    assert info["threads"] >= 1 and info["backend"] == keras.backend.backend()
    assert {"avx2", "avx512", "avx512_bf16", "amx"} <= set(info["cpu"])
    assert info["auto_precision"] in ("float32", "bfloat16")
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    assert info["cpu"]["avx512_bf16"] == (" avx512_bf16" in flags)


def test_bfloat16_trains_in_bfloat16_and_leaves_a_float32_model(tmp_path, capsys):
    x, y = _data()
    seen = {}

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen["recurrent"] = self.model.get_layer("recurrent_1").compute_dtype
            seen["cell"] = self.model.get_layer("recurrent_1").cell.compute_dtype
            seen["logits"] = self.model.get_layer("logits").compute_dtype

    ref = fit(_model(), (x, y), card=_card(), epochs=2, batch_size=16, precision="float32")
    out = str(tmp_path / "run")
    result = fit(_model(), (x, y), card=_card(), epochs=2, batch_size=16, callbacks=[Watch()], precision="bfloat16",
                 out=out, verbose=2)
    assert "rnnzoo: training in mixed bfloat16" in capsys.readouterr().err  # a notice: standard error
    assert seen == {"recurrent": "bfloat16", "cell": "bfloat16", "logits": "float32"}
    # the bf16 steps really ran: the weights moved differently from float32's, but not far
    diff = max(np.max(np.abs(a - b)) for a, b in zip(ref.model.get_weights(), result.model.get_weights()))
    assert 1e-6 < diff < 0.05, diff
    # afterwards the model is float32: layers, its predictions, the card, and the saved file
    assert all(layer.compute_dtype == "float32" for layer in precision._layers(result.model))
    assert result.card.training["precision"] == "bfloat16"
    loaded = rnnzoo.load(out).model
    assert all(layer.dtype_policy.name == "float32" for layer in precision._layers(loaded))
    assert rnnzoo.card_of(loaded).training["precision"] == "bfloat16"
    got = keras.ops.convert_to_numpy(result.model.predict(x, verbose=0))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(loaded(x)), atol=1e-5)


def test_named_layers_stay_float32_under_mixed_precision():
    from rnnzoo import config

    model = _model()
    with config.using(float32_layers=["recurrent_1"]), precision.training_precision(model, "bfloat16"):
        seen = {layer.name: layer.compute_dtype for layer in precision._layers(model)}
    assert seen["recurrent_1"] == seen[model.get_layer("recurrent_1").cell.name] == "float32"  # and what is inside
    assert seen["embedding"] == "bfloat16" and seen["logits"] == "float32"
    assert config.settings.float32_layers is None  # the task's choice, outside the block
    with pytest.raises(ValueError, match="list of layer names"):
        config.set(float32_layers="encoder_1")


def test_float16_scales_the_loss():
    x, y = _data()
    seen = {}

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen["optimizer"] = type(self.model.optimizer).__name__
            seen["compute"] = self.model.get_layer("embedding").compute_dtype

    result = fit(_model(), (x, y), card=_card(), epochs=1, batch_size=16, callbacks=[Watch()], precision="float16")
    assert seen == {"optimizer": "LossScaleOptimizer", "compute": "float16"}
    assert np.isfinite(result.metrics.get("epochs_run", 1))


def test_train_and_cli_take_precision(tmp_path):
    result = rnnzoo.train("gru_classifier", "sentiment", epochs=1, units=8, embedding_dim=8, verbose=0,
                          precision="bf16")
    assert result.card.training["precision"] == "bfloat16"
    assert result.card.training["precision_requested"] == "bf16"
    with pytest.raises(ValueError, match="Unknown precision"):
        rnnzoo.train("gru_classifier", "sentiment", epochs=1, precision="int4")
    proc = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "hardware", "--json"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1])["auto_precision"] in ("float32", "bfloat16")
    proc = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "train", "gru_classifier", "--data", "sentiment",
                           "--precision", "half"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "invalid choice: 'half'" in proc.stderr


def test_torch_backend_runs_its_fused_kernel_in_bfloat16():
    data = run_on_backend(CHECK, "torch", timeout=600)
    assert data["seen16"] == {"compute": "bfloat16", "loop": data["seen32"]["loop"]}
    assert data["seen32"]["loop"].startswith("rnnzoo kernel")
    assert data["after"] == "float32" and data["out_dtype"] == "torch.float32"
    assert 1e-6 < data["diff"] < 0.05


def test_global_clipnorm_clips_all_gradients_together():
    model = _model()
    rnnzoo.compile_model(model, clipnorm=None, global_clipnorm=0.5)
    assert model.optimizer.global_clipnorm == 0.5 and model.optimizer.clipnorm is None
    rnnzoo.compile_model(model)
    assert model.optimizer.clipnorm == 1.0 and model.optimizer.global_clipnorm is None
    with pytest.raises(ValueError, match="either clipnorm .* or global_clipnorm"):
        rnnzoo.compile_model(model, global_clipnorm=1.0)


def test_compiled_call_equals_the_model():
    from rnnzoo.inference import compiled_call

    model = _model()
    x, _ = _data()
    got = keras.ops.convert_to_numpy(compiled_call(model)(x))
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(model(x, training=False)), atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="Keras' predict under XLA is TensorFlow's")
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_predict_with_jit_compile_matches_predict_without(cell):
    """The README's opt-in for `predict` under XLA (`model.jit_compile = True`, which Keras leaves off on a CPU):
    rnnzoo's forward-only loop compiles and gives Keras' graph-mode answers."""
    model = rnnzoo.build(f"{cell}_language_model", vocabulary_size=20, embedding_dim=8, units=16)
    x = np.random.default_rng(0).integers(1, 20, (40, 9)).astype("int32")
    graph = model.predict(x, batch_size=16, verbose=0)
    assert model.jit_compile is False  # Keras' choice on a CPU
    model.jit_compile = True
    model.predict_function = None
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0), graph, atol=1e-5)


@pytest.mark.parametrize("kept", [("decoder",), ("embedding", "encoder_1")])
def test_seq2seq_decodes_with_one_side_kept_float32(kept):
    """A float32 decoder fed by a bfloat16 encoder (or the reverse) decodes: the decoder's loop carries its states
    in the dtype its step returns."""
    from rnnzoo import config
    from rnnzoo.decoding import DECODERS

    model = rnnzoo.load(os.path.join(os.path.dirname(os.path.dirname(__file__)), "saved_models", "dates_bahdanau"))
    texts = ["Saturday, July 4, 1987", "12/25/99"]
    expected = rnnzoo.translate(model, texts)
    DECODERS.clear()
    with config.using(float32_layers=kept), precision.training_precision(model.model, "bfloat16"):
        assert rnnzoo.translate(model, texts) == expected
        assert rnnzoo.translate(model, texts[0], beam_width=3)
    DECODERS.clear()


@pytest.mark.parametrize("setting, kept", [(None, ("embedding", "encoder_1")), ([], ()), (["decoder"], ("decoder",))])
def test_seq2seq_trains_with_its_source_side_float32_unless_told_otherwise(setting, kept):
    """Under mixed precision the seq2seq task keeps its source embedding and first encoder layer float32 (its
    `mixed_precision_float32`); `rnnzoo.config.set(float32_layers=...)` replaces the choice ([] keeps none). The
    card records what was kept."""
    from rnnzoo import config

    rng = np.random.default_rng(0)
    source, target = rng.integers(1, 20, (32, 7)).astype("int32"), rng.integers(1, 15, (32, 7)).astype("int32")
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("bahdanau_seq2seq", vocabulary_size=20, target_vocabulary_size=15, units=8, embedding_dim=8,
                         num_layers=2)
    seen = {}

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.update({layer.name: layer.compute_dtype for layer in self.model.layers})

    with config.using(float32_layers=setting):
        result = fit(model, ((source, target[:, :-1]), target[:, 1:]), card=ModelCard(model="bahdanau_seq2seq",
                     task="seq2seq"), epochs=1, batch_size=16, callbacks=[Watch()], precision="bfloat16", verbose=0)
    for name in ("embedding", "encoder_1", "encoder_2", "target_embedding", "decoder"):
        assert seen[name] == ("float32" if name in kept else "bfloat16"), (name, seen)
    assert seen["logits"] == "float32"
    assert result.card.training["float32_layers"] == list(kept)


def _lm_data(rows=32, length=9, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 20, (rows, length)).astype("int32"), rng.integers(1, 20, (rows, length)).astype("int32")


def test_xla_training_is_chosen_where_it_pays():
    """"auto": XLA for float32 training of a model on rnnzoo's LSTM/GRU kernel on a CPU, with batches of one length
    and enough steps to repay the compilation; not for bfloat16 (XLA's CPU bfloat16 multiplies are slow), several
    devices, variable lengths, short runs or models without the kernel. The setting forces either way."""
    import tensorflow as tf

    from rnnzoo import config
    from rnnzoo.fitting import array_dataset

    model = rnnzoo.build("lstm_language_model", vocabulary_size=20, embedding_dim=6, units=8)
    fixed = array_dataset(*_lm_data(), batch_size=4)
    many = xla.XLA_MIN_STEPS
    assert xla.xla_training(model, "float32", fixed, steps=many) is True
    assert xla.xla_training(model, "float32", fixed, steps=None) is True
    assert xla.xla_training(model, "float32", fixed, steps=many - 1) is False
    assert xla.xla_training(model, "bfloat16", fixed, steps=many) is False
    assert xla.xla_training(model, "float32", fixed, steps=many, distributed=True) is False
    ragged = tf.data.Dataset.from_generator(
        lambda: iter([(np.ones((2, 5), "int32"), np.ones((2, 5), "int32"))]),
        output_signature=(tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, None), tf.int32)))
    assert xla.xla_training(model, "float32", ragged, steps=many) is False
    with config.using(fast_kernels=False):
        assert xla.xla_training(model, "float32", fixed, steps=many) is False
    with config.using(xla_training=False):
        assert xla.xla_training(model, "float32", fixed, steps=many) is False
    with config.using(xla_training=True):
        assert xla.xla_training(model, "bfloat16", ragged, steps=1) is True
    plain = rnnzoo.build("rnn_language_model", vocabulary_size=20, embedding_dim=6, units=4)
    assert xla.xla_training(plain, "float32", fixed, steps=many) is False
    for name, options in (("bahdanau_seq2seq", {"target_vocabulary_size": 9}),  # its decoder's loop does not compile with XLA
                          ("bilstm_tagger", {"num_tags": 3})):  # slower under XLA
        other = rnnzoo.build(name, vocabulary_size=20, embedding_dim=6, units=4, **options)
        assert xla.xla_training(other, "float32", fixed, steps=many) is False, name
    with pytest.raises(ValueError, match="xla_training takes"):
        config.set(xla_training="yes")


def test_fit_under_xla_trains_as_without_and_leaves_the_model_as_it_was():
    """The fitting loop's XLA-compiled training gives the losses and weights of the graph-mode one; the card
    records it, and the model's own jit setting returns afterwards (evaluation and prediction as before)."""
    from rnnzoo import config

    x, y = _lm_data()
    results = {}
    for xla in (True, False):
        keras.utils.set_random_seed(0)
        model = rnnzoo.build("lstm_language_model", vocabulary_size=20, embedding_dim=6, units=8)
        with config.using(xla_training=xla):
            results[xla] = fit(model, (x, y), (x[:8], y[:8]), card=ModelCard(model="lstm_language_model",
                                                                              task="language_model"),
                               epochs=2, batch_size=8, verbose=0)
        assert results[xla].card.training["xla"] is xla
        assert model.jit_compile is False and model.train_function is None
    np.testing.assert_allclose(results[True].history["loss"], results[False].history["loss"], rtol=1e-5)
    for a, b in zip(results[True].model.get_weights(), results[False].model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_dropout_under_xla_draws_with_philox():
    """Inside `compiled_with_xla(model, True)` Keras' dropout names the Philox generator (XLA's own choice on a CPU
    took 100× longer); outside, and with XLA off, Keras' dropout is untouched."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import random as tf_random

    keras_dropout = tf_random.dropout
    model = rnnzoo.build("lstm_language_model", vocabulary_size=20, embedding_dim=6, units=8)
    with xla.compiled_with_xla(model, False):
        assert tf_random.dropout is keras_dropout
    with xla.compiled_with_xla(model, True):
        assert getattr(tf_random.dropout, "rnnzoo_philox", False) and model.jit_compile
        x = tf.ones((8, 50))
        layer = keras.layers.Dropout(0.25, seed=1)
        dropped = tf.function(lambda v: layer(v, training=True), jit_compile=True)(x)
        kept = float(tf.reduce_mean(tf.cast(dropped > 0, tf.float32)))
        assert 0.6 < kept < 0.9 and float(tf.reduce_max(dropped)) == pytest.approx(1 / 0.75)
    assert tf_random.dropout is keras_dropout and not model.jit_compile


@pytest.mark.slow
def test_every_model_auto_compiles_with_xla_trains_under_it():
    """Each registered model "auto" would train under XLA (its tiny config) takes XLA-compiled training steps that
    change every weight; those "auto" leaves out include the attention seq2seq models."""
    from model_checks import tiny

    picked = []
    for name in rnnzoo.list_models():
        model, _, _, (x, y) = tiny(name)
        if not xla.xla_training(model, "float32", None):
            continue
        picked.append(name)
        rnnzoo.compile_model(model, learning_rate=1e-2)
        before = [np.array(w) for w in model.trainable_weights]
        with xla.compiled_with_xla(model, True):
            loss = np.ravel(model.train_on_batch(x, y))[0]
            assert model.jit_compile and model.train_function is not None, name
        assert np.isfinite(loss), (name, loss)
        unchanged = [w.path for w, b in zip(model.trainable_weights, before) if np.array_equal(np.array(w), b)]
        assert not unchanged, (name, unchanged)
    assert {"lstm_language_model", "gru_classifier", "lstm_tagger", "lstm_forecaster"} <= set(picked), picked
    assert not {"bahdanau_seq2seq", "bilstm_classifier", "char_qrnn_language_model"} & set(picked), picked
