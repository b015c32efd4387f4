"""One-to-many: a conditional sequence generator that starts from one vector (here an image's embedding).

Show-and-tell style (Vinyals et al. 2015): a small CNN encodes the image into a vector, dense layers turn it into
the decoder's first state, and a recurrent decoder, teacher-forced in training, writes the caption. The layer
names are the seq2seq ones (`decoder_init_i`, `target_embedding`, `decoder`, `logits`), so the same decoding
code (`rnnzoo.decoding.decode_ids`: greedy, sampling, beam search) and the streaming export serve both.
"""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.recurrent import Metadata, recurrent_layer, resolve_cell
from rnnzoo.task import random_token_batch
from rnnzoo.registry import register_model
from rnnzoo.names import DECODER, DECODER_INIT, LOGITS, METADATA, TARGET, TARGET_EMBEDDING


def build_captioner(*, name="captioner", target_vocabulary_size=None, image_size=32, channels=3, cell="lstm",
                    units=128, embedding_dim=32, filters=(16, 32, 64), dropout=0.0, metadata=None):
    """Builds a teacher-forced image → text model that outputs logits over the target vocabulary.

    Args:
        target_vocabulary_size: int. Caption token ids (also the output size).
        image_size: int. Height and width of the (square) input images.
        channels: int. Image channels.
        cell: str. Decoder cell: "lstm", "gru" or "rnn".
        units: int. Decoder state size (and size of the image vector).
        embedding_dim: int. Caption token embedding size.
        filters: tuple of int. Channels of the 3×3 convolution blocks (each followed by 2×2 max pooling).
        dropout: float. Dropout on the image vector.
        metadata: dict or None. The caption text pipeline, carried by the saved model.

    Examples:
    >>> model = build_captioner(target_vocabulary_size=20, image_size=16, units=8, filters=(4,))
    >>> [tuple(i.shape) for i in model.inputs], model.output_shape
    ([(None, 16, 16, 3), (None, None)], (None, None, 20))
    """
    cell = resolve_cell(cell)
    if cell not in ("lstm", "gru", "rnn"):
        raise ValueError(f"A captioner's decoder is an LSTM, GRU or SimpleRNN ('lstm', 'gru', 'rnn'); got {cell!r}.")
    if target_vocabulary_size is None or int(target_vocabulary_size) < 2:
        raise ValueError(f"A captioner needs `target_vocabulary_size` (at least 2); got {target_vocabulary_size!r}.")
    image = keras.Input(shape=(int(image_size), int(image_size), int(channels)), dtype="float32", name="image")
    x = Metadata(metadata, name=METADATA)(image)
    for i, f in enumerate(filters):
        x = layers.Conv2D(int(f), 3, padding="same", activation="relu", name=f"conv_{i + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool_{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)  # keeps where things are (global pooling would lose "left of")
    vector = layers.Dense(int(units), activation="relu", name="image_embedding")(x)
    if dropout:
        vector = layers.Dropout(dropout, name="image_dropout")(vector)
    init = [layers.Dense(int(units), activation="tanh", name=DECODER_INIT.format(1))(vector)]
    if cell == "lstm":
        init.append(layers.Dense(int(units), name=DECODER_INIT.format(2))(vector))
    target = keras.Input(shape=(None,), dtype="int32", name=TARGET)
    y = layers.Embedding(int(target_vocabulary_size), int(embedding_dim), mask_zero=True,
                         name=TARGET_EMBEDDING)(target)
    y = recurrent_layer(cell, int(units), name=DECODER)(y, initial_state=init)
    logits = layers.Dense(int(target_vocabulary_size), dtype="float32", name=LOGITS)(y)
    return keras.Model([image, target], logits, name=name)


def example_batch(config, batch_size, length, seed):
    rng = np.random.default_rng(seed)
    size = config.get("image_size", 32)
    images = rng.random((batch_size, size, size, config.get("channels", 3))).astype("float32")
    target, _ = random_token_batch(config["target_vocabulary_size"], batch_size, length // 2 + 1, seed + 1,
                                   min_length=3)
    return (images, target[:, :-1]), target[:, 1:]



_TINY = {"target_vocabulary_size": 20, "image_size": 16, "units": 8, "embedding_dim": 8, "filters": (4, 8)}
register_model("lstm_captioner", build_captioner, task="captioner", defaults={"cell": "lstm"}, tiny=_TINY,
               description="CNN image vector → LSTM caption decoder (one-to-many, show-and-tell)")
register_model("gru_captioner", build_captioner, task="captioner", defaults={"cell": "gru"}, tiny=_TINY,
               description="CNN image vector → GRU caption decoder (one-to-many)")
