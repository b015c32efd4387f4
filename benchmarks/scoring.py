"""Scoring speed: `rnnzoo.score` through the trained model's compiled call against the eager call it replaced.

Before the trained-model object, `rnnzoo.score` called `model(x)` eagerly; rnnzoo's TensorFlow kernel is a
`tf.while_loop`, so eagerly every step is a Python-level iteration (issue 35: 5,000 characters took 27.7 s eagerly,
0.78 s compiled, on an Intel Xeon with AMX). This benchmark scores the same text both ways in one run with the
`char_lstm_512_tiny_shakespeare` preset (the 2026-12-06 run used the 2 × 256 `char_lstm_tiny_shakespeare`, since removed): the eager call exactly as the old `score` made it, and `rnnzoo.score` (a
`tf.function` per length bucket, traced on first use). Both give the same log-probabilities (checked). Figures
are characters (tokens) per second, the median of `--repeats` runs with the range; "first call" includes the
trace. Results: results/scoring.json.

    python benchmarks/scoring.py                 # 100 and 10,000 characters, 3 repeats (about 4 minutes)
"""

import argparse
import os
import time

from common import median_range, provenance, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
PRESET = "char_lstm_512_tiny_shakespeare"  # the char LM preset
TEXT = os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare.txt")


def eager_log_prob(trained, text):
    """The old `score`: one eager `model(x)` call over the whole text, then the log-softmax in NumPy."""
    import numpy as np
    from keras import ops

    ids = trained.encoder.encode([text], add_start=True)[0]
    logits = ops.convert_to_numpy(trained.model(ids[None, :-1], training=False)).astype("float64")[0]
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(logp[np.arange(len(ids) - 1), ids[1:]].sum())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="100,10000", help="characters scored per call")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "scoring.json"))
    args = ap.parse_args(argv)

    import rnnzoo

    text = open(TEXT, encoding="utf-8").read()
    rows = []
    print(f"{'chars':>7s} {'eager chars/s':>22s} {'compiled chars/s':>24s} {'first call s':>12s} {'ratio':>6s}")
    for length in (int(n) for n in args.lengths.split(",")):
        sample = text[10000:10000 + length]
        trained = rnnzoo.load(PRESET, compile=False)  # fresh: the first call traces
        start = time.perf_counter()
        compiled_lp = rnnzoo.score(trained, sample)["log_prob"]
        first = time.perf_counter() - start
        eager, compiled = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            eager_lp = eager_log_prob(trained, sample)
            eager.append(length / (time.perf_counter() - start))
            start = time.perf_counter()
            rnnzoo.score(trained, sample)
            compiled.append(length / (time.perf_counter() - start))
        if abs(eager_lp - compiled_lp) > 1e-3 * max(1.0, abs(eager_lp)):
            raise SystemExit(f"log-probabilities differ: eager {eager_lp}, compiled {compiled_lp}")
        (e, e_range), (c, c_range) = median_range(eager), median_range(compiled)
        ratios = [b / a for a, b in zip(eager, compiled)]
        rows.append({"characters": length, "eager_chars_per_s": e, "eager_range": e_range,
                     "compiled_chars_per_s": c, "compiled_range": c_range, "first_call_seconds": first,
                     "ratio_compiled_to_eager": median_range(ratios)[0], "ratio_range": median_range(ratios)[1],
                     "log_prob": compiled_lp, "traces": trained.traces})
        print(f"{length:7d} {e:10.0f} [{e_range[0]:.0f}, {e_range[1]:.0f}] {c:11.0f} [{c_range[0]:.0f}, "
              f"{c_range[1]:.0f}] {first:12.2f} {rows[-1]['ratio_compiled_to_eager']:5.1f}x", flush=True)
    report = {"results": rows, "preset": PRESET, "repeats": args.repeats,
              **provenance("scoring.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
