"""Forecasters: a window of a (multivariate) series in, the next `horizon` values of one target column out.

Two shapes, as the seeds describe them for stock prices and signals:
- many-to-one (`lstm_forecaster`, `gru_forecaster`): the last state predicts all `horizon` values at once
  (direct multi-horizon forecasting, no feedback of the model's own errors);
- many-to-many (`lstm_seq_forecaster`): every step predicts the `horizon` values after it, so one window gives
  `length` training targets instead of one; the forecast is the last step's row.

Windowing, scaling, walk-forward evaluation and MASE live in `rnnzoo.tasks.forecasting.forecast`.
"""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.trunk import trunk
from rnnzoo.registry import register_model


def build_forecaster(*, name="forecaster", horizon=1, num_features=1, sequence_output=False, **options):
    """Builds a recurrent forecaster.

    Args:
        name: str. Model name.
        horizon: int. How many future values of the target are predicted.
        num_features: int. Values per time step (the target column and any covariates).
        sequence_output: bool. False: many-to-one, output (batch, horizon). True: many-to-many, output
            (batch, time, horizon): at every step the `horizon` values that follow it.
        **options: trunk options (`cell`, `units`, `num_layers`, `dropout`, `metadata`, ...).

    Examples:
    >>> model = build_forecaster(num_features=3, horizon=4, units=8)
    >>> model.output_shape
    (None, 4)
    """
    if int(horizon) < 1:
        raise ValueError(f"horizon must be at least 1 (steps ahead to predict); got {horizon!r}.")
    options = {**options, "input_mode": "dense", "num_features": num_features}
    inputs, x = trunk(options, return_sequences=bool(sequence_output))
    outputs = layers.Dense(int(horizon), dtype="float32", name="forecast")(x)
    return keras.Model(inputs, outputs, name=name)


def example_batch(sequence_output):
    def batch(config, batch_size, length, seed):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(batch_size, length, config.get("num_features", 1))).astype("float32")
        shape = (batch_size, length, config.get("horizon", 1)) if sequence_output else (batch_size, config.get("horizon", 1))
        return x, rng.normal(size=shape).astype("float32")

    return batch



_TINY = {"units": 8, "num_features": 2, "horizon": 3}
for _name, _task, _defaults, _description in (
    ("lstm_forecaster", "forecaster", {"cell": "lstm"}, "LSTM forecaster, window → next `horizon` values"),
    ("gru_forecaster", "forecaster", {"cell": "gru"}, "GRU forecaster, window → next `horizon` values"),
    ("lstm_seq_forecaster", "sequence_forecaster", {"cell": "lstm", "sequence_output": True},
     "LSTM many-to-many forecaster: every step predicts the `horizon` values after it"),
):
    register_model(_name, build_forecaster, task=_task, defaults={"units": 64, **_defaults}, tiny=_TINY,
                   description=_description)
