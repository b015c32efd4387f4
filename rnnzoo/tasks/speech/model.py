"""Acoustic models trained with CTC (Graves et al. 2006): stacked bidirectional recurrent layers over audio
features → per-frame logits over the labels plus the blank (id 0). `rnnzoo.tasks.speech.recognize` has data, decoding and
evaluation."""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.trunk import trunk
from rnnzoo.registry import register_model
from rnnzoo.names import LOGITS


def build_ctc_model(*, name="ctc", num_features=80, num_labels=20, **options):
    """Builds a CTC acoustic model: (batch, frames, num_features) → logits (batch, frames, num_labels + 1).

    Args:
        num_features: int. Features per frame (e.g. 40 log-mel bands × 2 stacked frames).
        num_labels: int. Output labels (words or characters); id 0 is reserved for the CTC blank.
        **options: trunk options (`cell`, `units`, `num_layers`, `bidirectional`, `dropout`, `metadata`, ...).

    Examples:
    >>> model = build_ctc_model(num_features=80, num_labels=20, units=16)
    >>> model.output_shape
    (None, None, 21)
    """
    options = {**options, "input_mode": "dense", "num_features": num_features}
    inputs, x = trunk(options, return_sequences=True)
    logits = layers.Dense(int(num_labels) + 1, dtype="float32", name=LOGITS)(x)
    return keras.Model(inputs, logits, name=name)


def example_batch(config, batch_size, length, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, length, config.get("num_features", 80))).astype("float32")
    labels = config.get("num_labels", 20)
    y = np.zeros((batch_size, 3), "int32")
    for i in range(batch_size):
        n = int(rng.integers(1, 4))
        y[i, :n] = rng.integers(1, labels + 1, n)
    return x, y



_TINY = {"units": 8, "num_features": 6, "num_labels": 5}
for _name, _cell in (("bilstm_ctc", "lstm"), ("bigru_ctc", "gru")):
    register_model(_name, build_ctc_model, task="ctc",
                   defaults={"cell": _cell, "bidirectional": True, "num_layers": 2, "units": 128}, tiny=_TINY,
                   description=f"Stacked Bi-{_cell.upper()} acoustic model trained with CTC (speech recognition)")
