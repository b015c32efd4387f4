"""The linear scan `h_t = a_t ⊙ h_{t-1} + b_t` over a whole sequence at once: the heart of the parallel cells.

`linear_scan(a, b, h0)` takes batch-major `(batch, time, units)` tensors. `a` and `b` may be real tensors or
`(real, imaginary)` pairs (the LRU's complex diagonal recurrence, kept in real arithmetic so every backend and
TFLite handle it). The recurrence is the only sequential part of a minGRU / minLSTM / QRNN / LRU layer: its
heavy work, the input projections, is one large matrix multiply over all steps before the scan.

How the scan runs:
- TensorFlow: a two-level (blocked) scan with a hand-written gradient. The sequence is cut into about √T
  blocks of about √T steps; one loop of √T iterations scans all blocks side by side (the block-local prefix
  products and sums), a second loop of √T iterations carries the state from block to block, and one
  element-wise pass adds each block's incoming state. That is 2√T loop iterations instead of T (20 instead of
  100, 64 instead of 1,000), each over a tensor √T times larger. The backward pass is the same scan run in
  reverse on the incoming gradient (`g_t = dh_t + a_{t+1} g_{t+1}`, then `da_t = g_t h_{t-1}`, `db_t = g_t`),
  so autodiff never records the loop. On a 2-core CPU this is faster than an associative (Blelloch) scan,
  whose O(T log T) or two-sweep element-wise passes are memory-bound there, and than a log-space cumulative
  sum (TensorFlow's cumulative log-sum-exp is slow on CPU); benchmarks/parallel_rnn.py measures it.
- JAX and PyTorch: `keras.ops.associative_scan` (a work-efficient parallel prefix scan) with autodiff.

Both give the sequential loop's values to float32 round-off (tests/test_parallel.py checks ≤ 1e-5).
"""

import keras
from keras import ops


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


def linear_scan(a, b, h0=None):
    """All states of `h_t = a_t ⊙ h_{t-1} + b_t`, t = 1..T, from `h_0 = h0` (zeros when None).

    Args:
        a, b: (batch, time, units) tensors, or (real, imaginary) pairs of them for a complex recurrence.
        h0: (batch, units) tensor (or pair), or None.

    Returns:
        h: (batch, time, units) tensor (or pair), h[:, t] the state after step t.

    Example:
    >>> a = keras.ops.full((1, 3, 1), 0.5); b = keras.ops.ones((1, 3, 1))
    >>> [round(float(v), 3) for v in keras.ops.reshape(linear_scan(a, b), (-1,))]
    [1.0, 1.5, 1.75]
    """
    if h0 is None:
        h0 = _map(lambda v: ops.zeros_like(v[:, 0]), b)
    if keras.backend.backend() == "tensorflow":
        return _tf_scan(a, b, h0)
    return _associative(a, b, h0)


# ---------------------------------------------------------------------------------------- every backend


def _associative(a, b, h0):
    # The initial state enters as b_1 += a_1 h_0; then an inclusive prefix scan of the affine maps.
    first = _add(_map(lambda v: v[:, :1], b), _mul(_map(lambda v: v[:, :1], a), _map(lambda v: v[:, None], h0)))
    b = _map2(lambda f, v: ops.concatenate([f, v[:, 1:]], axis=1), first, b)
    pair = _is_pair(a)

    def combine(left, right):
        if pair:
            la, lb, ra, rb = (left[0], left[1]), (left[2], left[3]), (right[0], right[1]), (right[2], right[3])
            na, nb = _mul(ra, la), _add(_mul(ra, lb), rb)
            return (na[0], na[1], nb[0], nb[1])
        return (right[0] * left[0], right[0] * left[1] + right[1])

    elems = (a[0], a[1], b[0], b[1]) if pair else (a, b)
    out = ops.associative_scan(combine, elems, axis=1)
    return (out[2], out[3]) if pair else out[1]


# ---------------------------------------------------------------------------------------------- TensorFlow


def _tf_blocked(a, b, h0):
    """Time-major blocked scan (no gradient): a, b (T, B, U) tensors or pairs; h0 (B, U). Returns h (T, B, U)."""
    import tensorflow as tf

    pair = _is_pair(a)
    first = a[0] if pair else a
    steps = tf.shape(first)[0]
    size = tf.cast(tf.math.ceil(tf.sqrt(tf.cast(steps, tf.float32))), tf.int32)  # block length ≈ √T
    size = tf.maximum(size, 1)
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

    def carry_step(h, ab):  # the state entering block j + 1
        a_t, b_t = ab
        return _add(_mul(a_t, h), b_t)

    last_prod, last_acc = _map(lambda v: v[-1], prods), _map(lambda v: v[-1], accs)
    h_end = tf.scan(carry_step, (last_prod, last_acc), initializer=h0, parallel_iterations=1)
    h_in = _map2(lambda first, ends: tf.concat([first[None], ends[:-1]], 0), h0, h_end)
    h = _add(_mul(prods, _map(lambda v: v[None], h_in)), accs)  # (size, blocks, B, U)

    def unblocked(v):
        v = tf.transpose(v, [1, 0, 2, 3])
        return tf.reshape(v, tf.concat([[blocks * size], rest], 0))[:steps]

    return _map(unblocked, h)


def _tf_scan(a, b, h0):
    import tensorflow as tf

    pair = _is_pair(a)
    flat = (list(a) + list(b) + list(h0)) if pair else [a, b, h0]

    @tf.custom_gradient
    def run(*flat):
        if pair:
            a_, b_, h0_ = (flat[0], flat[1]), (flat[2], flat[3]), (flat[4], flat[5])
        else:
            a_, b_, h0_ = flat
        at = _map(lambda v: tf.transpose(v, [1, 0, 2]), a_)
        bt = _map(lambda v: tf.transpose(v, [1, 0, 2]), b_)
        ht = _tf_blocked(at, bt, h0_)

        def grad(*dh):
            dh = (dh[0], dh[1]) if pair else dh[0]
            dht = _map(lambda v: tf.transpose(v, [1, 0, 2]), dh)
            # g_t = dh_t + conj(a_{t+1}) g_{t+1}: the same scan, reversed in time
            a_next = _map(lambda v: tf.concat([v[1:], tf.zeros_like(v[:1])], 0), _conj(at))
            rev = lambda v: tf.reverse(v, [0])  # noqa: E731
            g = _map(rev, _tf_blocked(_map(rev, a_next), _map(rev, dht), _map(tf.zeros_like, _map(lambda v: v[0], dht))))
            h_prev = _map2(lambda first, hs: tf.concat([first[None], hs[:-1]], 0), h0_, ht)
            da = _mul(g, _conj(h_prev))
            dh0 = _mul(_conj(_map(lambda v: v[0], at)), _map(lambda v: v[0], g))
            back = lambda v: tf.transpose(v, [1, 0, 2])  # noqa: E731
            if pair:
                return (back(da[0]), back(da[1]), back(g[0]), back(g[1]), dh0[0], dh0[1])
            return (back(da), back(g), dh0)

        out = _map(lambda v: tf.transpose(v, [1, 0, 2]), ht)
        return (list(out) if pair else out), grad

    out = run(*flat)
    return (out[0], out[1]) if pair else out
