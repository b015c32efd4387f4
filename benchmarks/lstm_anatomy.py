"""Where the time of one LSTM layer's training step goes on a CPU: TensorFlow vs PyTorch, same shapes.

The character config of benchmarks/speed.py (batch 64, length 100, 64 inputs, 256 units). For each framework, in
its own process: the 100 per-step recurrent multiplies alone ((64×256)·(256×1024) forward, (64×1024)·(1024×256)
backward), and the whole layer forward + backward — rnnzoo's TensorFlow kernel and Keras' own loop on one side,
PyTorch's fused `torch.lstm` (oneDNN) on the other. It shows what bounds our TensorFlow LSTM: the per-step
multiplies through TF's MatMul op, before any element-wise work.

    python benchmarks/lstm_anatomy.py [--out benchmarks/results/lstm_anatomy.json]
"""

import argparse
import json
import os
import subprocess
import sys
import time

from common import provenance, write_json

B, T, F, N = 64, 100, 64, 256
STEP_FLOPS = 2 * B * N * 4 * N  # one step's recurrent multiply


def _best(fn, repeats=5, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def worker_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    import rnnzoo
    from rnnzoo import config

    rng = np.random.default_rng(0)
    u = tf.constant(rng.normal(0, 0.05, (N, 4 * N)).astype("float32"))
    ut = tf.transpose(u)

    @tf.function
    def forward_multiplies(h):
        return tf.while_loop(lambda t, h: t < T, lambda t, h: (t + 1, tf.matmul(h, u)[:, :N]), (0, h))[1]

    @tf.function
    def backward_multiplies(d):
        return tf.while_loop(lambda t, d: t < T, lambda t, d: (t + 1, tf.tile(tf.matmul(d, ut), [1, 4])), (0, d))[1]

    layer = rnnzoo.layers.recurrent_layer("lstm", N, return_sequences=True)
    x = tf.constant(rng.normal(size=(B, T, F)).astype("float32"))
    layer.build(x.shape)
    dy = tf.constant(rng.normal(size=(B, T, N)).astype("float32"))

    @tf.function
    def layer_step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * dy)
        return tape.gradient(loss, [x] + layer.trainable_variables)

    h = tf.constant(rng.normal(size=(B, N)).astype("float32"))
    d = tf.constant(rng.normal(size=(B, 4 * N)).astype("float32"))
    result = {"forward_multiplies_s": _best(lambda: forward_multiplies(h).numpy()),
              "backward_multiplies_s": _best(lambda: backward_multiplies(d).numpy())}
    result["layer_rnnzoo_kernel_s"] = _best(lambda: [g.numpy() for g in layer_step(x)])
    config.set(fast_kernels=False)  # a new trace runs Keras' own loop
    keras_step = tf.function(layer_step.python_function)
    result["layer_keras_loop_s"] = _best(lambda: [g.numpy() for g in keras_step(x)])
    return result


def worker_torch():
    import torch

    torch.manual_seed(0)
    u = torch.randn(N, 4 * N) * 0.05
    ut = u.t().contiguous()
    h, d = torch.randn(B, N), torch.randn(B, 4 * N)

    def forward_multiplies():
        a = h
        for _ in range(T):
            a = (a @ u)[:, :N]

    def backward_multiplies():
        a = d
        for _ in range(T):
            a = (a @ ut).repeat(1, 4)

    lstm = torch.nn.LSTM(F, N, batch_first=True)
    x = torch.randn(B, T, F, requires_grad=True)
    dy = torch.randn(B, T, N)

    def layer_step():
        (lstm(x)[0] * dy).sum().backward()

    with torch.no_grad():
        result = {"forward_multiplies_s": _best(forward_multiplies),
                  "backward_multiplies_s": _best(backward_multiplies)}
    result["layer_fused_s"] = _best(layer_step)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "lstm_anatomy.json"))
    args = ap.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker_tensorflow() if args.worker == "tensorflow" else worker_torch()))
        return None
    report = {"shapes": {"batch": B, "length": T, "inputs": F, "units": N}, **provenance("lstm_anatomy.py", argv)}
    for framework in ("tensorflow", "torch"):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework], capture_output=True,
                              text=True, timeout=600, env=dict(os.environ, KERAS_BACKEND="tensorflow"))
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            raise SystemExit(f"{framework} worker failed:\n{proc.stderr[-2000:]}")
        report[framework] = json.loads(lines[-1][7:])
    tf_, pt = report["tensorflow"], report["torch"]
    print(f"one LSTM layer, batch {B}, length {T}, {F} inputs, {N} units; best of 5, milliseconds")
    print(f"{'':44s}{'TensorFlow':>12s}{'PyTorch':>10s}")
    for key, label in (("forward_multiplies_s", "100 recurrent multiplies, forward"),
                       ("backward_multiplies_s", "100 recurrent multiplies, backward")):
        print(f"{label:44s}{tf_[key] * 1e3:12.1f}{pt[key] * 1e3:10.1f}   "
              f"({T * STEP_FLOPS / tf_[key] / 1e9:.0f} vs {T * STEP_FLOPS / pt[key] / 1e9:.0f} GFLOP/s)")
    print(f"{'layer forward + backward: rnnzoo TF kernel':44s}{tf_['layer_rnnzoo_kernel_s'] * 1e3:12.1f}"
          f"{pt['layer_fused_s'] * 1e3:10.1f}   (PyTorch: fused oneDNN LSTM)")
    print(f"{'layer forward + backward: Keras loop':44s}{tf_['layer_keras_loop_s'] * 1e3:12.1f}")
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
