"""Encoder–decoder (seq2seq) models: the fixed-context baseline and Bahdanau / Luong attention.

The training model is teacher-forced: it reads the source ids and the target ids `[START] y1 ... yn` and
predicts `y1 ... yn [END]`. Inference (`rnnzoo.tasks.seq2seq.translation`) reuses the trained layers by name: `memory` and
`decoder_init_i` give the encoder's outputs and the decoder's first states, `target_embedding`, `decoder` and
`logits` run one target step.
"""

import keras
from keras import layers

from rnnzoo.layers.attention import ATTENTIONS, AttentionDecoder
from rnnzoo.layers.parallel import LABELS
from rnnzoo.layers.recurrent import recurrent_layer, recurrent_stack, resolve_cell, sequence_input
from rnnzoo.task import random_token_batch
from rnnzoo.registry import register_model
from rnnzoo.names import DECODER, DECODER_INIT, LOGITS, MEMORY, SOURCE, TARGET, TARGET_EMBEDDING


def build_seq2seq(*, name="seq2seq", vocabulary_size=None, target_vocabulary_size=None, input_mode="embedding",
                  embedding_dim=64, target_embedding_dim=None, cell="lstm", units=128, num_layers=1,
                  bidirectional=False, dropout=0.0, decoder_cell=None, decoder_units=None, attention=None, attention_units=None,
                  score_mode="general", normalize=False, input_feeding=True, decoder_dropout=None, metadata=None):
    """Builds a teacher-forced encoder–decoder model that outputs logits over the target vocabulary.

    Without attention the decoder sees the source only through the encoder's final state (a fixed-length
    vector, the original seq2seq of Sutskever et al. 2014 / Cho et al. 2014), which is what fails on long
    inputs. With attention the decoder looks at every encoder output at every step.

    Args:
        name: str. Model name.
        vocabulary_size: int. Number of source token ids.
        target_vocabulary_size: int. Number of target token ids (also the output size).
        input_mode: str. Source input: "embedding" or "one_hot".
        embedding_dim: int. Source embedding size (and target embedding size unless `target_embedding_dim`).
        target_embedding_dim: int or None. Target embedding size.
        cell: str. The encoder's cell: "lstm", "gru", "rnn", or a parallel cell ("mingru", "minlstm", "qrnn",
            "lru"), and the decoder's unless `decoder_cell` is given.
        decoder_cell: str or None. The decoder's cell, "lstm", "gru" or "rnn" (it runs one step at a time);
            default: `cell`, or "gru" when `cell` is a parallel cell. When it differs from `cell`, each decoder
            state starts from the encoder's first final state (h, or c for QRNN, Re h for LRU) through a bridge.
        units: int. Encoder units per direction.
        num_layers: int. Encoder layers.
        bidirectional: bool. Bidirectional encoder (its outputs and states are concatenated).
        dropout: float. Dropout between encoder layers (and after the last one).
        decoder_dropout: float or None. Dropout on the target embeddings and on the decoder outputs before the
            logits; default: `dropout`. Training only: decoding calls `target_embedding`, `decoder` and
            `logits` directly, so the dropout layers never enter inference.
        decoder_units: int or None. Decoder state size; default: the encoder's output size (2 × units when
            bidirectional). When it differs, the encoder's final states pass through a dense bridge.
        attention: None, "bahdanau" or "luong".
        attention_units, score_mode, normalize, input_feeding: see `AttentionDecoder`.
        metadata: dict or None. Text pipelines and labels carried by the model.

    Examples:
    >>> model = build_seq2seq(vocabulary_size=40, target_vocabulary_size=20, units=16, attention="bahdanau")
    >>> [tuple(i.shape) for i in model.inputs], model.output_shape
    ([(None, None), (None, None)], (None, None, 20))
    """
    cell = resolve_cell(cell)
    decoder_cell = resolve_cell(decoder_cell or (cell if cell in ("lstm", "gru", "rnn") else "gru"))
    if decoder_cell not in ("lstm", "gru", "rnn"):
        raise ValueError(f"`decoder_cell` must be 'lstm', 'gru' or 'rnn' (the decoder runs one step at a time); "
                         f"got {decoder_cell!r}.")
    if attention is not None and attention not in ATTENTIONS:
        raise ValueError(f"Unknown attention {attention!r}; use None (fixed-context baseline) or one of {ATTENTIONS}.")
    if input_mode not in ("embedding", "one_hot"):
        raise ValueError(f"A seq2seq model reads token ids; input_mode must be 'embedding' or 'one_hot', got {input_mode!r}.")
    for option, value in (("vocabulary_size", vocabulary_size), ("target_vocabulary_size", target_vocabulary_size)):
        if value is None or int(value) < 2:
            raise ValueError(f"A seq2seq model needs `{option}` (at least 2); got {value!r}.")
    source, x = sequence_input(input_mode=input_mode, vocabulary_size=vocabulary_size, embedding_dim=embedding_dim,
                               metadata=metadata, name=SOURCE)
    memory, states = recurrent_stack(x, cell=cell, units=units, num_layers=num_layers, bidirectional=bidirectional,
                                     dropout=dropout, return_sequences=True, return_state=True, name="encoder")
    memory = layers.Identity(name=MEMORY)(memory)
    per_direction = len(states) // (2 if bidirectional else 1)  # final states of each encoder direction
    encoder_size = int(units) * (2 if bidirectional else 1)
    decoder_units = int(decoder_units or encoder_size)
    same_cell = decoder_cell == cell
    init = []
    for i in range(2 if decoder_cell == "lstm" else 1):  # h (and c): both directions joined, bridged if needed
        j = i if same_cell else 0
        parts = [states[j], states[per_direction + j]] if bidirectional else [states[j]]
        state = layers.Concatenate(name=f"decoder_init_{i + 1}_join")(parts) if bidirectional else parts[0]
        if decoder_units != encoder_size or not same_cell:
            state = layers.Dense(decoder_units, activation="tanh" if i == 0 else None, name=f"bridge_{i + 1}")(state)
        init.append(layers.Identity(name=DECODER_INIT.format(i + 1))(state))

    target = keras.Input(shape=(None,), dtype="int32", name=TARGET)
    y = layers.Embedding(int(target_vocabulary_size), int(target_embedding_dim or embedding_dim), mask_zero=True,
                         name=TARGET_EMBEDDING)(target)
    decoder_dropout = float(dropout if decoder_dropout is None else decoder_dropout)
    if not 0.0 <= decoder_dropout < 1.0:
        raise ValueError(f"`decoder_dropout` must be in [0, 1); got {decoder_dropout!r}.")
    if decoder_dropout:
        y = layers.Dropout(decoder_dropout, name="target_embedding_dropout")(y)
    if attention is None:
        y = recurrent_layer(decoder_cell, decoder_units, name=DECODER)(y, initial_state=init)
    else:
        y = AttentionDecoder(decoder_units, cell=decoder_cell, attention=attention, attention_units=attention_units,
                             score_mode=score_mode, normalize=normalize, input_feeding=input_feeding,
                             name=DECODER)(y, memory, init)
    if decoder_dropout:
        y = layers.Dropout(decoder_dropout, name="decoder_dropout")(y)
    logits = layers.Dense(int(target_vocabulary_size), dtype="float32", name=LOGITS)(y)
    return keras.Model([source, target], logits, name=name)


def example_batch(config, batch_size, length, seed):
    source, _ = random_token_batch(config["vocabulary_size"], batch_size, length, seed)
    target, _ = random_token_batch(config["target_vocabulary_size"], batch_size, length // 2 + 1, seed + 1,
                                   min_length=3)
    return (source, target[:, :-1]), target[:, 1:]



_TINY = {"vocabulary_size": 30, "target_vocabulary_size": 20, "embedding_dim": 8, "units": 8}
_TEXT = {"level": "char", "target": {"level": "char"}}
for _name, _defaults, _description in (
    ("lstm_seq2seq", {"cell": "lstm"}, "LSTM encoder–decoder with a fixed-length context (no attention)"),
    ("gru_seq2seq", {"cell": "gru"}, "GRU encoder–decoder with a fixed-length context (no attention)"),
    ("bahdanau_seq2seq", {"cell": "lstm", "bidirectional": True, "attention": "bahdanau"},
     "Bi-LSTM encoder, LSTM decoder with Bahdanau (additive) attention"),
    ("luong_seq2seq", {"cell": "lstm", "bidirectional": True, "attention": "luong"},
     "Bi-LSTM encoder, LSTM decoder with Luong (general) attention and input feeding"),
    ("gru_bahdanau_seq2seq", {"cell": "gru", "bidirectional": True, "attention": "bahdanau"},
     "Bi-GRU encoder, GRU decoder with Bahdanau (additive) attention"),
):
    register_model(_name, build_seq2seq, task="seq2seq", defaults={"units": 128, "embedding_dim": 64, **_defaults},
                   tiny=_TINY, text=_TEXT, description=_description)
for _cell, _label in LABELS.items():  # a parallel encoder (trains by one scan) and a GRU decoder that steps
    register_model(f"{_cell}_bahdanau_seq2seq", build_seq2seq, task="seq2seq",
                   defaults={"units": 128, "embedding_dim": 64, "cell": _cell, "bidirectional": True,
                             "decoder_cell": "gru", "attention": "bahdanau"},
                   tiny=_TINY, text=_TEXT,
                   description=f"Bi-{_label} encoder, GRU decoder with Bahdanau attention")
