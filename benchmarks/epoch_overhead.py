"""The time a training epoch loses outside its batches, by data pipeline: Keras' own pipeline for NumPy arrays
(`model.fit(x, y)`), rnnzoo's (`rnnzoo.fitting.array_dataset`, which every rnnzoo task uses; tf.data autotuning
off), and rnnzoo's with autotuning switched back on (to show that autotuning is the cause).

Issue 17 saw the char LM benchmark alternate fast and slow epochs (12k and 19k tokens/s) with every batch equally
fast: the lost seconds fell between the batches, at the end of an epoch. Each side here trains the same char LSTM
(the reference 2×256, embedding 64, window 100, batch 64) for `--epochs` epochs in one `fit` call on the first
`--chars` characters of tiny-shakespeare, each run in a fresh process, the sides in turns (`--repeats`). Recorded
per epoch: the wall clock from its start to its end and the sum of its batches' times; the difference is the
overhead. Results: median epoch seconds, the slowest epoch, median and total overhead, and tokens/s of the whole
fit, each side as the median over the turns [range], with each side's ratio to Keras' pipeline.

    python benchmarks/epoch_overhead.py [--repeats 3] [--epochs 6] [--chars 400000]
"""

import argparse
import json
import os
import subprocess
import sys
import time

from common import median_range, provenance, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
SIDES = ("keras_numpy", "rnnzoo", "rnnzoo_autotune")
LABELS = {"keras_numpy": "Keras' pipeline (`fit(x, y)` on NumPy arrays)",
          "rnnzoo": "rnnzoo's pipeline (autotuning off)",
          "rnnzoo_autotune": "rnnzoo's pipeline with tf.data autotuning on"}


def worker(side, args):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    import rnnzoo
    from char_lm import windows
    from rnnzoo.fitting import array_dataset
    from rnnzoo.saving import compile_model
    from rnnzoo.text import TextEncoder

    text = open(args.text, encoding="utf-8").read()[: args.chars]
    encoder = TextEncoder.fit([text], level="char", min_frequency=1, normalization=None)
    x, y = windows(encoder.encode(text)[0], 100, 0)
    x, y = x[: len(x) // 64 * 64], y[: len(y) // 64 * 64]  # whole batches: one shape, one trace
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("char_lstm_language_model", vocabulary_size=len(encoder), embedding_dim=64, units=256,
                         num_layers=2, dropout=0.1, mask_zero=False)
    compile_model(model, learning_rate=2e-3, clipnorm=1.0)

    class Clock(keras.callbacks.Callback):
        epochs, batches = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.began, self.batch_sum = time.perf_counter(), 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self.batch_began = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.batch_sum += time.perf_counter() - self.batch_began

        def on_epoch_end(self, epoch, logs=None):
            Clock.epochs.append(time.perf_counter() - self.began)
            Clock.batches.append(self.batch_sum)

    if side == "keras_numpy":
        data = dict(x=x, y=y, batch_size=64, shuffle=True)
    else:
        dataset = array_dataset(x, y, batch_size=64, shuffle=True)
        if side == "rnnzoo_autotune":
            options = tf.data.Options()
            options.autotune.enabled = True
            dataset = dataset.with_options(options)  # the later options win
        data = dict(x=dataset)
    start = time.perf_counter()
    model.fit(**data, epochs=args.epochs, verbose=0, callbacks=[Clock()])
    seconds = time.perf_counter() - start
    return {"epoch_seconds": Clock.epochs, "batch_seconds": Clock.batches, "fit_seconds": seconds,
            "tokens_per_s": args.epochs * x.size / seconds, "batches_per_epoch": len(x) // 64}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare.txt"))
    ap.add_argument("--chars", type=int, default=400_000)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sides", default=",".join(SIDES))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "epoch_overhead.json"))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args)), flush=True)
        return None
    if not os.path.exists(args.text):
        sys.exit(f"{args.text} not found: pass --text PATH to tinyshakespeare.txt")
    sides = args.sides.split(",")
    unknown = [s for s in sides if s not in SIDES]
    if unknown:
        sys.exit(f"unknown side(s) {unknown}: choose from {', '.join(SIDES)}")
    runs = {s: [] for s in sides}
    for turn in range(args.repeats):
        for side in sides:
            command = [sys.executable, os.path.abspath(__file__), "--worker", side, "--text", args.text,
                       "--chars", str(args.chars), "--epochs", str(args.epochs)]
            proc = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if not lines:
                sys.exit(f"{side} failed:\n{proc.stderr[-2000:]}")
            r = json.loads(lines[-1][7:])
            # the first epoch traces the training step: left out of the epoch figures, kept in tokens/s
            later = list(zip(r["epoch_seconds"], r["batch_seconds"]))[1:]
            r["overheads"] = [e - b for e, b in later]
            r["median_epoch"] = median_range([e for e, _ in later])[0]
            r["slowest_epoch"] = max(e for e, _ in later)
            r["median_overhead"] = median_range(r["overheads"])[0]
            r["total_overhead"] = sum(r["overheads"])
            runs[side].append(r)
            print(f"turn {turn + 1} {side:16s} epochs {[round(e, 1) for e, _ in later]} s; overhead "
                  f"{[round(o, 1) for o in r['overheads']]} s; {r['tokens_per_s']:,.0f} tokens/s", flush=True)
    summary = {}
    for side, rs in runs.items():
        summary[side] = {key: median_range([r[key] for r in rs]) for key in
                         ("median_epoch", "slowest_epoch", "median_overhead", "total_overhead", "tokens_per_s")}
        if "keras_numpy" in runs and side != "keras_numpy":
            summary[side]["tokens_per_s_ratio_to_keras"] = median_range(
                [a["tokens_per_s"] / b["tokens_per_s"] for a, b in zip(rs, runs["keras_numpy"])])
    report = {"summary": summary, "runs": runs, "config": {k: v for k, v in vars(args).items() if k != "worker"},
              **provenance("epoch_overhead.py", argv)}
    write_json(report, args.out)
    print(markdown(report))
    return report


def markdown(report):
    lines = [f"{report['date']}, {report['machine']}, {report['config']['repeats']} runs per side in turns, "
             f"{report['config']['epochs']} epochs each (the first, which traces, left out of the epoch figures); "
             "median [range]:", "", f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out'])} -->",
             "| pipeline | median epoch s | slowest epoch s | overhead per epoch s (median) | overhead in all s | "
             "tokens/s | tokens/s ÷ Keras' |", "| --- | --- | --- | --- | --- | --- | --- |"]
    fmt = lambda v: f"{v[0]:.2f} [{v[1][0]:.2f}–{v[1][1]:.2f}]"  # noqa: E731
    for side, s in report["summary"].items():
        ratio = fmt(s["tokens_per_s_ratio_to_keras"]) if "tokens_per_s_ratio_to_keras" in s else "—"
        lines.append(f"| {LABELS[side]} | {fmt(s['median_epoch'])} | {fmt(s['slowest_epoch'])} | "
                     f"{fmt(s['median_overhead'])} | {fmt(s['total_overhead'])} | {s['tokens_per_s'][0]:,.0f} "
                     f"[{s['tokens_per_s'][1][0]:,.0f}–{s['tokens_per_s'][1][1]:,.0f}] | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
