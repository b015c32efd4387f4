"""Matrix-multiply GFLOP/s in float32 and bfloat16, PyTorch and TensorFlow, at a large shape and at the char LSTM's
per-step shape (batch 64 × 256 units → 4 gates of 256): why bfloat16 training gains less on TensorFlow.

    python benchmarks/matmul_dtypes.py   (→ results/matmul_dtypes.json; median of 5 timings each)
"""

import argparse
import os
import statistics
import time

from common import provenance, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = {"2048x2048x2048": (2048, 2048, 2048, 2), "64x256x1024 (one LSTM step)": (64, 256, 1024, 400)}


def _median_gflops(run, flops, repeats):
    run()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / repeats)
    return flops / statistics.median(times) / 1e9


def torch_rates(m, k, n, repeats):
    import torch

    found = {}
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        a, b = torch.rand(m, k, dtype=dtype), torch.rand(k, n, dtype=dtype)

        def run():
            for _ in range(repeats):
                a @ b
        found[name] = _median_gflops(run, 2 * m * k * n, repeats)
    return found


def tensorflow_rates(m, k, n, repeats):
    """Inside one tf.function, ten different right-hand sides per call (so nothing is folded away)."""
    import tensorflow as tf

    found = {}
    for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16)):
        a = tf.cast(tf.random.uniform((m, k)), dtype)
        bs = [tf.cast(tf.random.uniform((k, n)), dtype) for _ in range(10)]

        @tf.function
        def f(a, bs):
            total = tf.zeros((m, n), dtype)
            for b in bs:
                total += tf.matmul(a, b)
            return total

        calls = max(1, repeats // 10)

        def run():
            for _ in range(calls):
                f(a, bs).numpy()
        found[name] = _median_gflops(run, 2 * m * k * n * 10, calls) if calls else None
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "matmul_dtypes.json"))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rows = []
    for shape, (m, k, n, repeats) in SHAPES.items():
        for framework, rates in (("PyTorch", torch_rates), ("TensorFlow", tensorflow_rates)):
            found = rates(m, k, n, repeats)
            rows.append({"shape": shape, "framework": framework, "gflops_float32": found["float32"],
                         "gflops_bfloat16": found["bfloat16"], "bf16_speedup": found["bfloat16"] / found["float32"]})
            print(f"{shape:28s} {framework:10s} float32 {found['float32']:7.0f}  bfloat16 {found['bfloat16']:7.0f} "
                  f"GFLOP/s  ({found['bfloat16'] / found['float32']:.2f}×)", flush=True)
    report = {"rows": rows, **provenance("matmul_dtypes.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
