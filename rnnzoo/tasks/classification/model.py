"""Sequence classifiers (many-to-one): text in, one label out, e.g. sentiment."""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.recurrent import MaskedGlobalPooling1D
from rnnzoo.layers.trunk import trunk
from rnnzoo.task import random_token_batch
from rnnzoo.layers.parallel import LABELS
from rnnzoo.registry import register_model

POOLINGS = ("last", "max", "mean", "max_mean")


def build_classifier(*, name="classifier", num_classes=2, pooling="last", head_dropout=0.0, **options):
    """Builds a many-to-one recurrent classifier that outputs class probabilities.

    Args:
        name: str. Model name.
        num_classes: int. Number of classes (2 or more).
        pooling: str. How the sequence becomes one vector: "last" (final state; both directions' final states
            when bidirectional), "max" / "mean" (over unpadded steps) or "max_mean" (both concatenated).
        head_dropout: float. Dropout before the output layer.
        **options: trunk options, see `rnnzoo.sequence_input` and `rnnzoo.recurrent_stack`
            (`cell`, `units`, `num_layers`, `bidirectional`, `vocabulary_size`, `embedding_dim`, ...).

    Examples:
    >>> model = build_classifier(vocabulary_size=100, num_classes=3, units=8, bidirectional=True)
    >>> model.output_shape
    (None, 3)
    """
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be at least 2; got {num_classes!r}.")
    if pooling not in POOLINGS:
        raise ValueError(f"Unknown pooling {pooling!r}; use one of {POOLINGS}.")
    inputs, x = trunk(options, return_sequences=pooling != "last")
    if pooling in ("max", "mean"):
        x = MaskedGlobalPooling1D(pooling, name="pooling")(x)
    elif pooling == "max_mean":
        x = layers.Concatenate(name="pooling")(
            [MaskedGlobalPooling1D("max", name="max_pooling")(x), MaskedGlobalPooling1D("mean", name="mean_pooling")(x)]
        )
    if head_dropout:
        x = layers.Dropout(head_dropout, name="head_dropout")(x)
    outputs = layers.Dense(int(num_classes), activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def example_batch(config, batch_size, length, seed):
    x, _ = random_token_batch(config["vocabulary_size"], batch_size, length, seed)
    y = np.random.default_rng(seed).integers(0, config.get("num_classes", 2), size=batch_size)
    return x, y.astype("int32")



_TINY = {"vocabulary_size": 30, "embedding_dim": 8, "units": 8, "num_classes": 3}
for _cell, _label in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN")):
    register_model(f"{_cell}_classifier", build_classifier, task="classifier",
                   defaults={"cell": _cell, "units": 128, "embedding_dim": 128},
                   tiny=_TINY, description=f"{_label} many-to-one classifier (e.g. sentiment)")
    register_model(f"bi{_cell}_classifier", build_classifier, task="classifier",
                   defaults={"cell": _cell, "bidirectional": True, "units": 64, "embedding_dim": 128,
                             "pooling": "max", "dropout": 0.3},
                   tiny={**_TINY, "num_layers": 2, "residual": True},
                   description=f"Bidirectional {_label} classifier with max pooling over time")
for _cell, _label in LABELS.items():
    register_model(f"bi{_cell}_classifier", build_classifier, task="classifier",
                   defaults={"cell": _cell, "bidirectional": True, "units": 64, "embedding_dim": 128,
                             "pooling": "max", "dropout": 0.3},
                   tiny={**_TINY, "num_layers": 2},
                   description=f"Bidirectional {_label} classifier with max pooling (trains by a parallel scan)")
