"""Whether a training step compiles with XLA, and the switch that compiles it.

The fitting loop asks `xla_training` (recorded as `card.training["xla"]`) and trains inside `compiled_with_xla`.
On a CPU, XLA trains float32 models of rnnzoo's LSTM/GRU kernels faster than TensorFlow's graph mode, while in
bfloat16 it is slower (its CPU bfloat16 multiplies run at float32 speed), so bfloat16 trains without it
(`benchmarks/xla_training.py`). Never on a GPU, where Keras runs cuDNN.

This module patches Keras private code in one place: inside `compiled_with_xla`, Keras' TensorFlow dropout draws
its masks with the Philox generator (`_philox_dropout`, which leaves a Keras of another layout alone).
"""

import contextlib

import keras

from rnnzoo.hardware import gpus
from rnnzoo.precision import drop_compiled_functions, resolve

XLA_MIN_STEPS = 500  # compiling a 2-layer char LM's step takes ~5 s here; it saves ~25 ms a step


def xla_training(model, precision="float32", data=None, distributed=False, steps=None):
    """Whether training `model` in `precision` on `data` compiles its step with XLA (`rnnzoo.config`'s
    `xla_training`: True, False, or "auto").

    "auto" says yes on TensorFlow on a CPU (Keras' own default there is no), in float32, on one device, for a
    model made only of layers known to compile and run faster under XLA (`_XLA_LAYERS`: its LSTM/GRU layers on
    rnnzoo's kernel, `rnnzoo.layers.kernels`), when every batch of `data` (a `tf.data`
    dataset; None: the caller feeds one shape) has one length, since XLA compiles once per input shape, and the
    training is long enough to repay the compilation (`steps`, the training steps planned, at least
    `XLA_MIN_STEPS`; None: unknown, taken as long enough). The
    kernels' step is laid out for XLA's CPU fusions: the char LM trained 1.2–1.3× faster per token than without
    XLA (benchmarks/RESULTS.md). In bfloat16 XLA's CPU matrix multiplies run at float32 speed while TensorFlow's
    oneDNN ones run about 1.5× faster, so bfloat16 trains without XLA."""
    from rnnzoo import config

    choice = config.settings.xla_training
    if keras.backend.backend() != "tensorflow" or choice is False:
        return False
    from keras.src.trainers.trainer import model_supports_jit

    if not model_supports_jit(model):
        return False
    if choice is True:
        return True
    if resolve(precision) != "float32" or distributed or gpus() or not _xla_ready(model):
        return False
    if steps is not None and steps < XLA_MIN_STEPS:
        return False
    return data is None or _one_length(data)


# what "auto" compiles with XLA: models made only of these layers (the recurrent ones on rnnzoo's kernel). Others,
# such as the attention decoder, whose loop XLA cannot compile (its gradient's TensorList has no fixed size), or
# layers not yet tried under XLA, train without it.
# A Bidirectional layer trained no faster under XLA here (1.02–1.03× the graph step's time, bilstm classifier and
# tagger, benchmarks/xla_training.py), so it is left out too.
_XLA_LAYERS = {"keras": {"InputLayer", "Embedding", "Dense", "Dropout", "Add", "Concatenate", "Identity",
                         "LSTMCell", "GRUCell"},
               "rnnzoo": {"LSTM", "GRU", "Metadata", "OneHot", "MaskedGlobalPooling1D"}}


def _xla_ready(model):
    """Whether `model` is one "auto" compiles with XLA: an LSTM/GRU layer on rnnzoo's kernel, every recurrent layer
    on it, and only layers from `_XLA_LAYERS`."""
    from rnnzoo.layers import kernels
    from rnnzoo.layers.recurrent import GRU, LSTM

    layers = list(model._flatten_layers(include_self=False))
    recurrent = [layer for layer in layers if isinstance(layer, (LSTM, GRU))]
    known = all(type(layer).__name__ in _XLA_LAYERS.get(type(layer).__module__.split(".")[0], ())
                for layer in layers)
    return known and bool(recurrent) and all(kernels.eligible(layer) for layer in recurrent)


def _one_length(data):
    """Whether every batch of a `tf.data` dataset has the same shape past the batch axis (unknown: no)."""
    import tensorflow as tf

    spec = getattr(data, "element_spec", None)
    if spec is None:
        return False
    inputs = spec[0] if isinstance(spec, tuple) else spec
    return all(s.shape.rank is not None and s.shape[1:].is_fully_defined() for s in tf.nest.flatten(inputs))


@contextlib.contextmanager
def compiled_with_xla(model, on):
    """Inside the block `model`'s train, test and predict steps compile with XLA when `on`; on leaving it the
    model's own setting returns and the compiled steps are dropped. When not `on` the model keeps the setting it was
    compiled with (a user's own `jit_compile=True` included).

    With XLA on, Keras' TensorFlow dropout draws its masks with the Philox generator named explicitly
    (`_philox_dropout`): left to choose, XLA's CPU generator took 362 ms for a 64 × 100 × 256 mask, Philox 3 ms."""
    before = getattr(model, "_jit_compile", None)
    if on:
        model.jit_compile = True
    drop_compiled_functions(model)
    try:
        with _philox_dropout() if on else contextlib.nullcontext():
            yield bool(on)
    finally:
        model._jit_compile = before
        drop_compiled_functions(model)


@contextlib.contextmanager
def _philox_dropout():
    """Keras' TensorFlow dropout with `rng_alg="philox"` inside the block (the same Keras seeds and rates)."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    from keras.src.backend.tensorflow import random as tf_random

    keras_dropout = getattr(tf_random, "dropout", None)
    if keras_dropout is None or not hasattr(tf_random, "draw_seed"):  # another Keras layout: leave it alone
        yield
        return
    import tensorflow as tf

    def dropout(inputs, rate, noise_shape=None, seed=None):
        if rate in (0.0, 1.0):
            return keras_dropout(inputs, rate, noise_shape=noise_shape, seed=seed)
        seed = tf_random._cast_seed(tf_random.draw_seed(seed))
        noise_shape = tf_random._get_concrete_noise_shape(inputs, noise_shape)
        return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed,
                                                    rng_alg="philox")

    dropout.rnnzoo_philox = True
    tf_random.dropout = dropout
    try:
        yield
    finally:
        tf_random.dropout = keras_dropout
