"""Attention for encoder–decoder models: Bahdanau (additive) and Luong (multiplicative), and the decoder
layer that runs a recurrent cell with attention over the encoder's outputs, one target step at a time.

Notation: h_s is the encoder output at source position s (the "memory"), s_t the decoder state at step t.
An attention mechanism scores every source position, turns the scores into weights α_ts = softmax_s(score)
over the unpadded positions, and returns the context vector c_t = Σ_s α_ts h_s together with α_t.

Reference:
    Bahdanau, Cho & Bengio (2015), Neural Machine Translation by Jointly Learning to Align and Translate.
    Luong, Pham & Manning (2015), Effective Approaches to Attention-based Neural Machine Translation.
"""

import math

import keras
from keras import layers, ops

from rnnzoo.layers.recurrent import resolve_cell

NEG_INF = -1e9
_CELLS = {"lstm": layers.LSTMCell, "gru": layers.GRUCell, "rnn": layers.SimpleRNNCell}


def _wide_step(cell, kind, inputs, states):
    """One step of a Keras LSTMCell or GRUCell (`reset_after=True`) under mixed precision: the multiplies in the
    cell's 16-bit compute dtype, the gates and the states in float32. Returns (h, new states), both float32.

    Keras' cell computes its gates and keeps its states in the compute dtype, and a bfloat16 running state loses
    every increment under half its spacing (8 bits: from 1.0 on, adding 1/256 does nothing), step after step;
    rnnzoo's scans (`layers/scan.py`) keep their recurrence in float32 the same way. In float32 this equals the
    cell's own call (tests/test_attention.py)."""
    low = lambda v: ops.cast(v, cell.compute_dtype)  # noqa: E731
    wide = lambda v: ops.cast(v, "float32")  # noqa: E731
    n, act, gate = cell.units, cell.activation, cell.recurrent_activation
    x, h = low(inputs), wide(states[0])
    if kind == "lstm":
        z = wide(ops.matmul(x, low(cell.kernel))) + wide(ops.matmul(low(h), low(cell.recurrent_kernel)))
        if cell.use_bias:
            z = z + wide(cell.bias)
        c = gate(z[:, n:2 * n]) * wide(states[1]) + gate(z[:, :n]) * act(z[:, 2 * n:3 * n])
        h = gate(z[:, 3 * n:]) * act(c)
        return h, [h, c]
    mx = wide(ops.matmul(x, low(cell.kernel)))
    mh = wide(ops.matmul(low(h), low(cell.recurrent_kernel)))
    if cell.use_bias:
        bias = wide(cell.bias)
        mx, mh = mx + bias[0], mh + bias[1]
    z = gate(mx[:, :n] + mh[:, :n])
    r = gate(mx[:, n:2 * n] + mh[:, n:2 * n])
    h = z * h + (1 - z) * act(mx[:, 2 * n:] + r * mh[:, 2 * n:])
    return h, [h]


class _Attention(layers.Layer):
    """Shared part: keys are computed once per source sequence, then each query is scored against them."""

    def keys(self, memory):
        """Projects the memory once (what does not depend on the query)."""
        return memory

    def score(self, query, keys):
        raise NotImplementedError

    def attend(self, query, keys, memory, memory_mask=None):
        """query: (batch, query_dim) → (context (batch, memory_dim), weights (batch, source_length))."""
        scores = ops.cast(self.score(query, keys), "float32")
        if memory_mask is not None:
            scores = ops.where(memory_mask, scores, NEG_INF)
        weights = ops.softmax(scores, axis=-1)
        context = ops.einsum("bs,bsd->bd", ops.cast(weights, memory.dtype), memory)
        return context, weights

    def call(self, query, memory, memory_mask=None):
        """query (batch, query_dim) or (batch, steps, query_dim); returns (context, weights) with the same
        leading axes."""
        keys = self.keys(memory)
        if len(query.shape) == 2:
            return self.attend(query, keys, memory, memory_mask)
        flat = ops.reshape(ops.transpose(query, (1, 0, 2)), (-1, query.shape[-1]))
        steps, batch = ops.shape(query)[1], ops.shape(query)[0]
        tile = lambda t: ops.reshape(ops.tile(ops.expand_dims(t, 0), [steps] + [1] * len(t.shape)),
                                     (-1,) + tuple(t.shape[1:]))
        mask = None if memory_mask is None else tile(memory_mask)
        context, weights = self.attend(flat, tile(keys), tile(memory), mask)
        back = lambda t: ops.transpose(ops.reshape(t, (steps, batch, t.shape[-1])), (1, 0, 2))
        return back(context), back(weights)

    def compute_output_shape(self, query_shape, memory_shape):
        return tuple(query_shape[:-1]) + (memory_shape[-1],), tuple(query_shape[:-1]) + (memory_shape[1],)


@keras.saving.register_keras_serializable(package="rnnzoo")
class BahdanauAttention(_Attention):
    """Additive attention: score(s_{t−1}, h_s) = vᵀ tanh(W₁ h_s + W₂ s_{t−1}).

    With `normalize=True` the vector v is weight-normalised, v = g · v / ‖v‖, and a bias b is added inside the
    tanh (Salimans & Kingma 2016, as in TensorFlow Addons' `normalize=True`).

    Args:
        units: int. Size of the hidden layer of the scoring network (the rows of W₁ and W₂).
        normalize: bool. Weight-normalise v and add the bias b.

    Examples:
    >>> attention = BahdanauAttention(8)
    >>> context, weights = attention(keras.ops.ones((2, 5)), keras.ops.ones((2, 7, 6)))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 7))
    """

    def __init__(self, units, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"`units` must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.normalize = bool(normalize)

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        self.memory_kernel = self.add_weight(name="memory_kernel", shape=(memory_shape[-1], self.units),
                                             initializer="glorot_uniform")  # W₁
        self.query_kernel = self.add_weight(name="query_kernel", shape=(query_shape[-1], self.units),
                                            initializer="glorot_uniform")  # W₂
        self.v = self.add_weight(name="v", shape=(self.units,), initializer="glorot_uniform")
        if self.normalize:
            self.g = self.add_weight(name="g", shape=(), initializer=keras.initializers.Constant(
                math.sqrt(1.0 / self.units)))
            self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def keys(self, memory):
        return ops.matmul(memory, self.memory_kernel)

    def score(self, query, keys):
        hidden = ops.tanh(keys + ops.expand_dims(ops.matmul(query, self.query_kernel), 1)
                          + (self.b if self.normalize else 0.0))
        v = self.v
        if self.normalize:
            v = self.g * v / ops.sqrt(ops.sum(ops.square(v)))
        return ops.einsum("bsu,u->bs", hidden, v)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "normalize": self.normalize}


@keras.saving.register_keras_serializable(package="rnnzoo")
class LuongAttention(_Attention):
    """Multiplicative attention: score(h_t, h_s) = h_tᵀ h_s ("dot"), h_tᵀ W_a h_s ("general"), or
    h_tᵀ h_s / √d ("scaled_dot").

    Args:
        score_mode: str. "general" (default), "dot" or "scaled_dot". The dot forms need the query and memory to
            have the same size.

    Examples:
    >>> attention = LuongAttention("general")
    >>> context, weights = attention(keras.ops.ones((2, 5)), keras.ops.ones((2, 7, 6)))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 7))
    """

    SCORE_MODES = ("general", "dot", "scaled_dot")

    def __init__(self, score_mode="general", **kwargs):
        super().__init__(**kwargs)
        if score_mode not in self.SCORE_MODES:
            raise ValueError(f"Unknown score_mode {score_mode!r}; use one of {self.SCORE_MODES}.")
        self.score_mode = score_mode

    def build(self, query_shape, memory_shape, memory_mask_shape=None):
        if self.score_mode == "general":
            self.kernel = self.add_weight(name="kernel", shape=(memory_shape[-1], query_shape[-1]),
                                          initializer="glorot_uniform")  # W_a, applied to the memory once
        elif query_shape[-1] != memory_shape[-1]:
            raise ValueError(f"score_mode={self.score_mode!r} needs query and memory of the same size; got "
                             f"{query_shape[-1]} and {memory_shape[-1]}. Use score_mode='general'.")

    def keys(self, memory):
        return ops.matmul(memory, self.kernel) if self.score_mode == "general" else memory

    def score(self, query, keys):
        scores = ops.einsum("bd,bsd->bs", query, keys)
        if self.score_mode == "scaled_dot":
            scores = scores / math.sqrt(query.shape[-1])
        return scores

    def get_config(self):
        return {**super().get_config(), "score_mode": self.score_mode}


ATTENTIONS = ("bahdanau", "luong")


@keras.saving.register_keras_serializable(package="rnnzoo")
class AttentionDecoder(layers.Layer):
    """A recurrent decoder that attends to the encoder's outputs at every step.

    Bahdanau: the previous state s_{t−1} queries the memory, and the cell reads [y_{t−1}; c_t]:
        c_t, α_t = attend(s_{t−1}, H);  s_t = cell([y_{t−1}; c_t], s_{t−1});  output o_t = [s_t; c_t].
    Luong with input feeding: the new state queries the memory, and the attentional vector h̃_t is fed to the
    next step's input:
        h_t = cell([y_{t−1}; h̃_{t−1}], h_{t−1});  c_t, α_t = attend(h_t, H);  h̃_t = tanh(W_c [c_t; h_t]);  o_t = h̃_t.

    The same `step` runs the teacher-forced training pass (over all target positions with `keras.ops.scan`)
    and the inference loops (greedy, sampling, beam search), so both compute exactly the same function.

    Args:
        units: int. Size of the decoder state.
        cell: str. "lstm", "gru" or "rnn".
        attention: str. "bahdanau" or "luong".
        attention_units: int or None. Bahdanau: hidden size of the scoring network (default `units`).
        score_mode: str. Luong: "general", "dot" or "scaled_dot".
        normalize: bool. Bahdanau: weight normalisation.
        input_feeding: bool. Luong: feed h̃_{t−1} into the cell's input.

    Examples:
    >>> decoder = AttentionDecoder(8, attention="luong")
    >>> out = decoder(keras.ops.ones((2, 4, 3)), keras.ops.ones((2, 7, 6)), [keras.ops.zeros((2, 8))] * 2)
    >>> tuple(out.shape)
    (2, 4, 8)
    """

    def __init__(self, units, cell="lstm", attention="bahdanau", attention_units=None, score_mode="general",
                 normalize=False, input_feeding=True, **kwargs):
        super().__init__(**kwargs)
        if attention not in ATTENTIONS:
            raise ValueError(f"Unknown attention {attention!r}; use one of {ATTENTIONS} (or attention=None in "
                             "the seq2seq builder for the no-attention baseline).")
        self.units = int(units)
        self.cell_type = resolve_cell(cell)
        if self.cell_type not in _CELLS:
            raise ValueError(f"The attention decoder steps an LSTM, GRU or SimpleRNN cell ({sorted(_CELLS)}); got "
                             f"{cell!r}. Parallel cells serve as encoders: pass decoder_cell='gru' (or 'lstm').")
        self.attention_type = attention
        self.attention_units = int(attention_units or units)
        self.score_mode = score_mode
        self.normalize = bool(normalize)
        self.input_feeding = bool(input_feeding)
        options = {"recurrent_initializer": "orthogonal"}
        if self.cell_type == "gru":
            options["reset_after"] = True
        self.cell = _CELLS[self.cell_type](self.units, name="cell", **options)
        if attention == "bahdanau":
            self.attention = BahdanauAttention(self.attention_units, normalize=normalize, name="attention")
        else:
            self.attention = LuongAttention(score_mode, name="attention")
            self.combine = layers.Dense(self.units, activation="tanh", use_bias=False, name="combine")  # W_c
        self.supports_masking = True

    @property
    def num_cell_states(self):
        return 2 if self.cell_type == "lstm" else 1

    @property
    def output_size(self):
        return self.units + self._memory_dim if self.attention_type == "bahdanau" else self.units

    def build(self, inputs_shape, memory_shape, initial_state_shape=None):
        self._memory_dim = int(memory_shape[-1])
        if self.attention_type == "bahdanau":
            cell_input = inputs_shape[-1] + self._memory_dim
        else:
            cell_input = inputs_shape[-1] + (self.units if self.input_feeding else 0)
            self.combine.build((None, self._memory_dim + self.units))
        self.cell.build((None, cell_input))
        self.attention.build((None, self.units), tuple(memory_shape))

    def keys(self, memory):
        return self.attention.keys(memory)

    @property
    def wide_states(self):
        """Whether the cell states are carried in float32 around 16-bit multiplies (LSTM and GRU cells under
        mixed precision; `_wide_step`)."""
        return self.cell_type in ("lstm", "gru") and self.cell.compute_dtype in ("bfloat16", "float16")

    def initial_carry(self, initial_state, memory):
        """The loop state: cell states, the last attention weights and (Luong) the fed-back vector h̃."""
        batch = ops.shape(memory)[0]
        # the dtype the step returns: float32 (`wide_states`) or the cell's, whatever the encoder's policy
        states = [ops.cast(s, "float32" if self.wide_states else self.cell.compute_dtype) for s in initial_state]
        carry = {"states": states, "weights": ops.zeros((batch, ops.shape(memory)[1]), "float32")}
        if self.attention_type == "luong":
            carry["feed"] = ops.zeros((batch, self.units), self.compute_dtype)
        return carry

    def step(self, x, carry, keys, memory, memory_mask=None):
        """One decoder step: x (batch, input_dim) → (output (batch, output_size), new carry)."""
        states = carry["states"]
        if self.attention_type == "bahdanau":
            context, weights = self.attention.attend(self._low(states[0]), keys, memory, memory_mask)
            h, new_states = self._cell_step(ops.concatenate([x, context], -1), states)
            output, new = ops.concatenate([self._low(h), context], -1), {}
        else:
            cell_input = ops.concatenate([x, carry["feed"]], -1) if self.input_feeding else x
            h, new_states = self._cell_step(cell_input, states)
            h = self._low(h)
            context, weights = self.attention.attend(h, keys, memory, memory_mask)
            output = self.combine(ops.concatenate([context, h], -1))
            new = {"feed": output}
        return output, {"states": new_states, "weights": weights, **new}

    def _low(self, value):
        """`value` in the cell's compute dtype (a no-op in float32)."""
        return ops.cast(value, self.cell.compute_dtype) if self.wide_states else value

    def _cell_step(self, inputs, states):
        if self.wide_states:
            return _wide_step(self.cell, self.cell_type, inputs, states)
        h, new_states = self.cell(inputs, states, training=False)
        return h, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]

    def run(self, inputs, memory, initial_state, memory_mask=None):
        """Teacher-forced pass over all steps. Returns (outputs (batch, T, output_size), weights (batch, T, S))."""
        keys = self.keys(memory)

        def body(carry, x):
            output, new = self.step(x, carry["carry"], keys, memory, memory_mask)
            new = {"carry": new, "output": output}
            return new, new  # Keras' TensorFlow scan stacks outputs shaped like the carry

        init = {"carry": self.initial_carry(initial_state, memory),
                "output": ops.zeros((ops.shape(memory)[0], self.output_size), memory.dtype)}
        _, stacked = ops.scan(body, init, ops.transpose(inputs, (1, 0, 2)))
        outputs = ops.transpose(stacked["output"], (1, 0, 2))
        weights = ops.transpose(stacked["carry"]["weights"], (1, 0, 2))
        return outputs, weights

    def call(self, inputs, memory, initial_state, memory_mask=None):
        return self.run(inputs, memory, initial_state, memory_mask)[0]

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, inputs_shape, memory_shape, initial_state_shape=None):
        size = self.units + memory_shape[-1] if self.attention_type == "bahdanau" else self.units
        return tuple(inputs_shape[:-1]) + (size,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "cell": self.cell_type,
                "attention": self.attention_type, "attention_units": self.attention_units,
                "score_mode": self.score_mode, "normalize": self.normalize, "input_feeding": self.input_feeding}
