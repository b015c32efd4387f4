"""NumPy versions of the recurrent equations, checked against the Keras layers in the tests.

Shapes: x is (batch, time, features); states are (batch, units). Weights use the Keras layout, so
`weights_of(layer)` feeds any trained `keras.layers.SimpleRNN / LSTM / GRU` straight in.

Vanilla RNN:   s_t = tanh(x_t U + s_{t-1} W + b)                  (U: input weights, W: recurrent weights)
LSTM:          i, f, o = σ(x_t U_{i,f,o} + h_{t-1} W_{i,f,o} + b_{i,f,o});  g = tanh(x_t U_g + h_{t-1} W_g + b_g)
               c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
GRU:           z, r = σ(x_t U_{z,r} + h_{t-1} W_{z,r} + b_{z,r})
               classic (reset_after=False):  ĥ = tanh(x_t U_h + (r ⊙ h_{t-1}) W_h + b_h)
               Keras/cuDNN (reset_after=True): ĥ = tanh(x_t U_h + b_h + r ⊙ (h_{t-1} W_h + b'_h))
               h_t = z ⊙ h_{t-1} + (1 − z) ⊙ ĥ
A masked (padded) step leaves the state unchanged and repeats the previous output.

Parallel-scan cells (rnnzoo.layers.parallel; the gates read x only, so every step is h_t = a_t ⊙ h_{t−1} + b_t):
minGRU:        z = σ(x_t W_z + b_z);  h̃ = x_t W_h + b_h;  h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃
minLSTM:       f, i = σ(x_t W_f + b_f), σ(x_t W_i + b_i);  h̃ = x_t W_h + b_h;  h_t = (f ⊙ h_{t−1} + i ⊙ h̃) / (f + i)
QRNN (fo):     [z, f, o] = [tanh, σ, σ]([x_{t−k+1}; …; x_t] W + b);  c_t = f ⊙ c_{t−1} + (1 − f) ⊙ z;  h_t = o ⊙ c_t
LRU:           λ = exp(−exp(ν) + i exp(θ));  h_t = λ ⊙ h_{t−1} + exp(γ_log) ⊙ (x_t B);  y_t = act(Re(h_t C) + x_t D + d)
               (B, C complex, stored as [B_re | B_im] and [C_re; C_im])
With `normalize`, x_t is first layer-normalised. A masked step keeps the state; with return_sequences its output
is zero (the last output is the last unmasked step's).

Attention over encoder outputs h_1..h_S (padded positions get weight 0):
Bahdanau:      e_s = vᵀ tanh(W₁ h_s + W₂ q)     (weight-normalised: v → g v/‖v‖, plus a bias b inside the tanh)
Luong:         e_s = qᵀ h_s (dot),  qᵀ W_a h_s (general),  qᵀ h_s / √d (scaled dot)
               α = softmax(e),  context c = Σ_s α_s h_s
Attention decoder steps (rnnzoo.layers.AttentionDecoder):
Bahdanau:      c_t = attend(s_{t−1});  s_t = cell([y_{t−1}; c_t], s_{t−1});  o_t = [s_t; c_t]
Luong (input feeding): h_t = cell([y_{t−1}; h̃_{t−1}], h_{t−1});  c_t = attend(h_t);  h̃_t = tanh(W_c [c_t; h_t]) = o_t

Trees (rnnzoo.layers.TreeRecurrent), children L and R of a node with input x, missing children = 0:
Recursive net: h = tanh(W [x; h_L; h_R] + b)
Tree-LSTM:     i, f_L, f_R, o = σ(W_{·} [x; h_L; h_R] + b_{·});  u = tanh(W_u [x; h_L; h_R] + b_u)
               c = i ⊙ u + f_L ⊙ c_L + f_R ⊙ c_R;  h = o ⊙ tanh(c)
"""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def weights_of(layer):
    """(kernel, recurrent_kernel, bias) of a Keras recurrent layer as float64 NumPy arrays."""
    cell = getattr(layer, "cell", layer)
    return tuple(np.asarray(w, dtype="float64") for w in (cell.kernel, cell.recurrent_kernel, cell.bias))


def _scan(step, x, state, mask):
    outputs = []
    for t in range(x.shape[1]):
        new_state, out = step(x[:, t], state)
        if mask is not None:
            keep = mask[:, t, None].astype(bool)
            new_state = tuple(np.where(keep, n, s) for n, s in zip(new_state, state))
            out = np.where(keep, out, outputs[-1] if outputs else np.zeros_like(out))
        state = new_state
        outputs.append(out)
    return np.stack(outputs, axis=1), state


def simple_rnn(x, kernel, recurrent_kernel, bias, mask=None, initial_state=None):
    """Vanilla RNN. Returns (outputs (batch, time, units), final state)."""
    units = recurrent_kernel.shape[0]
    h0 = np.zeros((x.shape[0], units)) if initial_state is None else initial_state

    def step(x_t, state):
        h = np.tanh(x_t @ kernel + state[0] @ recurrent_kernel + bias)
        return (h,), h

    outputs, (h,) = _scan(step, x, (h0,), mask)
    return outputs, h


def lstm(x, kernel, recurrent_kernel, bias, mask=None, initial_state=None):
    """LSTM with Keras gate order (i, f, g, o). Returns (outputs, (h, c))."""
    units = recurrent_kernel.shape[0]
    zeros = np.zeros((x.shape[0], units))
    state = (zeros, zeros) if initial_state is None else tuple(initial_state)

    def step(x_t, state):
        h, c = state
        z = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return (h, c), h

    return _scan(step, x, state, mask)


def gru(x, kernel, recurrent_kernel, bias, reset_after=True, mask=None, initial_state=None):
    """GRU with Keras gate order (z, r, h), either convention. Returns (outputs, final state)."""
    units = recurrent_kernel.shape[0]
    h0 = np.zeros((x.shape[0], units)) if initial_state is None else initial_state
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))

    def split(m):
        return [m[..., k * units:(k + 1) * units] for k in range(3)]

    def step(x_t, state):
        h = state[0]
        xz, xr, xh = split(x_t @ kernel + input_bias)
        wz, wr, wh = split(recurrent_kernel)
        bz, br, bh = split(recurrent_bias)
        z = sigmoid(xz + h @ wz + bz)
        r = sigmoid(xr + h @ wr + br)
        candidate = np.tanh(xh + r * (h @ wh + bh)) if reset_after else np.tanh(xh + (r * h) @ wh)
        h = z * h + (1 - z) * candidate
        return (h,), h

    outputs, (h,) = _scan(step, x, (h0,), mask)
    return outputs, h


def forward(layer, x, mask=None):
    """Runs the NumPy equations with the weights of a Keras SimpleRNN / LSTM / GRU layer."""
    import keras

    x = np.asarray(x, dtype="float64")
    cell = getattr(layer, "cell", layer)
    if isinstance(cell, keras.layers.LSTMCell):
        return lstm(x, *weights_of(layer), mask=mask)
    if isinstance(cell, keras.layers.GRUCell):
        return gru(x, *weights_of(layer), reset_after=cell.reset_after, mask=mask)
    if isinstance(cell, keras.layers.SimpleRNNCell):
        return simple_rnn(x, *weights_of(layer), mask=mask)
    raise ValueError(f"No NumPy reference for {type(layer).__name__}; use SimpleRNN, LSTM or GRU.")


def rnn_lm_loss_and_gradients(kernel, recurrent_kernel, output_kernel, inputs, targets):
    """Loss and backpropagation-through-time gradients of the vanilla RNN language model.

    The classic formulation with one-hot inputs and no biases, in the Keras layout (x_t one-hot, so x_t U is a
    row of U):  s_t = tanh(x_t U + s_{t-1} W),  o_t = softmax(s_t V),  L = −(1/N) Σ_t log o_t[y_t].

    Args:
        kernel: U, (vocabulary, units). recurrent_kernel: W, (units, units). output_kernel: V, (units, vocabulary).
        inputs, targets: int arrays (batch, time).

    Returns:
        `(loss, {"kernel": dL/dU, "recurrent_kernel": dL/dW, "output_kernel": dL/dV})`. The backward pass walks
        the steps in reverse, adding each step's error to the one flowing back through W: the gradient reaching
        s_k from step t is multiplied by Π diag(1 − s_j²) W for j = t..k+1, which is why it vanishes.
    """
    batch, time = inputs.shape
    units = recurrent_kernel.shape[0]
    states = [np.zeros((batch, units))]
    probs = []
    for t in range(time):
        s = np.tanh(kernel[inputs[:, t]] + states[-1] @ recurrent_kernel)
        z = s @ output_kernel
        e = np.exp(z - z.max(-1, keepdims=True))
        states.append(s)
        probs.append(e / e.sum(-1, keepdims=True))
    n = batch * time
    rows = np.arange(batch)
    loss = -sum(np.log(probs[t][rows, targets[:, t]]).sum() for t in range(time)) / n
    grads = {k: np.zeros_like(v) for k, v in (("kernel", kernel), ("recurrent_kernel", recurrent_kernel),
                                              ("output_kernel", output_kernel))}
    carry = np.zeros((batch, units))  # dL/ds_t arriving from step t+1
    for t in reversed(range(time)):
        d_logits = probs[t].copy()
        d_logits[rows, targets[:, t]] -= 1.0
        d_logits /= n
        s, s_prev = states[t + 1], states[t]
        grads["output_kernel"] += s.T @ d_logits
        d_pre = (d_logits @ output_kernel.T + carry) * (1.0 - s ** 2)
        np.add.at(grads["kernel"], inputs[:, t], d_pre)
        grads["recurrent_kernel"] += s_prev.T @ d_pre
        carry = d_pre @ recurrent_kernel.T
    return loss, grads


def numerical_gradient(f, x, epsilon=1e-6):
    """Central-difference gradient of the scalar function f at x (x is perturbed in place and restored)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + epsilon
        plus = f()
        x[i] = old - epsilon
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * epsilon)
    return grad


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def bahdanau_attention(query, memory, memory_kernel, query_kernel, v, mask=None, g=None, b=None):
    """Additive attention for one query per row: query (batch, q), memory (batch, S, d).

    Returns (context (batch, d), weights (batch, S)). Pass `g` and `b` for the weight-normalised form.
    """
    hidden = memory @ memory_kernel + (query @ query_kernel)[:, None, :]
    if b is not None:
        hidden = hidden + b
    if g is not None:
        v = g * v / np.linalg.norm(v)
    scores = np.tanh(hidden) @ v
    return _attend(scores, memory, mask)


def luong_attention(query, memory, kernel=None, score_mode="general", mask=None):
    """Multiplicative attention: "dot", "general" (with `kernel` W_a of shape (d, q)) or "scaled_dot"."""
    keys = memory @ kernel if score_mode == "general" else memory
    scores = np.einsum("bq,bsq->bs", query, keys)
    if score_mode == "scaled_dot":
        scores = scores / np.sqrt(query.shape[-1])
    return _attend(scores, memory, mask)


def _attend(scores, memory, mask):
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores)
    return np.einsum("bs,bsd->bd", weights, memory), weights


def attention_of(layer):
    """The weights of an rnnzoo `BahdanauAttention` or `LuongAttention` layer as a dict of float64 arrays."""
    return {w.name: np.asarray(w, dtype="float64") for w in layer.weights}


def attention_decoder(layer, inputs, memory, initial_state, mask=None):
    """Runs an rnnzoo `AttentionDecoder` (LSTM, GRU or SimpleRNN cell) with the equations above.

    inputs: (batch, T, e) embedded target inputs; memory: (batch, S, d); initial_state: list of (batch, units).
    Returns (outputs (batch, T, output_size), attention weights (batch, T, S)).
    """
    attention = attention_of(layer.attention)
    kernel, recurrent_kernel, bias = weights_of(layer.cell)
    one_step = {"lstm": lstm, "gru": gru, "rnn": simple_rnn}[layer.cell_type]

    def attend(q):
        if layer.attention_type == "bahdanau":
            return bahdanau_attention(q, memory, attention["memory_kernel"], attention["query_kernel"],
                                      attention["v"], mask, attention.get("g"), attention.get("b"))
        return luong_attention(q, memory, attention.get("kernel"), layer.score_mode, mask)

    def cell(x, states):
        out, final = one_step(x[:, None, :], kernel, recurrent_kernel, bias,
                              initial_state=states if layer.cell_type == "lstm" else states[0])
        return out[:, 0], list(final) if isinstance(final, tuple) else [final]

    states = [np.asarray(s, dtype="float64") for s in initial_state]
    feed = np.zeros((inputs.shape[0], layer.units))
    outputs, weights = [], []
    for t in range(inputs.shape[1]):
        x = inputs[:, t]
        if layer.attention_type == "bahdanau":
            context, alpha = attend(states[0])
            h, states = cell(np.concatenate([x, context], -1), states)
            output = np.concatenate([h, context], -1)
        else:
            h, states = cell(np.concatenate([x, feed], -1) if layer.input_feeding else x, states)
            context, alpha = attend(h)
            output = feed = np.tanh(np.concatenate([context, h], -1) @ np.asarray(layer.combine.kernel, "float64"))
        outputs.append(output)
        weights.append(alpha)
    return np.stack(outputs, 1), np.stack(weights, 1)


def tree_recurrent(tree, x, kernel, bias, cell="lstm"):
    """Root state of one tree, computed recursively node by node (no batching, no levels).

    Args:
        tree: nested tuples `(token, left, right)` or a leaf token, as in `rnnzoo.tasks.trees.data`.
        x: callable token → input vector (e.g. a row of the embedding matrix).
        kernel, bias: the `TreeRecurrent` layer's transform weights (features + 2·units, gates·units).
        cell: "lstm" or "rnn".

    Returns (h, c) of the root (c is zeros for "rnn").
    """
    units = kernel.shape[1] // (5 if cell == "lstm" else 1)
    if isinstance(tree, str):
        token, kids = tree, [(np.zeros(units), np.zeros(units))] * 2
    else:
        token, kids = tree[0], [tree_recurrent(t, x, kernel, bias, cell) for t in tree[1:]]
    (h_l, c_l), (h_r, c_r) = kids
    z = np.concatenate([x(token), h_l, h_r]) @ kernel + bias
    if cell != "lstm":
        return np.tanh(z), np.zeros(units)
    i, f_l, f_r, o, u = np.split(z, 5)
    c = sigmoid(i) * np.tanh(u) + sigmoid(f_l) * c_l + sigmoid(f_r) * c_r
    return sigmoid(o) * np.tanh(c), c


# --------------------------------------------------------------------- parallel-scan cells (float64 step loops)


def _layer_norm(x, scale, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * scale + bias


def _activation(fn, x):
    import math

    name = getattr(fn, "__name__", str(fn))
    if name == "gelu":  # exact GELU, Keras' default: x Φ(x)
        return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    if name in ("tanh", "linear", "relu"):
        return {"tanh": np.tanh, "linear": lambda v: v, "relu": lambda v: np.maximum(v, 0.0)}[name](x)
    raise ValueError(f"reference.parallel_cell knows gelu, tanh, relu and linear readouts; got {name!r}.")


def parallel_cell(layer, x, mask=None):
    """Any `rnnzoo.layers.parallel` layer (MinGRU, MinLSTM, QRNN, LRU) stepped in float64 from the equations.

    Returns (outputs (batch, time, units) with zeros at masked steps, final states as the layer's list)."""
    cell = getattr(layer, "cell", layer)
    kind = type(cell).__name__
    if kind not in ("MinGRUCell", "MinLSTMCell", "QRNNCell", "LRUCell"):
        raise ValueError(f"parallel_cell takes MinGRU, MinLSTM, QRNN or LRU layers; got {type(layer).__name__}.")
    w = {v.path.split("/")[-1]: np.asarray(v.numpy() if hasattr(v, "numpy") else v, "float64") for v in cell.weights}
    x = np.asarray(x, "float64")
    if cell.normalize:
        x = _layer_norm(x, w["norm_scale"], w["norm_bias"])
    batch, steps, features = x.shape
    u = cell.units
    h = np.zeros((batch, u), complex if kind == "LRUCell" else "float64")
    window = np.zeros((batch, (cell.window - 1) * features))
    outputs = np.zeros((batch, steps, u))
    for t in range(steps):
        x_t = x[:, t]
        if kind == "MinGRUCell":
            p = x_t @ w["kernel"] + w["bias"]
            z = sigmoid(p[:, :u])
            new_h = (1 - z) * h + z * p[:, u:]
            y = new_h
        elif kind == "MinLSTMCell":
            p = x_t @ w["kernel"] + w["bias"]
            f, i = sigmoid(p[:, :u]), sigmoid(p[:, u:2 * u])
            new_h = (f * h + i * p[:, 2 * u:]) / (f + i)
            y = new_h
        elif kind == "QRNNCell":
            x_in = np.concatenate([window, x_t], -1)
            p = x_in @ w["kernel"] + w["bias"]
            z, f, o = np.tanh(p[:, :u]), sigmoid(p[:, u:2 * u]), sigmoid(p[:, 2 * u:])
            new_h = f * h + (1 - f) * z
            y = o * new_h
            new_window = x_in[:, features:]
        elif kind == "LRUCell":
            lam = np.exp(-np.exp(w["nu_log"]) + 1j * np.exp(w["theta_log"]))
            bx = x_t @ w["input_kernel"]
            new_h = lam * h + np.exp(w["gamma_log"]) * (bx[:, :u] + 1j * bx[:, u:])
            c = w["output_kernel"][:u] + 1j * w["output_kernel"][u:]
            pre = (new_h @ c).real + x_t @ w["skip_kernel"] + w["bias"]
            y = _activation(cell.activation, pre)
        keep = np.ones((batch, 1), bool) if mask is None else np.asarray(mask)[:, t, None].astype(bool)
        h = np.where(keep, new_h, h)
        if kind == "QRNNCell":
            window = np.where(keep, new_window, window)
        outputs[:, t] = np.where(keep, y, 0.0)
    states = [h.real, h.imag] if kind == "LRUCell" else [h]
    if kind == "QRNNCell" and cell.window > 1:
        states.append(window)
    return outputs, states
