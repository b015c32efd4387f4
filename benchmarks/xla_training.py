"""Training step time with and without XLA, per model, on this machine: what `rnnzoo.xla.xla_training`'s
"auto" rests on.

Each model trains `--steps` batches of 64 × 100 (after two untimed ones) in graph mode and compiled by XLA, the two
modes in turns, `--repeats` turns, each time a freshly built model with the same seed; XLA runs inside
`rnnzoo.xla.compiled_with_xla`, as the fitting loop runs it. The table gives milliseconds a step (median
over turns [range]) and the median of the per-turn ratios XLA ÷ graph, beside what "auto" picks for the model.

    python benchmarks/xla_training.py                 # → results/xla_training.json
    python benchmarks/xla_training.py --repeats 1 --steps 2 --models char_lstm_lm   # a smoke run
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

BATCH, LENGTH = 64, 100
# name: (registered model, build options, targets: "tokens" (next-token ids), "tags" or "classes", precision)
MODELS = {
    "char_lstm_lm": ("lstm_language_model", dict(vocabulary_size=65, embedding_dim=64, units=256), "tokens", "float32"),
    "char_gru_lm": ("gru_language_model", dict(vocabulary_size=65, embedding_dim=64, units=256), "tokens", "float32"),
    "char_lstm_lm_2x256_dropout": ("char_lstm_language_model",
                                   dict(vocabulary_size=65, embedding_dim=64, units=256, num_layers=2, dropout=0.1,
                                        mask_zero=False), "tokens", "float32"),
    "char_lstm_lm_bfloat16": ("lstm_language_model", dict(vocabulary_size=65, embedding_dim=64, units=256), "tokens",
                              "bfloat16"),
    "lstm_classifier": ("lstm_classifier", dict(vocabulary_size=5000, embedding_dim=64, units=128, num_classes=2,
                                                num_layers=2), "classes", "float32"),
    "lstm_tagger": ("lstm_tagger", dict(vocabulary_size=5000, embedding_dim=64, units=128, num_tags=10, num_layers=2),
                    "tags", "float32"),
    "bilstm_classifier": ("bilstm_classifier", dict(vocabulary_size=5000, embedding_dim=64, units=128, num_classes=2,
                                                    num_layers=1), "classes", "float32"),
    "bilstm_tagger": ("bilstm_tagger", dict(vocabulary_size=5000, embedding_dim=64, units=128, num_tags=10,
                                            num_layers=1), "tags", "float32"),
}


def batch(options, targets, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(1, options["vocabulary_size"], (BATCH, LENGTH)).astype("int32")
    if targets == "tokens":
        y = rng.integers(1, options["vocabulary_size"], (BATCH, LENGTH))
    elif targets == "tags":
        y = rng.integers(1, options["num_tags"], (BATCH, LENGTH))
    else:
        y = rng.integers(0, options["num_classes"], BATCH)
    return x, y.astype("int32")


def step_ms(key, xla, steps):
    import keras

    import rnnzoo
    from rnnzoo.precision import training_precision
    from rnnzoo.xla import compiled_with_xla

    name, options, targets, precision = MODELS[key]
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(name, **options)
    rnnzoo.compile_model(model, learning_rate=1e-3)
    x, y = batch(options, targets)
    with training_precision(model, precision), compiled_with_xla(model, xla):
        for _ in range(2):
            model.train_on_batch(x, y)
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)
        return (time.perf_counter() - start) / steps * 1000


def median_range(values):
    import numpy as np

    return float(np.median(values)), [float(min(values)), float(max(values))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=8, help="timed training steps per measurement")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "xla_training.json"))
    ap.add_argument("--markdown", metavar="JSON", help="print the table of a results file and exit")
    args = ap.parse_args(argv)
    if args.markdown:
        print(markdown(json.load(open(args.markdown))))
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(MODELS))
    if unknown:
        ap.error(f"unknown models {unknown}; choose from {sorted(MODELS)}")
    import keras

    import rnnzoo
    from rnnzoo.hardware import cpu_info, describe_cpu
    from rnnzoo.xla import xla_training

    if keras.backend.backend() != "tensorflow":
        ap.error("this benchmark compares TensorFlow's graph mode with XLA; run it with KERAS_BACKEND=tensorflow")
    started = time.time()
    rows = []
    for key in keys:
        name, options, _, precision = MODELS[key]
        runs = {"graph": [], "xla": []}
        for turn in range(args.repeats):
            for mode in ("graph", "xla"):
                runs[mode].append(step_ms(key, mode == "xla", args.steps))
            print(f"{key}: turn {turn + 1}, graph {runs['graph'][-1]:.1f} ms, XLA {runs['xla'][-1]:.1f} ms", flush=True)
        ratio, ratio_range = median_range([a / b for a, b in zip(runs["xla"], runs["graph"])])
        auto = xla_training(rnnzoo.build(name, **options), precision, None)
        rows.append({"model": key, "registered": name, "options": options, "precision": precision, "runs_ms": runs,
                     "graph_ms": median_range(runs["graph"])[0], "graph_ms_range": median_range(runs["graph"])[1],
                     "xla_ms": median_range(runs["xla"])[0], "xla_ms_range": median_range(runs["xla"])[1],
                     "xla_over_graph": ratio, "xla_over_graph_range": ratio_range, "auto_picks_xla": bool(auto)})
    import platform

    report = {"rows": rows, "batch": BATCH, "length": LENGTH, "repeats": args.repeats, "steps": args.steps,
              "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {describe_cpu(cpu_info())}",
              "seconds": round(time.time() - started, 1),
              "command": "python benchmarks/xla_training.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    from rnnzoo.saving import write_json

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_json(report, args.out)
    print(markdown(report))


def markdown(report):
    lines = [f"{report['date']}, {report['machine']}; batch {report['batch']} × length {report['length']}, "
             f"{report['repeats']} turns of {report['steps']} steps, median [range]:", "",
             "| model | precision | graph ms/step | XLA ms/step | XLA ÷ graph time | \"auto\" picks XLA |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in report["rows"]:
        lo, hi = row["xla_over_graph_range"]
        lines.append(f"| {row['model']} | {row['precision']} | {row['graph_ms']:.1f} | {row['xla_ms']:.1f} | "
                     f"{row['xla_over_graph']:.2f} [{lo:.2f}–{hi:.2f}] | {'yes' if row['auto_picks_xla'] else 'no'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
