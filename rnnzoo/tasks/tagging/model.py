"""Sequence taggers (many-to-many, aligned): one label per token, e.g. part-of-speech or named entities."""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.trunk import trunk
from rnnzoo.task import random_token_batch
from rnnzoo.layers.parallel import LABELS
from rnnzoo.registry import register_model


def build_tagger(*, name="tagger", num_tags=2, head_dropout=0.0, **options):
    """Builds an aligned many-to-many tagger that outputs per-token tag probabilities (padding is masked).

    Args:
        name: str. Model name.
        num_tags: int. Number of tags.
        head_dropout: float. Dropout before the output layer.
        **options: trunk options, see `rnnzoo.sequence_input` and `rnnzoo.recurrent_stack`.

    Examples:
    >>> model = build_tagger(vocabulary_size=100, num_tags=12, units=8, bidirectional=True)
    >>> model.output_shape
    (None, None, 12)
    """
    if int(num_tags) < 2:
        raise ValueError(f"num_tags must be at least 2; got {num_tags!r}.")
    inputs, x = trunk(options, return_sequences=True)
    if head_dropout:
        x = layers.Dropout(head_dropout, name="head_dropout")(x)
    outputs = layers.Dense(int(num_tags), activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def example_batch(config, batch_size, length, seed):
    x, _ = random_token_batch(config["vocabulary_size"], batch_size, length, seed)
    y = np.random.default_rng(seed).integers(0, config.get("num_tags", 2), size=x.shape) * (x > 0)
    return x, y.astype("int32")



_TINY = {"vocabulary_size": 30, "embedding_dim": 8, "units": 8, "num_tags": 5}
for _cell, _label in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN")):
    register_model(f"bi{_cell}_tagger", build_tagger, task="tagger",
                   defaults={"cell": _cell, "bidirectional": True, "units": 128, "embedding_dim": 128,
                             "dropout": 0.25},
                   tiny={**_TINY, "num_layers": 2},
                   description=f"Bidirectional {_label} tagger (POS/NER), masked")
    register_model(f"{_cell}_tagger", build_tagger, task="tagger",
                   defaults={"cell": _cell, "units": 128, "embedding_dim": 128},
                   tiny=_TINY, description=f"Left-to-right {_label} tagger (streaming), masked")
for _cell, _label in LABELS.items():
    register_model(f"bi{_cell}_tagger", build_tagger, task="tagger",
                   defaults={"cell": _cell, "bidirectional": True, "units": 128, "embedding_dim": 128,
                             "dropout": 0.25},
                   tiny={**_TINY, "num_layers": 2},
                   description=f"Bidirectional {_label} tagger, masked (trains by a parallel scan)")
