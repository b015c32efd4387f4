"""The linear scan `h_t = a_t ⊙ h_{t-1} + b_t` over a whole sequence at once: the heart of the parallel cells.

`linear_scan(a, b, h0)` takes time-major `(time, batch, units)` tensors. `a` and `b` may be real tensors or
`(real, imaginary)` pairs (the LRU's complex diagonal recurrence, kept in real arithmetic so every backend and
TFLite handle it). The recurrence is the only part of a minGRU / minLSTM / QRNN / LRU layer that is not
parallel over time: its heavy work, the input projections, is one large matrix multiply over all steps first.

Three ways to run it (`method`, or `rnnzoo.config.set(scan=...)`; "auto" picks the first on TensorFlow and the
third elsewhere), all with the step loop's values to float32 round-off (tests/test_parallel.py):
- "loop" (TensorFlow): one element-wise multiply-add per step (parallel over batch × units) in a `while` loop
  compiled by XLA (so the loop body is one fused kernel; compiled once per sequence length), with a
  hand-written gradient that runs the same loop in reverse on the incoming gradient
  (`g_t = dh_t + a_{t+1} g_{t+1}`, then `da_t = g_t h_{t-1}`, `db_t = g_t`), so autodiff records nothing. This is
  how SRU's and QRNN's own CUDA kernels compute the recurrence; on a CPU the element-wise work is memory-bound
  and every other scan does more of it.
- "blocked" (TensorFlow): a two-level scan: about √T blocks of √T steps, one loop scanning all blocks side by
  side, one loop carrying the state across blocks, and one element-wise pass joining them (2√T loop iterations
  instead of T, each on a √T-times larger tensor), with the same hand-written gradient.
- "associative" (every backend): `keras.ops.associative_scan`, a work-efficient parallel prefix scan of the
  affine maps, differentiated by autodiff. What a GPU wants; on a 2-core CPU it is the slowest.
benchmarks/parallel_rnn.py measures all three.
"""

import weakref

import keras
from keras import ops

from rnnzoo import config

METHODS = ("auto", "loop", "blocked", "associative")


def _is_pair(x):
    return isinstance(x, (tuple, list))


def _mul(x, y):
    if _is_pair(x):
        return (x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0])
    return x * y


def _add(x, y):
    if _is_pair(x):
        return (x[0] + y[0], x[1] + y[1])
    return x + y


def _conj(x):
    return (x[0], -x[1]) if _is_pair(x) else x


def _map(fn, x):
    return tuple(fn(v) for v in x) if _is_pair(x) else fn(x)


def _map2(fn, x, y):
    return tuple(fn(u, v) for u, v in zip(x, y)) if _is_pair(x) else fn(x, y)


def resolve_method(method=None):
    """The scan `method` to use: the argument, else `rnnzoo.config.settings.scan`, with "auto" resolved."""
    method = method or config.settings.scan
    if method not in METHODS:
        raise ValueError(f"Unknown scan method {method!r}; use one of {METHODS}.")
    if method == "auto":
        return "loop" if keras.backend.backend() == "tensorflow" else "associative"
    if method in ("loop", "blocked") and keras.backend.backend() != "tensorflow":
        raise ValueError(f"The {method!r} scan is written for the TensorFlow backend; on "
                         f"{keras.backend.backend()} use 'associative' (or 'auto').")
    return method


def linear_scan(a, b, h0=None, method=None):
    """All states of `h_t = a_t ⊙ h_{t-1} + b_t`, t = 1..T, from `h_0 = h0` (zeros when None).

    Args:
        a, b: time-major (time, batch, units) tensors, or (real, imaginary) pairs of them (complex recurrence).
        h0: (batch, units) tensor (or pair), or None.
        method: "loop", "blocked", "associative" or "auto"/None (see the module).

    Returns:
        h: (time, batch, units) tensor (or pair), h[t] the state after step t, in the dtype of `b`; 16-bit
        inputs (mixed precision) are scanned in float32.

    Examples:
    >>> a = keras.ops.full((3, 1, 1), 0.5); b = keras.ops.ones((3, 1, 1))
    >>> [round(float(v), 3) for v in keras.ops.reshape(linear_scan(a, b), (-1,))]
    [1.0, 1.5, 1.75]
    """
    if h0 is None:
        h0 = _map(lambda v: ops.zeros_like(v[0]), b)
    method = resolve_method(method)
    dtype = keras.backend.standardize_dtype((b[0] if _is_pair(b) else b).dtype)
    if dtype in ("bfloat16", "float16"):
        # Under mixed precision the recurrence still runs in float32: a 16-bit running state loses every
        # increment under half its spacing (bfloat16 has 8 bits: from 1.0 on, adding 1/256 does nothing), and
        # XLA's CPU loop ran 3.5× slower in bfloat16 than in float32 here. The result returns in `dtype`.
        wide = lambda v: _map(lambda u: ops.cast(u, "float32"), v)  # noqa: E731
        h = linear_scan(wide(a), wide(b), wide(h0), method)
        return _map(lambda u: ops.cast(u, dtype), h)
    if method == "associative":
        return _associative(a, b, h0)
    return _tf_scan(a, b, h0, _compiled_loop() if method == "loop" else _tf_blocked)


# ---------------------------------------------------------------------------------------- every backend


def _associative(a, b, h0):
    # The initial state enters as b_1 += a_1 h_0; then an inclusive prefix scan of the affine maps.
    first = _add(_map(lambda v: v[:1], b), _mul(_map(lambda v: v[:1], a), _map(lambda v: v[None], h0)))
    b = _map2(lambda f, v: ops.concatenate([f, v[1:]], axis=0), first, b)
    pair = _is_pair(a)

    def combine(left, right):
        if pair:
            la, lb, ra, rb = (left[0], left[1]), (left[2], left[3]), (right[0], right[1]), (right[2], right[3])
            na, nb = _mul(ra, la), _add(_mul(ra, lb), rb)
            return (na[0], na[1], nb[0], nb[1])
        return (right[0] * left[0], right[0] * left[1] + right[1])

    elems = (a[0], a[1], b[0], b[1]) if pair else (a, b)
    out = ops.associative_scan(combine, elems, axis=0)
    return (out[2], out[3]) if pair else out[1]


# ---------------------------------------------------------------------------------------------- TensorFlow


def _tf_loop(a, b, h0, reverse=False):
    """Time-major step loop (no gradient): a, b (T, B, U) tensors or pairs; h0 (B, U). Returns h (T, B, U);
    `reverse` runs from the last step to the first."""
    import tensorflow as tf

    pair = _is_pair(a)
    steps = tf.shape(a[0] if pair else a)[0]
    unstack = lambda v: tf.TensorArray(v.dtype, size=steps).unstack(v)  # noqa: E731
    a_ta, b_ta = _map(unstack, a), _map(unstack, b)
    read = lambda ta, t: _map(lambda x: x.read(t), ta)  # noqa: E731
    out = _map(lambda v: tf.TensorArray(v.dtype, size=steps), h0)

    def body(i, h, out):
        t = steps - 1 - i if reverse else i
        h = _add(_mul(read(a_ta, t), h), read(b_ta, t))
        return i + 1, h, _map2(lambda o, v: o.write(t, v), out, h)

    _, _, out = tf.while_loop(lambda i, h, o: i < steps, body, (0, h0, out))
    return _map(lambda o: o.stack(), out)


_COMPILED = []


def _compiled_loop():
    """`_tf_loop` compiled by XLA (once per sequence length and batch size): the loop body fuses into one
    kernel and an iteration costs about a microsecond instead of the graph executor's tens (the speed-up is
    largest on long sequences; a new length costs about 0.2 s of compiling, once)."""
    import tensorflow as tf

    if not _COMPILED:
        _COMPILED.append(tf.function(_tf_loop, jit_compile=True, reduce_retracing=True))
    return _COMPILED[0]


def _tf_blocked(a, b, h0, reverse=False):
    """Time-major blocked scan (no gradient): a, b (T, B, U) tensors or pairs; h0 (B, U). Returns h (T, B, U)."""
    import tensorflow as tf

    if reverse:
        rev = lambda v: tf.reverse(v, [0])  # noqa: E731
        return _map(rev, _tf_blocked(_map(rev, a), _map(rev, b), h0))

    pair = _is_pair(a)
    first = a[0] if pair else a
    steps = tf.shape(first)[0]
    size = tf.maximum(tf.cast(tf.math.ceil(tf.sqrt(tf.cast(steps, tf.float32))), tf.int32), 1)  # ≈ √T
    blocks = (steps + size - 1) // size
    pad = blocks * size - steps
    rest = tf.shape(first)[1:]

    def blocked(v, fill):  # (T, B, U) → (size, blocks, B, U): time within the block leads
        v = tf.pad(v, [[0, pad], [0, 0], [0, 0]], constant_values=fill)
        v = tf.reshape(v, tf.concat([[blocks, size], rest], 0))
        return tf.transpose(v, [1, 0, 2, 3])

    # the padding steps are the identity map: a = 1 (+ 0i), b = 0
    a_b = (blocked(a[0], 1.0), blocked(a[1], 0.0)) if pair else blocked(a, 1.0)
    b_b = _map(lambda v: blocked(v, 0.0), b)

    def local(carry, ab):  # block-local prefix product of a and prefix sum of the affine maps
        prod, acc = carry
        a_t, b_t = ab
        return (_mul(a_t, prod), _add(_mul(a_t, acc), b_t))

    ones = (tf.ones_like(a_b[0][0]), tf.zeros_like(a_b[1][0])) if pair else tf.ones_like(a_b[0])  # 1 (+ 0i)
    zeros = _map(lambda v: tf.zeros_like(v[0]), b_b)
    prods, accs = tf.scan(local, (a_b, b_b), initializer=(ones, zeros), parallel_iterations=1)

    def carry_step(h, ab):  # the state leaving block j
        a_t, b_t = ab
        return _add(_mul(a_t, h), b_t)

    last_prod, last_acc = _map(lambda v: v[-1], prods), _map(lambda v: v[-1], accs)
    h_end = tf.scan(carry_step, (last_prod, last_acc), initializer=h0, parallel_iterations=1)
    h_in = _map2(lambda start, ends: tf.concat([start[None], ends[:-1]], 0), h0, h_end)
    h = _add(_mul(prods, _map(lambda v: v[None], h_in)), accs)  # (size, blocks, B, U)

    def unblocked(v):
        v = tf.transpose(v, [1, 0, 2, 3])
        return tf.reshape(v, tf.concat([[blocks * size], rest], 0))[:steps]

    return _map(unblocked, h)


def _scan_gradients(loop, a, h0, h, dh):
    """(da, db, dh0) of `h = scan(a, b, h0)` given `dh` = dL/dh (tensors or pairs), with `loop` a time-major
    scan without gradient (`_tf_loop`'s signature): g_t = dh_t + conj(a_{t+1}) g_{t+1} is the same scan reversed
    in time, then da_t = g_t conj(h_{t-1}), db_t = g_t and dh0 = conj(a_1) g_1."""
    import tensorflow as tf

    a_next = _map(lambda v: tf.concat([v[1:], tf.zeros_like(v[:1])], 0), _conj(a))
    g = loop(a_next, dh, _map(lambda v: tf.zeros_like(v[0]), dh), reverse=True)
    h_prev = _map2(lambda start, hs: tf.concat([start[None], hs[:-1]], 0), h0, h)
    return _mul(g, _conj(h_prev)), g, _mul(_conj(_map(lambda v: v[0], a)), _map(lambda v: v[0], g))


def _tf_scan(a, b, h0, forward):
    """`forward` (a time-major scan without gradient) wrapped with the reverse-scan gradient."""
    import tensorflow as tf

    pair = _is_pair(a)
    flat = (list(a) + list(b) + list(h0)) if pair else [a, b, h0]
    raw = forward

    def forward(a, b, h0, reverse=False):
        # The gradient is written by hand, so no tape may record the loop: an eager GradientTape would otherwise
        # ask the XLA-compiled loop for a forward function with accumulators, which XLA cannot build.
        cut = lambda v: _map(tf.stop_gradient, v)  # noqa: E731
        return raw(cut(a), cut(b), cut(h0), reverse=reverse)

    @tf.custom_gradient
    def run(*flat):
        if pair:
            a_, b_, h0_ = (flat[0], flat[1]), (flat[2], flat[3]), (flat[4], flat[5])
        else:
            a_, b_, h0_ = flat
        h = forward(a_, b_, h0_)

        def grad(*dh):
            dh = (dh[0], dh[1]) if pair else dh[0]
            da, g, dh0 = _scan_gradients(forward, a_, h0_, h, dh)
            if pair:
                return (da[0], da[1], g[0], g[1], dh0[0], dh0[1])
            return (da, g, dh0)

        return (list(h) if pair else h), grad

    out = run(*flat)
    return (out[0], out[1]) if pair else out


# ------------------------------------------------------------------------- gates, scan and readout at once


def gated_scan(cell, p, h0, mask=None, method=None):
    """`(cell.readout(h, p), h)` with `h` the scan of `(a, b) = cell.transition(p)` from `h0`: a parallel cell's
    whole recurrence after its input projection. A masked step (`mask` (time, batch, 1), False) is the identity.

    With the "loop" scan (TensorFlow's default) and a real state (`cell.complex_state` false), the element-wise
    gates, the scan and the readout run as one XLA-compiled function in float32 (16-bit inputs are widened
    inside, outputs return in their dtype), and the gradient as another, written by hand around the reverse
    scan: the gates' and readout's element-wise ops then fuse into a few passes over memory instead of a
    TensorFlow kernel each, forward and backward (`benchmarks/parallel_rnn.py` measures the training speed).
    Otherwise the transition, `linear_scan` and the readout run one after the other.

    Args:
        cell: has `transition(p) -> (a, b)`, `readout(h, p) -> outputs` (element-wise on the last axis, from
            `keras.ops`, reading no weights) and `complex_state`.
        p: a tuple of time-major (time, batch, units) tensors (the split projection).
        h0: (batch, units) initial state (a (real, imaginary) pair for a complex state).
    """
    p = tuple(p)
    if (not cell.complex_state and keras.backend.backend() == "tensorflow"
            and resolve_method(method) == "loop"):
        return _fused_scan(cell, p, h0, mask)
    a, b = _masked_transition(cell, p, mask)
    h = linear_scan(a, b, h0, method)
    return cell.readout(h, p), h


def _masked_transition(cell, p, mask):
    """`cell.transition(p)` with every masked step (`mask` False) the identity map: a = 1 (+ 0i), b = 0."""
    a, b = cell.transition(p)
    if mask is not None:
        where = lambda v, fill: ops.where(mask, v, ops.cast(fill, v.dtype))  # noqa: E731
        a = (where(a[0], 1.0), where(a[1], 0.0)) if _is_pair(a) else where(a, 1.0)
        b = _map(lambda v: where(v, 0.0), b)
    return a, b


_FUSED = weakref.WeakKeyDictionary()  # cell → its (forward, backward) XLA functions, traced per shape


def _fused_functions(cell):
    import tensorflow as tf

    def forward(p, h0, mask):
        p = [tf.cast(v, "float32") for v in p]
        a, b = _masked_transition(cell, p, mask)
        h = _tf_loop(a, b, tf.cast(h0, "float32"))
        y = cell.readout(h, p)
        return y, h

    def backward(p, h0, mask, h, dy, dh):
        p = [tf.cast(v, "float32") for v in p]
        h0, dy, dh = (tf.cast(v, "float32") for v in (h0, dy, dh))
        zero = tf.UnconnectedGradients.ZERO
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(p)
            tape.watch(h)
            y = cell.readout(h, p)
            a, b = _masked_transition(cell, p, mask)
        dp_out, dh_out = tape.gradient(y, [p, h], output_gradients=dy, unconnected_gradients=zero)
        da, db, dh0 = _scan_gradients(_tf_loop, a, h0, h, dh + dh_out)
        dp_ab = tape.gradient([a, b], p, output_gradients=[da, db], unconnected_gradients=zero)
        return [u + v for u, v in zip(dp_out, dp_ab)], dh0

    compile_ = lambda f: tf.function(f, jit_compile=True, reduce_retracing=True)  # noqa: E731
    return compile_(forward), compile_(backward)


def _fused_scan(cell, p, h0, mask):
    import tensorflow as tf

    if cell not in _FUSED:
        _FUSED[cell] = _fused_functions(cell)
    forward, backward = _FUSED[cell]
    dtype = p[0].dtype

    @tf.custom_gradient
    def run(*args):
        p, h0 = args[:-1], args[-1]
        # no tape may record inside (see _tf_scan): the gradient below is the whole gradient
        y, h = forward([tf.stop_gradient(v) for v in p], tf.stop_gradient(h0), mask)

        def grad(dy, dh):  # TensorFlow passes zeros for an output the loss does not use
            dp, dh0 = backward(list(p), h0, mask, h, dy, dh)
            return [tf.cast(g, v.dtype) for g, v in zip(dp, p)] + [tf.cast(dh0, h0.dtype)]

        return (tf.cast(y, dtype), tf.cast(h, dtype)), grad

    return tuple(run(*p, h0))
