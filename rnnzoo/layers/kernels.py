"""Fast CPU training kernels for rnnzoo's LSTM and GRU layers (same weights as `keras.layers.LSTM/GRU`).

On a TensorFlow GPU Keras runs cuDNN itself. On a CPU it runs a generic loop that multiplies every step's input by the
input kernel inside the loop and lets autodiff accumulate the weight gradients one step at a time. These kernels
do what cuDNN and PyTorch do instead:

- TensorFlow backend (LSTM and GRU): the input projection `x W + b` of all steps is one matrix multiply before
  the loop; the loop carries only `h U`; a hand-written backward pass (`tf.custom_gradient`) runs the reverse loop for
  `dz_t` and `dh_{t-1} = dz_t Uᵀ` only, then forms `dW = Xᵀ dZ`, `dU = H_{t-1}ᵀ dZ` and `db` as large
  multiplies after it (benchmarks/speed.py measures the gain against Keras' loop). The step reads each gate as
  a contiguous block (`_gate_major`), the form XLA's CPU fusions run fast, so the kernels also serve the XLA
  training step `fit` compiles in float32 on a CPU (`rnnzoo.xla.xla_training`).
- PyTorch backend (LSTM and GRU): the layer calls PyTorch's own fused `torch.lstm` / `torch.gru` (oneDNN on
  CPU, cuDNN on CUDA) with the Keras weights (transposed, GRU gates reordered), so training runs PyTorch's
  kernel; Keras' own torch path refuses masks, so on a GPU this is what brings token models to cuDNN.

They are used only where they compute exactly what Keras computes: on TensorFlow, training calls, and inference
calls through a forward-only loop (`tf_forward_sequence`; `rnnzoo.config.set(fast_inference=False)` turns it off,
and every export traces with it off, keeping Keras' own graph), on PyTorch every call; the
cuDNN-eligible configuration (tanh/sigmoid, `recurrent_dropout=0`, `use_bias`, no `unroll`, GRU
`reset_after=True`); on TensorFlow, no GPU. On TensorFlow any mask is handled in the kernel (states carried through masked
steps, outputs as Keras gives them), so padded batches train fast too; on PyTorch right-padded batches run the
fused kernel over the whole padded length and take each row's outputs and final h up to its length (forward and
`go_backwards`); an LSTM that returns its final cell state runs them as a packed sequence; other masks take Keras'
loop (decided per batch). `rnnzoo.config.set(fast_kernels=False)` (or a layer's `fast_kernel=False`) always uses
Keras' loop; each layer records which loop its last traced or eager call took in `layer.loop_used`.
"""

import keras

from rnnzoo import config
from rnnzoo.cudnn import argument_reasons, enabled


def eligible(layer):
    """Whether `layer`'s calls can run a fast kernel at all: enabled, and its arguments are the fused
    configuration (which kernel runs is still decided per call: backend, device, mask)."""
    return enabled(layer) and not argument_reasons(layer)


def fast_inner_loop(layer, cell_kind, sequences, initial_state, mask, training):
    """(last_output, outputs, states) from a fast kernel, or None where Keras' own loop must run."""
    backend = keras.backend.backend()
    if not (enabled(layer) and (training or backend == "torch" or config.settings.fast_inference)) \
            or argument_reasons(layer):
        return None
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if backend == "torch":
        return _torch_loop(layer, cell_kind, sequences, initial_state, mask, training)
    if backend == "tensorflow":
        return _tf_loop(layer, cell_kind, sequences, initial_state, mask, training)
    return None


def _dropped(layer, sequences, training):
    """Input dropout as Keras applies it on its cuDNN path: one mask per sequence, shared by every step."""
    if not (training and layer.dropout):
        return sequences
    dp_mask = layer.cell.get_dropout_mask(sequences[:, 0, :])
    return sequences * keras.ops.expand_dims(dp_mask, axis=1)


# ---------------------------------------------------------------------------------------------- TensorFlow


def _tensors(*weights):
    """Tensors of Keras variables (a custom gradient is taken with respect to its tensor arguments)."""
    import tensorflow as tf

    return [tf.convert_to_tensor(w.value if isinstance(w, keras.Variable) else w) for w in weights]


def _precisions(dtype):
    """(to the multiplies' dtype, to float32): under mixed precision (a 16-bit `dtype`) the kernels multiply in
    that dtype and keep the gates, the states and the gradients through them in float32 (a bfloat16 running state
    loses every increment under half its spacing; TensorFlow's bfloat16 element-wise ops are also slower on a CPU
    than float32 ones), as the attention decoder's step does (`layers/attention.py`). In float32 both are no-ops."""
    import tensorflow as tf

    return (lambda v: tf.cast(v, dtype)), (lambda v: tf.cast(v, tf.float32))


def _candidate_doubled(n, dtype):
    """Column scale (i, f, c, o) that doubles the LSTM's candidate pre-activation: with it one sigmoid over all four
    gates gives the candidate as 2σ(2z) − 1 = tanh(z). Scaling by 2 is exact in every float dtype."""
    import tensorflow as tf

    return tf.concat([tf.ones([2 * n], dtype), tf.fill([n], tf.constant(2, dtype)), tf.ones([n], dtype)], 0)


def _gate_major(v, steps, batch, gates, n):
    """(time·batch, gates·n) → (time, gates, batch, n). XLA's CPU loop fusions run several times slower when
    they read column slices of a tensor indexed by the loop counter (`xw[t][:, n:2n]`) than contiguous blocks
    (`xw[t, 1]`); the step reads each gate as its own block."""
    import tensorflow as tf

    return tf.transpose(tf.reshape(v, [steps, batch, gates, n]), [0, 2, 1, 3])


def tf_lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias, mask=None):
    """LSTM over time-major `x` (time, batch, features); Keras gate order i, f, c, o.

    `mask` (time, batch, 1) of 0/1 floats, or None: at a masked step the states are carried unchanged, as in
    Keras' loop. Returns (states h_t (time, batch, units), h_T, c_T) in `x`'s dtype with a hand-written gradient;
    16-bit inputs keep float32 gates and states (`_precisions`).
    """
    import tensorflow as tf

    @tf.custom_gradient
    def run(x, h0, c0, w, u, b, ms):
        low, wide = _precisions(x.dtype)
        steps, batch, features = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        n = tf.shape(u)[0]
        scale = _candidate_doubled(n, w.dtype)  # one sigmoid gives all four gates
        xw = tf.reshape(wide(tf.matmul(tf.reshape(x, [-1, features]), w * scale)) + wide(b * scale),
                        [steps, batch, 4 * n])
        u2 = u * scale
        msw = wide(ms)

        def step(t, h, h_low, c, hs, cs, acts):
            s = tf.sigmoid(xw[t] + wide(tf.matmul(h_low, u2)))
            i, f, g, o = s[:, :n], s[:, n:2 * n], 2 * s[:, 2 * n:3 * n] - 1, s[:, 3 * n:]
            c_new = f * c + i * g
            tc = tf.tanh(c_new)
            h_new = o * tc
            if masked:  # carry the states through masked steps
                m = msw[t]
                c_new, h_new = c + m * (c_new - c), h + m * (h_new - h)
            h_low = low(h_new)
            return (t + 1, h_new, h_low, c_new, hs.write(t, h_low), cs.write(t, c_new),
                    acts.write(t, low(tf.stack([i, f, o, g, tc]))))  # gate-major blocks (`_gate_major`)

        # what only feeds the multiplies, or is stored for the backward pass, is kept in the low dtype
        array = lambda dtype=x.dtype: tf.TensorArray(dtype, size=steps)
        _, h_last, _, c_last, hs, cs, acts = tf.while_loop(
            lambda t, *_: t < steps, step, (0, wide(h0), low(h0), wide(c0), array(), array(tf.float32), array()))
        hs, cs, acts = hs.stack(), cs.stack(), acts.stack()

        def grad(d_hs, d_h_last, d_c_last):
            d_hs = wide(d_hs)
            h_prev = tf.concat([low(h0)[None], hs[:-1]], 0)
            c_prev = tf.concat([wide(c0)[None], cs[:-1]], 0)
            u_t = tf.transpose(u)

            def back(k, dh_next, dc_next, dzs):
                t = steps - 1 - k
                i, f, o, g, tc = (wide(acts[t, k]) for k in range(5))
                dh = d_hs[t] + dh_next
                dc = dc_next
                if masked:  # the new states get the gradient of a valid step, the carried ones the rest
                    m = msw[t]
                    dh_all, dc_all = dh, dc
                    dh, dc = m * dh, m * dc
                dc = dc + dh * o * (1 - tc * tc)
                dz = tf.concat([dc * g * i * (1 - i), dc * c_prev[t] * f * (1 - f), dc * i * (1 - g * g),
                                dh * tc * o * (1 - o)], 1)
                dz = low(dz)
                dh_prev, dc_prev = wide(tf.matmul(dz, u_t)), dc * f
                if masked:
                    dh_prev, dc_prev = dh_prev + (dh_all - dh), dc_prev + (dc_all - m * dc_all)
                return k + 1, dh_prev, dc_prev, dzs.write(t, dz)

            _, dh0, dc0, dzs = tf.while_loop(lambda k, *_: k < steps, back,
                                             (0, wide(d_h_last), wide(d_c_last), array()))
            dz = tf.reshape(dzs.stack(), [-1, 4 * n])
            dw = tf.matmul(tf.reshape(x, [-1, features]), dz, transpose_a=True)
            du = tf.matmul(tf.reshape(h_prev, [-1, n]), dz, transpose_a=True)
            dx = tf.reshape(tf.matmul(dz, w, transpose_b=True), tf.shape(x))
            db = tf.cast(tf.reduce_sum(wide(dz), 0), b.dtype)
            return dx, tf.cast(dh0, h0.dtype), tf.cast(dc0, c0.dtype), dw, du, db, tf.zeros_like(ms)

        return (hs, low(h_last), low(c_last)), grad

    masked = mask is not None
    return run(x, h0, c0, *_tensors(kernel, recurrent_kernel, bias), mask if masked else tf.zeros([0]))


def tf_gru_sequence(x, h0, kernel, recurrent_kernel, bias, mask=None):
    """GRU (reset_after=True) over time-major `x` (time, batch, features) with Keras' weights (gates z, r, h;
    bias rows: input, recurrent); `mask` as in `tf_lstm_sequence`. Returns (states h_t (time, batch, units), h_T)
    in `x`'s dtype with a hand-written gradient; 16-bit inputs keep float32 gates and states (`_precisions`)."""
    import tensorflow as tf

    @tf.custom_gradient
    def run(x, h0, w, u, b, ms):
        low, wide = _precisions(x.dtype)
        steps, batch, features = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        n = tf.shape(u)[0]
        bw = wide(b)
        xw = _gate_major(wide(tf.matmul(tf.reshape(x, [-1, features]), w)) + bw[0], steps, batch, 3, n)
        msw = wide(ms)

        def step(t, h, h_low, hs, acts):
            hu = wide(tf.matmul(h_low, u)) + bw[1]
            z, r, hh = tf.sigmoid(xw[t, 0] + hu[:, :n]), tf.sigmoid(xw[t, 1] + hu[:, n:2 * n]), hu[:, 2 * n:]
            cand = tf.tanh(xw[t, 2] + r * hh)
            h_new = z * h + (1 - z) * cand
            if masked:
                h_new = h + msw[t] * (h_new - h)
            h_low = low(h_new)
            return t + 1, h_new, h_low, hs.write(t, h_low), acts.write(t, low(tf.stack([z, r, cand, hh])))

        # what only feeds the multiplies, or is stored for the backward pass, is kept in the low dtype
        array = lambda: tf.TensorArray(x.dtype, size=steps)
        _, h_last, _, hs, acts = tf.while_loop(lambda t, *_: t < steps, step,
                                               (0, wide(h0), low(h0), array(), array()))
        hs, acts = hs.stack(), acts.stack()

        def grad(d_hs, d_h_last):
            d_hs = wide(d_hs)
            h_prev = tf.concat([low(h0)[None], hs[:-1]], 0)
            u_t = tf.transpose(u)

            def back(k, dh_next, dxws, dhus):
                t = steps - 1 - k
                z, r, cand, hh = (wide(acts[t, k]) for k in range(4))
                dh = d_hs[t] + dh_next
                if masked:
                    dh_all = dh
                    dh = msw[t] * dh
                da_h = dh * (1 - z) * (1 - cand * cand)
                da_z = dh * (wide(h_prev[t]) - cand) * z * (1 - z)
                da_r = da_h * hh * r * (1 - r)
                dhu = low(tf.concat([da_z, da_r, da_h * r], 1))
                dh_prev = dh * z + wide(tf.matmul(dhu, u_t))
                if masked:
                    dh_prev = dh_prev + (dh_all - dh)
                return k + 1, dh_prev, dxws.write(t, low(tf.concat([da_z, da_r, da_h], 1))), dhus.write(t, dhu)

            _, dh0, dxws, dhus = tf.while_loop(lambda k, *_: k < steps, back,
                                               (0, wide(d_h_last), array(), array()))
            dxw = tf.reshape(dxws.stack(), [-1, 3 * n])
            dhu = tf.reshape(dhus.stack(), [-1, 3 * n])
            dw = tf.matmul(tf.reshape(x, [-1, features]), dxw, transpose_a=True)
            du = tf.matmul(tf.reshape(h_prev, [-1, n]), dhu, transpose_a=True)
            dx = tf.reshape(tf.matmul(dxw, w, transpose_b=True), tf.shape(x))
            db = tf.cast(tf.stack([tf.reduce_sum(wide(dxw), 0), tf.reduce_sum(wide(dhu), 0)]), b.dtype)
            return dx, tf.cast(dh0, h0.dtype), dw, du, db, tf.zeros_like(ms)

        return (hs, low(h_last)), grad

    masked = mask is not None
    return run(x, h0, *_tensors(kernel, recurrent_kernel, bias), mask if masked else tf.zeros([0]))


def tf_forward_sequence(cell_kind, x, states, kernel, recurrent_kernel, bias, mask=None):
    """Inference only (no gradient kept): the LSTM or GRU over time-major `x` with the input projection of all
    steps as one multiply before the loop, which carries only `h U`; `mask` as in `tf_lstm_sequence`; 16-bit
    inputs keep float32 gates and states (`_precisions`). Returns (states h_t (time, batch, units), final states
    list), in `x`'s dtype.

    The step's element-wise work is laid out for XLA's CPU loop fusions (`_gate_major`): the LSTM takes one
    sigmoid over all four gates (the candidate as 2σ(2z) − 1, `_candidate_doubled`), the GRU reads each gate's
    input projection as its own block."""
    import tensorflow as tf

    low, wide = _precisions(x.dtype)
    w, u, b = _tensors(kernel, recurrent_kernel, bias)
    steps, batch, features = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    n = tf.shape(u)[0]
    lstm = cell_kind == "lstm"
    bw = wide(b)
    if lstm:
        scale = _candidate_doubled(n, w.dtype)
        w, u, bw = w * scale, u * scale, bw * wide(scale)
        xw = tf.reshape(wide(tf.matmul(tf.reshape(x, [-1, features]), w)) + bw, [steps, batch, 4 * n])
    else:
        xw = _gate_major(wide(tf.matmul(tf.reshape(x, [-1, features]), w)) + bw[0], steps, batch, 3, n)
    mask = None if mask is None else wide(mask)

    def step(t, hs, h, *c):
        if lstm:
            s = tf.sigmoid(xw[t] + wide(tf.matmul(low(h), u)))
            c_new = s[:, n:2 * n] * c[0] + s[:, :n] * (2 * s[:, 2 * n:3 * n] - 1)
            h_new = s[:, 3 * n:] * tf.tanh(c_new)
            new = (h_new, c_new)
        else:
            hu = wide(tf.matmul(low(h), u)) + bw[1]
            z, r = tf.sigmoid(xw[t, 0] + hu[:, :n]), tf.sigmoid(xw[t, 1] + hu[:, n:2 * n])
            h_new = z * h + (1 - z) * tf.tanh(xw[t, 2] + r * hu[:, 2 * n:])
            new = (h_new,)
        if mask is not None:
            new = tuple(old + mask[t] * (value - old) for old, value in zip((h, *c), new))
        return (t + 1, hs.write(t, new[0]), *new)

    out = tf.while_loop(lambda t, *_: t < steps, step,
                        (0, tf.TensorArray(tf.float32, size=steps), *(wide(s) for s in states)))
    return low(out[1].stack()), [low(s) for s in out[2:]]


def _tf_loop(layer, cell_kind, sequences, initial_state, mask, training):
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU"):
        return None  # Keras runs CudnnRNNV3 there (right-padded masks; rnnzoo.cudnn)
    cell = layer.cell
    layer.kernel_name = "rnnzoo kernel (tensorflow)"
    x = tf.transpose(_dropped(layer, sequences, training), [1, 0, 2])
    ms = None if mask is None else tf.transpose(tf.cast(mask, x.dtype))[:, :, None]  # (time, batch, 1)
    if layer.go_backwards:
        x = tf.reverse(x, [0])
        ms = None if ms is None else tf.reverse(ms, [0])
    if not training:
        hs, states = tf_forward_sequence(cell_kind, x, list(initial_state[:2 if cell_kind == "lstm" else 1]),
                                         cell.kernel, cell.recurrent_kernel, cell.bias, mask=ms)
    elif cell_kind == "lstm":
        hs, h, c = tf_lstm_sequence(x, initial_state[0], initial_state[1], cell.kernel, cell.recurrent_kernel,
                                    cell.bias, mask=ms)
        states = [h, c]
    else:
        hs, h = tf_gru_sequence(x, initial_state[0], cell.kernel, cell.recurrent_kernel, cell.bias, mask=ms)
        states = [h]
    if ms is not None:  # Keras' outputs: zeros at masked steps, or the last output carried (zeros before the first)
        seen = ms if layer.zero_output_for_mask else tf.minimum(tf.cumsum(ms, axis=0), 1.0)
        hs = hs * seen
    return hs[-1], tf.transpose(hs, [1, 0, 2]) if layer.return_sequences else hs[-1][:, None, :], states


# ---------------------------------------------------------------------------------------------- PyTorch


def _device_type(tensor):
    return tensor.device.type


def _torch_loop(layer, cell_kind, sequences, initial_state, mask, training):
    """PyTorch's own fused kernel, on any device: oneDNN on a CPU, cuDNN on CUDA. Keras' torch `lstm`/`gru` refuse
    any mask, and token models always have one, so without this route every token model ran Keras' per-step loop
    on a GPU too."""
    import torch

    lengths, packed = None, False
    if mask is not None and not bool(torch.all(mask)):
        # Right padding (every row valid up to its length) runs on the fused kernel: outputs at valid steps do not
        # depend on later steps, and the final h is the output at the last valid step. An LSTM whose final cell
        # state is used (return_state, stateful: a seq2seq encoder) runs PyTorch's packed sequence instead, which
        # stops each row at its length. Other masks, and rows with no valid step there, take Keras' loop.
        lengths = mask.sum(1)
        steps = torch.arange(mask.shape[1], device=mask.device)
        valid = steps[None] < lengths[:, None]
        packed = cell_kind == "lstm" and bool(layer.return_state or layer.stateful)
        if not bool(torch.equal(valid, mask.bool())) or (packed and not bool(torch.all(lengths > 0))):
            return None
    cell = layer.cell
    layer.kernel_name = (f"rnnzoo kernel (torch.{cell_kind}: "
                         f"{'cuDNN' if _device_type(sequences) == 'cuda' else 'oneDNN'})")
    x = _dropped(layer, sequences, training)
    if layer.go_backwards:  # Keras flips the padded rows (padding first); reversing each valid part is the same
        x = torch.flip(x, [1]) if lengths is None else _take_steps(x, torch.where(valid, lengths[:, None] - 1 - steps,
                                                                                  steps))
    w_ih, w_hh = cell.kernel.value.T, cell.recurrent_kernel.value.T
    if cell_kind == "lstm":
        bias = cell.bias.value
        params = [w_ih, w_hh, bias, torch.zeros_like(bias)]
        h0, c0 = initial_state[0][None], initial_state[1][None]
        if packed:
            outputs, h, c = _packed_lstm(x, (h0, c0), params, lengths, training)
        else:
            outputs, h, c = torch.lstm(x, (h0, c0), params, True, 1, 0.0, bool(training), False, True)
        states = [h[0], c[0]]  # with padding and no packing, c is after the padding: unused (see above)
    else:
        n = cell.units
        order = lambda t: torch.cat([t[n:2 * n], t[:n], t[2 * n:]], 0)  # Keras z, r, h → PyTorch r, z, n
        bias = cell.bias.value
        params = [order(w_ih), order(w_hh), order(bias[0]), order(bias[1])]
        outputs, h = torch.gru(x, initial_state[0][None], params, True, 1, 0.0, bool(training), False, True)
        states = [h[0]]
    last = states[0]
    if lengths is not None:
        seen = (lengths > 0)[:, None]
        h = torch.where(seen, _take_steps(outputs, (lengths - 1).clamp(min=0)[:, None])[:, 0], initial_state[0])
        states[0] = h
        outputs = _keras_padded_outputs(layer, outputs, h * seen, lengths, valid, steps)
        last = outputs[:, -1]  # Keras' output after the last step: h, or zeros for a row with no valid step
    return last, outputs if layer.return_sequences else last[:, None, :], states


def _packed_lstm(x, state, params, lengths, training):
    """A right-padded batch through PyTorch's packed LSTM: outputs zero-padded, (h, c) at each row's last valid
    step, as `torch.lstm` returns them (batch first, states (1, batch, units))."""
    import torch
    from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

    pack = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    data, h, c = torch.lstm(pack.data, pack.batch_sizes, tuple(s.index_select(1, pack.sorted_indices) for s in state),
                            params, True, 1, 0.0, bool(training), False)
    outputs, _ = pad_packed_sequence(PackedSequence(data, pack.batch_sizes, pack.sorted_indices, pack.unsorted_indices),
                                     batch_first=True, total_length=x.shape[1])
    return outputs, h.index_select(1, pack.unsorted_indices), c.index_select(1, pack.unsorted_indices)


def _keras_padded_outputs(layer, outputs, last, lengths, valid, steps):
    """Keras' outputs for a right-padded batch from outputs valid up to each row's length (`last`: the output
    after the last valid step)."""
    import torch

    if layer.go_backwards:  # processing order: T - length masked steps (zero outputs), then the valid ones
        shift = steps[None] - outputs.shape[1] + lengths[:, None]
        return torch.where((shift >= 0)[..., None], _take_steps(outputs, shift.clamp(min=0)), 0.0)
    carry = torch.zeros_like(last) if layer.zero_output_for_mask else last
    return torch.where(valid[..., None], outputs, carry[:, None, :])


def _take_steps(x, index):
    """x[b, index[b, t]] for (batch, steps, features) x and (batch, k) integer index."""
    import torch

    return torch.take_along_dim(x, index[..., None].long(), dim=1)
