"""Sequence regressors (many-to-one, real-valued output): e.g. the adding problem, a signal's next value.

Inputs are real-valued features per step (`input_mode="dense"`); sequences in a batch share one length.
"""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.trunk import trunk
from rnnzoo.registry import register_model


def build_regressor(*, name="regressor", num_outputs=1, activation=None, recurrent_initializer=None,
                    num_features=1, **options):
    """Builds a many-to-one recurrent regressor: a sequence of feature vectors in, `num_outputs` numbers out.

    Args:
        name: str. Model name.
        num_outputs: int. Size of the output vector.
        activation: str or None. Recurrent activation override (e.g. "relu" for the IRNN of Le et al. 2015);
            a non-default value takes LSTM/GRU off the cuDNN path.
        recurrent_initializer: str or None. Override of the orthogonal default (e.g. "identity" for the IRNN,
            "glorot_uniform" for a plain random start).
        num_features: int. Features per time step.
        **options: trunk options (`cell`, `units`, `num_layers`, `bidirectional`, `dropout`, ...).

    Examples:
    >>> model = build_regressor(num_features=2, units=8, cell="gru")
    >>> model.output_shape
    (None, 1)
    """
    options = {**options, "input_mode": "dense", "num_features": num_features}
    layer_options = {k: v for k, v in (("activation", activation), ("recurrent_initializer", recurrent_initializer))
                     if v is not None}
    inputs, x = trunk(options, return_sequences=False, **layer_options)
    outputs = layers.Dense(int(num_outputs), dtype="float32", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def example_batch(config, batch_size, length, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, length, config.get("num_features", 1))).astype("float32")
    return x, rng.normal(size=(batch_size, config.get("num_outputs", 1))).astype("float32")



_TINY = {"units": 8, "num_features": 2}
for _name, _defaults, _description in (
    ("lstm_regressor", {"cell": "lstm"}, "LSTM many-to-one regressor (e.g. the adding problem)"),
    ("gru_regressor", {"cell": "gru"}, "GRU many-to-one regressor"),
    ("rnn_regressor", {"cell": "rnn"}, "SimpleRNN (tanh) many-to-one regressor"),
    ("irnn_regressor", {"cell": "rnn", "activation": "relu", "recurrent_initializer": "identity"},
     "IRNN regressor: SimpleRNN with ReLU and identity recurrent initialisation (Le et al. 2015)"),
):
    register_model(_name, build_regressor, task="regressor", defaults={"units": 128, **_defaults}, tiny=_TINY,
                   description=_description)
