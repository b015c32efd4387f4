"""The one recurrent-stack core every rnnzoo model is built on.

`sequence_input` turns token ids (or dense features) into a sequence of vectors with a padding mask;
`recurrent_stack` stacks SimpleRNN / GRU / LSTM layers on it. Task models differ only in their heads.

Defaults keep LSTM and GRU on the cuDNN path: tanh/sigmoid activations, `recurrent_dropout=0`,
`unroll=False`, `use_bias=True`, GRU `reset_after=True`, right-padded masks (id 0 is padding).
"""

import keras
from keras import layers, ops

from rnnzoo.layers import kernels
from rnnzoo.layers.parallel import PARALLEL_LAYERS
from rnnzoo.names import EMBEDDING, METADATA, ONE_HOT


class _FastCPUTraining:
    """Runs the loop through `rnnzoo.layers.kernels` where a fast kernel applies, else Keras' own.

    `fast_kernel`: None follows `rnnzoo.config.settings.fast_kernels`; True/False decides for this layer.
    `loop_used` says which loop the layer's last call (or trace) ran: "rnnzoo kernel (tensorflow)", "rnnzoo kernel
    (torch.lstm: oneDNN)" / "(torch.lstm: cuDNN)" (torch.gru likewise), or "keras" (Keras' own path: its generic
    loop, or on a TensorFlow GPU its CudnnRNNV3 where the mask allows)."""

    _cell_kind = None

    def __init__(self, *args, fast_kernel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fast_kernel = fast_kernel
        self.loop_used = None

    def inner_loop(self, sequences, initial_state, mask, training=False):
        self.kernel_name = None
        out = kernels.fast_inner_loop(self, self._cell_kind, sequences, initial_state, mask, training)
        self.loop_used = "keras" if out is None else self.kernel_name or f"rnnzoo kernel ({keras.backend.backend()})"
        return out if out is not None else super().inner_loop(sequences, initial_state, mask, training=training)

    def get_config(self):
        config = super().get_config()
        if self.fast_kernel is not None:  # absent by default, so the config stays a plain Keras layer's
            config["fast_kernel"] = self.fast_kernel
        return config


@keras.saving.register_keras_serializable(package="rnnzoo")
class LSTM(_FastCPUTraining, layers.LSTM):
    """`keras.layers.LSTM` (same arguments, weights and config) that trains with rnnzoo's fast CPU kernels.

    Where `rnnzoo.layers.kernels` applies (a training call on a CPU, cuDNN-eligible settings, no padding in the
    batch) the loop runs a faster kernel with identical results; everywhere else, inference and export
    included, it is Keras' own layer. Weights load into `keras.layers.LSTM` unchanged.
    """

    _cell_kind = "lstm"


@keras.saving.register_keras_serializable(package="rnnzoo")
class GRU(_FastCPUTraining, layers.GRU):
    """`keras.layers.GRU` (same arguments, weights and config) that trains with rnnzoo's fast CPU kernels.

    See `LSTM`; on the PyTorch backend the GRU runs PyTorch's fused `torch.gru` with the Keras weights.
    """

    _cell_kind = "gru"


CELLS = {"lstm": LSTM, "gru": GRU, "rnn": layers.SimpleRNN, **PARALLEL_LAYERS}
CELL_ALIASES = {"simple_rnn": "rnn", "simplernn": "rnn", "vanilla": "rnn", "min_gru": "mingru", "min_lstm": "minlstm"}
# The parallel cells' papers stack them as pre-norm residual blocks: `recurrent_stack` does so by default.
PRENORM_RESIDUAL = ("mingru", "minlstm", "lru")
_PARALLEL_OPTIONS = ("stateful", "mode", "normalize", "window", "r_min", "r_max", "max_phase", "activation",
                     "kernel_initializer", "bias_initializer", "dtype", "go_backwards")
MERGE_MODES = ("concat", "sum", "mul", "ave")
INPUT_MODES = ("embedding", "one_hot", "dense")


def resolve_cell(cell):
    """Returns the canonical cell name ("lstm", "gru", "rnn", "mingru", "minlstm", "qrnn" or "lru") for `cell`,
    or raises ValueError."""
    if not isinstance(cell, str):
        raise ValueError(f"`cell` must be a string, one of {sorted(CELLS)}; got {cell!r}.")
    key = CELL_ALIASES.get(cell.lower(), cell.lower())
    if key not in CELLS:
        raise ValueError(f"Unknown cell {cell!r}. Use one of {sorted(CELLS)} (or 'simple_rnn' for 'rnn').")
    return key


@keras.saving.register_keras_serializable(package="rnnzoo")
class OneHot(layers.Layer):
    """One-hot encodes token ids, the seeds' input formulation (x_t is a one-hot vector).

    Args:
        num_tokens: int. Size of the vocabulary (depth of the one-hot vectors).
        mask_zero: bool. Whether id 0 is padding and produces a mask.

    Examples:
    >>> OneHot(5)(keras.ops.convert_to_tensor([[1, 2, 0]])).shape
    (1, 3, 5)
    """

    def __init__(self, num_tokens, mask_zero=True, **kwargs):
        super().__init__(**kwargs)
        self.num_tokens = int(num_tokens)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = True

    def call(self, inputs):
        return ops.one_hot(ops.cast(inputs, "int32"), self.num_tokens, dtype=self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "mask_zero": self.mask_zero}


@keras.saving.register_keras_serializable(package="rnnzoo")
class Metadata(layers.Layer):
    """An identity layer that carries what a saved model needs besides its weights.

    The text pipeline (tokenizer settings and vocabulary), the label names and the registry name travel in
    this layer's config, so a `.keras` file alone turns raw text into predictions.

    Args:
        metadata: dict. JSON-serialisable metadata.
    """

    def __init__(self, metadata=None, **kwargs):
        super().__init__(**kwargs)
        self.metadata = dict(metadata or {})
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "metadata": self.metadata}


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedGlobalPooling1D(layers.Layer):
    """Max or mean pooling over time that ignores padded steps.

    Args:
        mode: str. "max" or "mean".
    """

    def __init__(self, mode="max", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("max", "mean"):
            raise ValueError(f"`mode` must be 'max' or 'mean'; got {mode!r}.")
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=1) if self.mode == "max" else ops.mean(inputs, axis=1)
        m = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        if self.mode == "max":
            very_negative = ops.cast(-1e9, inputs.dtype)
            return ops.max(ops.where(m > 0, inputs, very_negative), axis=1)
        return ops.sum(inputs * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def sequence_input(
    input_mode="embedding",
    vocabulary_size=None,
    embedding_dim=128,
    embeddings=None,
    trainable_embeddings=True,
    mask_zero=True,
    num_features=None,
    sequence_length=None,
    batch_size=None,
    metadata=None,
    name="tokens",
    embedding_initializer="normal",
):
    """Creates the model input and turns it into a (masked) sequence of vectors.

    Args:
        input_mode: str. "embedding" (learned lookup table), "one_hot" (the seeds' formulation) or "dense"
            (real-valued features, e.g. a time series).
        vocabulary_size: int. Number of token ids, padding and reserved ids included (not for "dense").
        embedding_dim: int. Size of the learned embedding (ignored when `embeddings` is given).
        embeddings: array of shape (vocabulary_size, dim) or None. A pretrained embedding matrix.
        trainable_embeddings: bool. Whether the embedding is updated during training (freeze a pretrained one
            with False).
        mask_zero: bool. Treat id 0 as padding and mask it (right padding keeps LSTM/GRU on cuDNN).
        num_features: int. Feature count for `input_mode="dense"`.
        sequence_length: int or None. Fixed length, or None for variable-length batches.
        batch_size: int or None. Fixed batch size (needed by stateful layers), or None.
        metadata: dict or None. Carried in a `Metadata` layer so a saved model knows its text pipeline.
        name: str. Name of the input.
        embedding_initializer: str or Keras initializer. "normal" (default): N(0, 1), PyTorch's `nn.Embedding`
            initialisation. Keras' own default, uniform in ±0.05, feeds the first layer inputs about 35 times
            smaller, and a 2×256 char LSTM trained on it stood at 2.23 validation nats/char after its first epoch
            against 1.93 with N(0, 1) (benchmarks/time_to_quality.py, issue 17); any Keras initializer name works.

    Returns:
        `(inputs, x)`: the `keras.Input` and the masked sequence tensor of shape (batch, time, features).

    Examples:
    >>> inputs, x = sequence_input(vocabulary_size=50, embedding_dim=8)
    >>> tuple(x.shape)
    (None, None, 8)
    """
    if input_mode not in INPUT_MODES:
        raise ValueError(f"Unknown input_mode {input_mode!r}; use one of {INPUT_MODES}.")
    if input_mode == "dense":
        if not num_features or int(num_features) < 1:
            raise ValueError("input_mode='dense' needs `num_features` (the number of values per time step).")
        inputs = keras.Input(shape=(sequence_length, int(num_features)), batch_size=batch_size, dtype="float32",
                             name=name)
        x = Metadata(metadata, name=METADATA)(inputs)
        return inputs, x
    if vocabulary_size is None and embeddings is None:
        raise ValueError(f"input_mode={input_mode!r} needs `vocabulary_size` (the number of token ids).")
    if embeddings is not None:
        embeddings = ops.convert_to_numpy(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"`embeddings` must be a 2-D matrix (vocabulary_size, dim); got shape {embeddings.shape}.")
        if vocabulary_size is not None and embeddings.shape[0] != vocabulary_size:
            raise ValueError(
                f"`embeddings` has {embeddings.shape[0]} rows but vocabulary_size is {vocabulary_size}; "
                "they must match (one row per token id)."
            )
        vocabulary_size, embedding_dim = embeddings.shape
    if int(vocabulary_size) < 2:
        raise ValueError(f"vocabulary_size must be at least 2 (padding plus one token); got {vocabulary_size}.")
    inputs = keras.Input(shape=(sequence_length,), batch_size=batch_size, dtype="int32", name=name)
    x = Metadata(metadata, name=METADATA)(inputs)
    if input_mode == "one_hot":
        return inputs, OneHot(int(vocabulary_size), mask_zero=mask_zero, name=ONE_HOT)(x)
    if embedding_initializer == "normal":
        embedding_initializer = keras.initializers.RandomNormal(stddev=1.0)
    embedding = layers.Embedding(int(vocabulary_size), int(embedding_dim), mask_zero=mask_zero,
                                 trainable=trainable_embeddings, embeddings_initializer=embedding_initializer,
                                 name=EMBEDDING)
    outputs = embedding(x)  # builds the layer
    if embeddings is not None:
        # The matrix goes into the weights, not the config: a Constant initializer would be written into the saved
        # model's config.json as JSON text (about five times the weights' bytes) and parsed again at every load.
        embedding.embeddings.assign(embeddings.astype(embedding.embeddings.dtype))
    return inputs, outputs


def recurrent_layer(cell, units, return_sequences=True, return_state=False, name=None, **kwargs):
    """Creates one SimpleRNN / GRU / LSTM layer with cuDNN-eligible defaults, or a parallel-scan layer.

    Args:
        cell: str. "lstm", "gru" or "rnn" (SimpleRNN); or "mingru", "minlstm", "qrnn", "lru" (the layers of
            `rnnzoo.layers.parallel`, which train by one scan over the sequence).
        units: int. Size of the hidden state.
        return_sequences: bool. Return every step's output rather than the last.
        return_state: bool. Also return the final state(s).
        name: str or None. Layer name.
        **kwargs: passed to the Keras layer (e.g. `recurrent_initializer`, `activation`).

    Examples:
    >>> recurrent_layer("gru", 16).reset_after
    True
    """
    cell = resolve_cell(cell)
    if int(units) < 1:
        raise ValueError(f"`units` must be a positive integer; got {units!r}.")
    if cell in PARALLEL_LAYERS:
        unknown = sorted(set(kwargs) - set(_PARALLEL_OPTIONS))
        if unknown:
            raise ValueError(f"The {cell!r} layer does not take {unknown} (an LSTM/GRU option?); it takes "
                             f"{', '.join(_PARALLEL_OPTIONS)}.")
        return CELLS[cell](int(units), return_sequences=return_sequences, return_state=return_state, name=name,
                           **kwargs)
    options = dict(recurrent_initializer="orthogonal", recurrent_dropout=0.0, unroll=False, use_bias=True)
    if cell == "gru":
        options["reset_after"] = True
    options.update(kwargs)
    return CELLS[cell](
        int(units), return_sequences=return_sequences, return_state=return_state, name=name, **options
    )


def recurrent_stack(
    x,
    cell="lstm",
    units=128,
    num_layers=1,
    bidirectional=False,
    merge_mode="concat",
    dropout=0.0,
    residual=None,
    return_sequences=True,
    return_state=False,
    stateful=False,
    name="recurrent",
    **layer_options,
):
    """Stacks recurrent layers on a (masked) sequence tensor: the core of every rnnzoo model.

    Args:
        x: tensor of shape (batch, time, features), e.g. from `sequence_input`.
        cell: str. "lstm", "gru" or "rnn" (SimpleRNN), or a parallel cell: "mingru", "minlstm", "qrnn", "lru".
        units: int. Hidden size of every layer (per direction when bidirectional).
        num_layers: int. Number of stacked layers.
        bidirectional: bool. Wrap each layer in `Bidirectional`.
        merge_mode: str. How the two directions are merged: "concat", "sum", "mul" or "ave".
        dropout: float. Dropout rate applied between layers (and after the last one when it returns sequences).
        residual: bool or None. Add each layer's input to its output where their sizes agree (layers 2 and up).
            None: True for "mingru", "minlstm" and "lru", whose layers 2 and up also layer-normalise their input
            (the pre-norm residual blocks of their papers; the first layer reads the raw input, which may be a
            couple of real-valued features that a normalisation would wipe out), False for the others.
        return_sequences: bool. Whether the last layer returns every step (lower layers always do).
        return_state: bool. Also return the last layer's final states.
        stateful: bool. Carry each layer's final state into the next batch (truncated BPTT over long texts;
            needs a fixed `batch_size` in `sequence_input`).
        name: str. Prefix of the layer names (`{name}_1`, `{name}_2`, ...).
        **layer_options: passed to every Keras recurrent layer.

    Returns:
        The output tensor, or `(output, states)` when `return_state=True`, where `states` is a list
        ([h] for GRU/RNN, [h, c] for LSTM; forward states then backward states when bidirectional).

    Examples:
    >>> inputs, x = sequence_input(vocabulary_size=50, embedding_dim=8)
    >>> y = recurrent_stack(x, cell="gru", units=16, num_layers=2, bidirectional=True, return_sequences=False)
    >>> tuple(y.shape)
    (None, 32)
    """
    cell = resolve_cell(cell)
    if int(num_layers) < 1:
        raise ValueError(f"`num_layers` must be at least 1; got {num_layers!r}.")
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"Unknown merge_mode {merge_mode!r}; use one of {MERGE_MODES}.")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1); got {dropout!r}.")
    states = None
    if residual is None:
        residual = cell in PRENORM_RESIDUAL
    for i in range(int(num_layers)):
        last = i == int(num_layers) - 1
        options = dict(layer_options)
        if cell in PRENORM_RESIDUAL and i > 0:  # a block's input is the stack's running sum: normalise it first
            options.setdefault("normalize", True)
        layer = recurrent_layer(
            cell,
            units,
            return_sequences=return_sequences or not last,
            return_state=return_state and last,
            stateful=stateful,
            name=f"{name}_{i + 1}" if not bidirectional else f"{name}_{i + 1}_{cell}",
            **options,
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, merge_mode=merge_mode, name=f"{name}_{i + 1}")
        out = layer(x)
        if return_state and last:
            out, states = out[0], list(out[1:])
        if residual and i > 0 and (return_sequences or not last) and out.shape[-1] == x.shape[-1]:
            out = layers.Add(name=f"{name}_{i + 1}_residual")([x, out])
        if dropout and (return_sequences or not last):
            out = layers.Dropout(dropout, name=f"{name}_{i + 1}_dropout")(out)
        x = out
    return (x, states) if return_state else x
