"""Recurrences that train in parallel: minGRU, minLSTM, QRNN and LRU as Keras 3 layers.

Their gates read the input only (no hidden-to-hidden matrix), so a layer's heavy work is one matrix multiply
over the whole sequence, and what remains is the element-wise linear recurrence `h_t = a_t ⊙ h_{t-1} + b_t`,
computed for all steps at once by `rnnzoo.layers.scan` (`gated_scan`: gates, scan and readout; `linear_scan`).
Each layer is a `keras.layers.RNN` over a cell whose `call` is one step of the same equations, so the layer has
two modes with equal outputs:

- `mode="parallel"` (default): the projection of all steps, then the scan. Training and batch inference.
- `mode="sequential"`: Keras' step loop over the cell. Decoding, streaming and TFLite export use the cell (the
  export converts the layer in this mode: a WHILE loop of small element-wise steps and builtin ops only).

Because they are `keras.layers.RNN` layers they take masks, `return_sequences`, `return_state`,
`go_backwards`, `stateful` and `Bidirectional` like an LSTM. Masked steps keep the state; with
`return_sequences=True` their outputs are zeros (as `Bidirectional` asks of every layer), and the last output is
the one of the last unmasked step. The parallel mode equals the step loop for any mask for minGRU, minLSTM and
LRU; for QRNN (whose state also holds the last inputs of its convolution window) for right- or left-padded
masks, the only kind rnnzoo's pipelines make.

The equations (`rnnzoo.reference` holds them in NumPy, and the tests check each layer against them):
- minGRU (Feng et al. 2024): z = σ(W_z x), h̃ = W_h x, h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃.
- minLSTM (Feng et al. 2024): f = σ(W_f x), i = σ(W_i x), h̃ = W_h x; f' = f/(f+i), i' = i/(f+i);
  h_t = f' ⊙ h_{t−1} + i' ⊙ h̃.
- QRNN with fo-pooling (Bradbury et al. 2017): [z, f, o] = [tanh, σ, σ](W [x_{t−k+1}; …; x_t]) (a causal
  convolution of width k); c_t = f ⊙ c_{t−1} + (1 − f) ⊙ z; h_t = o ⊙ c_t.
- LRU (Orvieto et al. 2023): λ = exp(−exp(ν) + i·exp(θ)) per state channel, h_t = λ ⊙ h_{t−1} +
  γ ⊙ (B x_t) with γ = exp(γ_log) (initialised to √(1 − |λ|²)), y_t = act(Re(C h_t) + D x_t + d). The complex
  state is kept as its real and imaginary halves.

`normalize=True` puts a layer normalisation on the input of each step (the pre-norm of the minGRU and LRU
papers' residual blocks; `recurrent_stack` turns it and the residual connections on for those cells).
"""

import math

import keras
from keras import ops

from rnnzoo.layers.scan import gated_scan

MODES = ("parallel", "sequential")


def _time_window(x, start, steps):
    """`x[start:start + steps]` along the leading (time) axis. On TensorFlow a plain `Slice`: the strided slice
    that indexing makes has a gradient (StridedSliceGrad) that cost a QRNN char LM's training step about 15% of
    its time on a 2-core CPU (TF profiler, 2026-12-04); Slice's gradient is a Pad."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.slice(x, [start, 0, 0], tf.stack([steps, -1, -1]))
    return x[start:start + steps]


def _last_index(mask):
    """Per row, the index of the last unmasked step (−1 when a row is all padding)."""
    positions = ops.arange(ops.shape(mask)[1], dtype="int32")[None, :]
    return ops.max(ops.where(ops.cast(mask, "bool"), positions, -1), axis=1)


def _last_unmasked(outputs, mask):
    """Per row, the output of the last unmasked step (zeros when there is none)."""
    last = _last_index(mask)
    picked = ops.take_along_axis(outputs, ops.reshape(ops.maximum(last, 0), (-1, 1, 1)), axis=1)[:, 0]
    return ops.where(ops.reshape(last >= 0, (-1, 1)), picked, ops.zeros_like(picked))


class _ParallelCell(keras.layers.Layer):
    """One step of a parallel-trainable recurrence; subclasses define the projection and the readout.

    Subclass contract (the base builds and applies one kernel of `gates` projections; LRU overrides both):
    `_build(features)` makes the weights; `project(x)` maps inputs (..., features) to the
    per-step quantities (a tuple of tensors: split once with `ops.split`, since slicing the last axis costs a
    strided-slice gradient per use); `transition(p)` returns `(a, b)` (tensors, or (real, imaginary) pairs) of
    `h_t = a ⊙ h_{t−1} + b`; `readout(h, p)` the output. All three act on the last axis only, so the same code
    serves one step (batch, features) and whole sequences (batch, time, features).
    """

    complex_state = False
    window = 1
    gates = 0  # projections of the input, each `units` wide (the LRU builds its own weights)

    def __init__(self, units, normalize=False, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"`units` must be a positive integer; got {units!r}.")
        self.units = int(units)
        self.normalize = bool(normalize)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.features = None

    # -- what Keras' RNN asks of a cell
    @property
    def state_size(self):
        sizes = [self.units, self.units] if self.complex_state else [self.units]
        if self.window > 1:  # known once built (the layer refreshes its copy in `build`)
            sizes.append((self.window - 1) * (self.features or 1))
        return sizes

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        self.features = int(input_shape[-1])
        if self.normalize:
            self.norm_scale = self.add_weight(shape=(self.features,), initializer="ones", name="norm_scale")
            self.norm_bias = self.add_weight(shape=(self.features,), initializer="zeros", name="norm_bias")
        self._build(self.features)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, s), dtype=self.compute_dtype) for s in self.state_size]

    def _norm(self, x):
        if not self.normalize:
            return x
        mean = ops.mean(x, axis=-1, keepdims=True)
        var = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
        return (x - mean) * ops.rsqrt(var + 1e-5) * self.norm_scale + self.norm_bias

    def call(self, inputs, states, training=False):
        """One step: (x_t, states) → (y_t, new states)."""
        x = self._norm(inputs)
        n = 2 if self.complex_state else 1
        h_prev = (states[0], states[1]) if self.complex_state else states[0]
        new_window = []
        if self.window > 1:
            window = states[n]
            x_in = ops.concatenate([window, x], axis=-1)
            new_window = [x_in[:, self.features:]]
        else:
            x_in = x
        p = self.project(x_in)
        a, b = self.transition(p)
        if self.complex_state:
            h = (a[0] * h_prev[0] - a[1] * h_prev[1] + b[0], a[0] * h_prev[1] + a[1] * h_prev[0] + b[1])
            h_states = list(h)
        else:
            h = a * h_prev + b
            h_states = [h]
        return self.readout(h, p), h_states + new_window

    # -- the whole sequence at once
    def parallel(self, sequences, initial_state, mask, go_backwards=False, zero_output=False):
        """(last_output, outputs, states) as Keras' loop returns them, from one projection and one scan.

        Works time-major inside (one transpose of the inputs and one of the outputs), as the scan does."""
        x = ops.transpose(sequences, (1, 0, 2))  # (time, batch, features)
        if mask is not None:
            mask = ops.cast(mask, "bool")
        if go_backwards:
            x = ops.flip(x, axis=0)
            mask = None if mask is None else ops.flip(mask, axis=1)
        x = self._norm(x)
        steps = ops.shape(x)[0]
        n = 2 if self.complex_state else 1
        if mask is not None:
            m = ops.expand_dims(ops.transpose(mask), -1)  # (time, batch, 1)
            x = ops.where(m, x, ops.zeros_like(x))
        if self.window > 1:  # the causal convolution: each step reads the window before it and itself
            k = self.window
            start = ops.transpose(ops.reshape(initial_state[n], (-1, k - 1, self.features)), (1, 0, 2))
            full = ops.concatenate([ops.cast(start, x.dtype), x], axis=0)
            x_in = ops.concatenate([_time_window(full, j, steps) for j in range(k)], axis=-1)
        else:
            x_in = x
        p = self.project(x_in)
        h0 = (initial_state[0], initial_state[1]) if self.complex_state else initial_state[0]
        # a masked step is the identity map (a = 1 (+ 0i), b = 0)
        outputs, h = gated_scan(self, p, h0, None if mask is None else m)
        final = [h[0][-1], h[1][-1]] if self.complex_state else [h[-1]]
        if mask is not None and zero_output:  # set with return_sequences (the layer and Bidirectional do)
            outputs = ops.where(m, outputs, ops.zeros_like(outputs))
        outputs = ops.transpose(outputs, (1, 0, 2))
        if mask is None:
            if self.window > 1:
                final.append(ops.reshape(ops.transpose(full[steps:], (1, 0, 2)), (-1, (k - 1) * self.features)))
            return outputs[:, -1], outputs, final
        last_output = _last_unmasked(outputs, mask)
        if self.window > 1:  # the inputs up to the last unmasked step (the start window when there is none)
            index = ops.reshape(_last_index(mask), (1, -1)) + 1 + ops.arange(k - 1, dtype="int32")[:, None]
            window = ops.take_along_axis(full, ops.expand_dims(index, -1), axis=0)  # (k − 1, batch, features)
            final.append(ops.reshape(ops.transpose(window, (1, 0, 2)), (-1, (k - 1) * self.features)))
        return last_output, outputs, final

    def _build(self, features):
        self.kernel = self._dense((self.window * features, self.gates * self.units), "kernel")
        self.bias = self._dense((self.gates * self.units,), "bias", self.bias_initializer)

    def project(self, x):
        return ops.split(ops.matmul(x, self.kernel) + self.bias, self.gates, axis=-1)

    def _dense(self, shape, name, initializer=None):
        return self.add_weight(shape=shape, initializer=initializer or self.kernel_initializer, name=name)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "normalize": self.normalize,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


@keras.saving.register_keras_serializable(package="rnnzoo")
class MinGRUCell(_ParallelCell):
    """One minGRU step: z = σ(W_z x + b_z), h̃ = W_h x + b_h, h = (1 − z) ⊙ h_prev + z ⊙ h̃."""

    gates = 2

    def transition(self, p):
        k_z, candidate = p
        return ops.sigmoid(-k_z), ops.sigmoid(k_z) * candidate

    def readout(self, h, p):
        return h


@keras.saving.register_keras_serializable(package="rnnzoo")
class MinLSTMCell(_ParallelCell):
    """One minLSTM step: f, i = σ(W_f x), σ(W_i x), h̃ = W_h x; h = f/(f+i) ⊙ h_prev + i/(f+i) ⊙ h̃."""

    gates = 3

    def transition(self, p):
        k_f, k_i, candidate = p
        f, i = ops.sigmoid(k_f), ops.sigmoid(k_i)
        total = f + i
        return f / total, (i / total) * candidate

    def readout(self, h, p):
        return h


@keras.saving.register_keras_serializable(package="rnnzoo")
class QRNNCell(_ParallelCell):
    """One QRNN step (fo-pooling): [z, f, o] from a width-`window` causal convolution of the inputs;
    c = f ⊙ c_prev + (1 − f) ⊙ tanh(z); h = o ⊙ c. The state is [c, the last window − 1 inputs]."""

    def __init__(self, units, window=2, **kwargs):
        super().__init__(units, **kwargs)
        if int(window) < 1:
            raise ValueError(f"`window` (the convolution width) must be at least 1; got {window!r}.")
        self.window = int(window)

    gates = 3

    def transition(self, p):
        k_z, k_f, _ = p
        return ops.sigmoid(k_f), ops.sigmoid(-k_f) * ops.tanh(k_z)

    def readout(self, h, p):
        return ops.sigmoid(p[2]) * h

    def get_config(self):
        return {**super().get_config(), "window": self.window}


@keras.saving.register_keras_serializable(package="rnnzoo")
class LRUCell(_ParallelCell):
    """One Linear Recurrent Unit step: h = λ ⊙ h_prev + γ ⊙ (B x) (complex, diagonal λ inside the unit disc),
    y = act(Re(C h) + D x + d). `r_min`, `r_max`: the range of |λ| at initialisation; `max_phase`: of arg λ."""

    complex_state = True

    def __init__(self, units, r_min=0.4, r_max=0.99, max_phase=math.pi / 5, activation="gelu", **kwargs):
        super().__init__(units, **kwargs)
        if not 0.0 <= float(r_min) < float(r_max) < 1.0:
            raise ValueError(f"LRU needs 0 <= r_min < r_max < 1 (|λ| at initialisation); got {r_min}, {r_max}.")
        self.r_min, self.r_max, self.max_phase = float(r_min), float(r_max), float(max_phase)
        self.activation = keras.activations.get(activation)

    def _build(self, features):
        u = self.units
        r_min, r_max, max_phase = self.r_min, self.r_max, self.max_phase

        def nu_init(shape, dtype=None):
            draw = keras.initializers.RandomUniform(0.0, 1.0)(shape, dtype)
            return ops.log(-0.5 * ops.log(draw * (r_max ** 2 - r_min ** 2) + r_min ** 2))

        def theta_init(shape, dtype=None):
            draw = keras.initializers.RandomUniform(1e-4, 1.0)(shape, dtype)
            return ops.log(draw * max_phase)

        self.nu_log = self.add_weight(shape=(u,), initializer=nu_init, name="nu_log")
        self.theta_log = self.add_weight(shape=(u,), initializer=theta_init, name="theta_log")
        self.gamma_log = self.add_weight(
            shape=(u,), name="gamma_log",
            initializer=lambda shape, dtype=None: 0.5 * ops.log(1.0 - ops.exp(-2.0 * ops.exp(self.nu_log))))
        scale_b = 1.0 / math.sqrt(2 * features)
        self.input_kernel = self._dense((features, 2 * u), "input_kernel",
                                        keras.initializers.RandomNormal(stddev=scale_b))
        self.output_kernel = self._dense((2 * u, u), "output_kernel",
                                         keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(u)))
        self.skip_kernel = self._dense((features, u), "skip_kernel")
        self.bias = self._dense((u,), "bias", self.bias_initializer)

    def _lambda(self):
        modulus = ops.exp(-ops.exp(self.nu_log))
        phase = ops.exp(self.theta_log)
        return modulus * ops.cos(phase), modulus * ops.sin(phase)

    def project(self, x):
        gamma = ops.exp(self.gamma_log)
        b_re, b_im = ops.split(ops.matmul(x, self.input_kernel), 2, axis=-1)
        return b_re * gamma, b_im * gamma, ops.matmul(x, self.skip_kernel) + self.bias

    def transition(self, p):
        lam_re, lam_im = self._lambda()
        ones = ops.ones_like(p[0])
        return (ones * lam_re, ones * lam_im), (p[0], p[1])

    def readout(self, h, p):
        # Re(C h) as one multiply: [Re h, −Im h] · [C_re; C_im]
        y = ops.matmul(ops.concatenate([h[0], -h[1]], axis=-1), self.output_kernel) + p[2]
        return self.activation(y)

    def get_config(self):
        return {**super().get_config(), "r_min": self.r_min, "r_max": self.r_max, "max_phase": self.max_phase,
                "activation": keras.activations.serialize(self.activation)}


class _ParallelRNN(keras.layers.RNN):
    """A `keras.layers.RNN` over a parallel cell that runs the whole sequence through one scan (see module)."""

    cell_class = None
    cell_options = ()

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 mode="parallel", normalize=False, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; got {mode!r}.")
        cell_kwargs = {k: kwargs.pop(k) for k in self.cell_options if k in kwargs}
        kwargs.pop("cell", None)
        kwargs.pop("zero_output_for_mask", None)
        kwargs.pop("unroll", None)
        cell = self.cell_class(units, normalize=normalize, kernel_initializer=kernel_initializer,
                               bias_initializer=bias_initializer, dtype=kwargs.get("dtype"), name="cell",
                               **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, zero_output_for_mask=return_sequences,
                         **kwargs)
        self.units = cell.units
        self.mode = mode

    def build(self, sequences_shape, initial_state_shape=None):
        if not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            self.cell.built = True
        self.state_size = list(self.cell.state_size)  # QRNN's window state depends on the input size
        super().build(sequences_shape, initial_state_shape)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.mode == "sequential":
            if mask is None or self.return_sequences or keras.backend.backend() != "jax":
                return super().inner_loop(sequences, initial_state, mask, training=training)
            # Keras' JAX loop repeats the first state, not the last output, over masked steps; QRNN and LRU
            # output something else, so take every step's output and pick the last unmasked one.
            self.return_sequences, self.zero_output_for_mask = True, True
            try:
                _, outputs, states = super().inner_loop(sequences, initial_state, mask, training=training)
            finally:
                self.return_sequences, self.zero_output_for_mask = False, False
            if self.go_backwards:
                mask = ops.flip(mask, axis=1)
            return _last_unmasked(outputs, mask), outputs, states
        return self.cell.parallel(sequences, list(initial_state), mask, go_backwards=self.go_backwards,
                                  zero_output=self.zero_output_for_mask)

    def get_config(self):
        config = super().get_config()
        cell = config.pop("cell")
        cell_config = cell["config"] if isinstance(cell, dict) and "config" in cell else self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        for key in ("unroll", "zero_output_for_mask"):
            config.pop(key, None)
        return {**config, **cell_config, "mode": self.mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="rnnzoo")
class MinGRU(_ParallelRNN):
    """minGRU (Feng et al. 2024): a GRU whose gate and candidate read only the input; trains by one scan.

    Args:
        units: int. State (and output) size.
        mode: "parallel" (one projection + scan) or "sequential" (Keras' step loop; what exports use).
        normalize: bool. Layer-normalise each step's input first.
        return_sequences, return_state, go_backwards, stateful: as `keras.layers.RNN`.

    Examples:
    >>> MinGRU(8, return_sequences=True)(keras.ops.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    cell_class = MinGRUCell


@keras.saving.register_keras_serializable(package="rnnzoo")
class MinLSTM(_ParallelRNN):
    """minLSTM (Feng et al. 2024): input-only forget and input gates, normalised to sum to one.

    Args: as `MinGRU`.

    Examples:
    >>> MinLSTM(8)(keras.ops.ones((2, 5, 3))).shape
    (2, 8)
    """

    cell_class = MinLSTMCell


@keras.saving.register_keras_serializable(package="rnnzoo")
class QRNN(_ParallelRNN):
    """QRNN (Bradbury et al. 2017) with fo-pooling: gates from a causal convolution of width `window`.

    Args: as `MinGRU`, plus `window` (int, default 2): how many inputs (this one and those before) each step's
        gates read. The step state holds the last `window − 1` inputs, so streaming needs no history.

    Examples:
    >>> QRNN(8, window=3, return_sequences=True)(keras.ops.ones((2, 5, 3))).shape
    (2, 5, 8)
    """

    cell_class = QRNNCell
    cell_options = ("window",)


@keras.saving.register_keras_serializable(package="rnnzoo")
class LRU(_ParallelRNN):
    """Linear Recurrent Unit (Orvieto et al. 2023): a complex diagonal linear recurrence, stable by
    construction (|λ| < 1), with a normalised input and a non-linear readout.

    Args: as `MinGRU`, plus `r_min`, `r_max` (range of |λ| at initialisation, default 0.4–0.99), `max_phase`
        (default π/5) and `activation` of the readout (default "gelu"). The state is [Re h, Im h].

    Examples:
    >>> LRU(8)(keras.ops.ones((2, 5, 3))).shape
    (2, 8)
    """

    cell_class = LRUCell
    cell_options = ("r_min", "r_max", "max_phase", "activation")


PARALLEL_LAYERS = {"mingru": MinGRU, "minlstm": MinLSTM, "qrnn": QRNN, "lru": LRU}
LABELS = {"mingru": "minGRU", "minlstm": "minLSTM", "qrnn": "QRNN", "lru": "LRU"}  # for the registry's lines
