"""Language models: predict the next token from the ones before it (word or character level)."""

import keras
from keras import layers

from rnnzoo.layers.parallel import LABELS
from rnnzoo.layers.trunk import trunk
from rnnzoo.task import random_token_batch
from rnnzoo.registry import register_model
from rnnzoo.names import LOGITS


def build_language_model(*, name="language_model", output_dropout=0.0, **options):
    """Builds a next-token language model that outputs logits over the vocabulary at every step.

    The model reads ids `[START] w1 ... wn` and is trained to predict `w1 ... wn [END]`; the probability of
    a sentence is the product of each token's probability given the tokens before it.

    Args:
        name: str. Model name.
        output_dropout: float. Dropout before the output projection.
        **options: trunk options (`vocabulary_size` is also the output size; `bidirectional` is not allowed,
            a language model must not see the future).

    Examples:
    >>> model = build_language_model(vocabulary_size=65, units=16, input_mode="one_hot")
    >>> model.output_shape
    (None, None, 65)
    """
    if options.get("bidirectional"):
        raise ValueError("A language model cannot be bidirectional: it would see the tokens it must predict.")
    if options.get("input_mode") == "dense":
        raise ValueError("A language model reads token ids; use input_mode='embedding' or 'one_hot'.")
    if options.get("vocabulary_size") is None and options.get("embeddings") is None:
        raise ValueError("A language model needs `vocabulary_size` (it is also the size of the output).")
    inputs, x = trunk(options, return_sequences=True)
    if output_dropout:
        x = layers.Dropout(output_dropout, name="output_dropout")(x)
    vocabulary_size = options.get("vocabulary_size") or len(options["embeddings"])
    outputs = layers.Dense(int(vocabulary_size), dtype="float32", name=LOGITS)(x)
    return keras.Model(inputs, outputs, name=name)


def example_batch(config, batch_size, length, seed):
    x, _ = random_token_batch(config["vocabulary_size"], batch_size, length + 1, seed)
    return x[:, :-1], x[:, 1:]



for _cell, _label in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn", "SimpleRNN")):
    register_model(f"{_cell}_language_model", build_language_model, task="language_model",
                   defaults={"cell": _cell, "units": 256, "embedding_dim": 128},
                   tiny={"vocabulary_size": 30, "embedding_dim": 8, "units": 8},
                   text={"level": "word"},
                   description=f"Word-level {_label} language model")
    register_model(f"char_{_cell}_language_model", build_language_model, task="language_model",
                   defaults={"cell": _cell, "units": 256, "embedding_dim": 64},
                   tiny={"vocabulary_size": 30, "embedding_dim": 8, "units": 8, "input_mode": "one_hot"},
                   text={"level": "char"},
                   description=f"Character-level {_label} language model")
for _cell, _label in LABELS.items():  # parallel-scan cells: 2 pre-norm residual layers (QRNN: plain stack)
    register_model(f"char_{_cell}_language_model", build_language_model, task="language_model",
                   defaults={"cell": _cell, "units": 256, "embedding_dim": 256, "num_layers": 2},
                   tiny={"vocabulary_size": 30, "embedding_dim": 8, "units": 8, "input_mode": "one_hot",
                         "num_layers": 2},
                   text={"level": "char"},
                   description=f"Character-level {_label} language model (trains by a parallel scan)")
