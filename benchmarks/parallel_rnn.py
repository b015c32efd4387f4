"""The parallel-scan cells (minGRU, minLSTM, QRNN, LRU) side by side with LSTM and GRU and with PyTorch's nn.LSTM.

Sections (each writes its part of benchmarks/results/parallel_rnn.json, keeping the others):

    python benchmarks/parallel_rnn.py speed [--lengths 100,300,1000] [--repeats 3]
    python benchmarks/parallel_rnn.py lm [--cell mingru --layers 3 --units 384 ...] [--lstm-minutes 30]
    python benchmarks/parallel_rnn.py latency
    python benchmarks/parallel_rnn.py bound [--lengths 1000] [--repeats 3]

- speed: training and batch-inference tokens/s of one-layer character language models (vocabulary 65,
  embedding 64, 256 units; length 100 with batch 64, and length 1,000 with batch 16), PyTorch `nn.LSTM` (its fused
  oneDNN kernel) against rnnzoo's LSTM and GRU (TensorFlow, rnnzoo's fast kernels) and each parallel cell in
  parallel mode with the training step compiled by XLA (`jit_compile=True`), minGRU also without XLA and in
  sequential mode (Keras' step loop), and a minGRU of two 384-unit layers, whose parameter count (≈ 0.35 M)
  matches the one-layer LSTM's. Length 300 (batch 32) adds minGRU's two modes for the speed-against-length
  curve. Every measurement runs in a fresh process; each repeat runs the PyTorch peer of a length once and then
  each of ours, `--repeats` times: the JSON gives the median ratio (within a repeat) and its range.
- lm: time to quality on tiny-shakespeare (`benchmarks/char_lm.py`: the same split, windows, optimizer and
  validation after every epoch), rnnzoo's reference 2×256 LSTM and a parallel-cell model in the same run, one
  after the other: the wall clock at which each first reached 1.60 validation nats/char, and its validation
  loss after 10 minutes.
- bound: what the matrix multiplies alone allow. A minGRU language model's training step is, besides element-wise
  work, six matrix products: the input projection (embedding 64 → 2 × 256), the logits (256 → 65) and their two
  gradients each. Their time on PyTorch (oneDNN, the fastest matmul on this machine), at the step's exact shapes
  and with nothing else, is a lower bound on any implementation's step; PyTorch's nn.LSTM trains in the same run,
  in turns, and the ratio LSTM time ÷ matmul time is the most a minGRU of that width could reach against it.
  float32 and mixed bfloat16 (autocast for the LSTM, bfloat16 operands for the products), with rnnzoo's minGRU
  (XLA, float32; mixed bfloat16 without XLA) measured beside them.
- latency: batch-1 µs per token of the exported streaming step (`step.tflite`, float32, LiteRT interpreter), for
  the one-layer LSTM and for the parameter-matched minGRU and the other cells, and the per-token time of
  `rnnzoo.generate`'s compiled Keras loop.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_range, provenance, write_json  # noqa: E402
from speed import _timed  # noqa: E402  (seconds per call after a warm-up, as in make bench)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "results", "parallel_rnn.json")
CELLS = ("mingru", "minlstm", "qrnn", "lru")
BASE = dict(vocab=65, embed=64, units=256)


def worker_ours(spec, steps, warmup):
    """Training and inference seconds per batch of `char_{cell}_language_model` (or the LSTM/GRU LM)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    import rnnzoo

    cell = spec["cell"]
    name = f"{cell}_language_model" if cell in ("lstm", "gru") else f"char_{cell}_language_model"
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(name, vocabulary_size=spec["vocab"], embedding_dim=spec["embed"], units=spec["units"],
                         num_layers=spec.get("layers", 1))
    for layer in model.layers:
        if hasattr(layer, "cell") and hasattr(layer.cell, "parallel"):
            layer.mode = spec.get("mode", "parallel")
    rnnzoo.compile_model(model, learning_rate=1e-3, clipnorm=None, jit_compile=bool(spec.get("jit")))
    rng = np.random.default_rng(0)
    x = rng.integers(1, spec["vocab"], (spec["batch"], spec["length"])).astype("int32")
    y = rng.integers(1, spec["vocab"], (spec["batch"], spec["length"])).astype("int32")
    from rnnzoo.precision import training_precision

    with training_precision(model, spec.get("precision", "float32")):
        train = _timed(lambda: model.train_on_batch(x, y), steps, warmup)
        forward = tf.function(lambda x: model(x, training=False)[:, -1, :1])
        infer = _timed(lambda: forward(x).numpy(), steps, warmup)
    return {"train_s_per_batch": train, "infer_s_per_batch": infer, "parameters": int(model.count_params())}


def worker_torch(spec, steps, warmup):
    """PyTorch nn.Embedding → nn.LSTM → nn.Linear, Adam, cross-entropy: seconds per batch."""
    import torch

    torch.manual_seed(0)
    rnn = torch.nn.LSTM(spec["embed"], spec["units"], batch_first=True)
    model = torch.nn.ModuleList([torch.nn.Embedding(spec["vocab"], spec["embed"]), rnn,
                                 torch.nn.Linear(spec["units"], spec["vocab"])])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(1, spec["vocab"], (spec["batch"], spec["length"]))
    y = torch.randint(1, spec["vocab"], (spec["batch"], spec["length"]))

    def forward():
        return model[2](model[1](model[0](x))[0])

    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec.get("precision") == "bfloat16")  # noqa: E731

    def train_step():
        optimizer.zero_grad()
        with autocast():
            loss = torch.nn.functional.cross_entropy(forward().reshape(-1, spec["vocab"]).float(), y.reshape(-1))
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.no_grad(), autocast():
            forward()

    return {"train_s_per_batch": _timed(train_step, steps, warmup),
            "infer_s_per_batch": _timed(infer_step, steps, warmup),
            "parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads()}


def bound_kernels(spec):
    """The weight matrices a one-layer minGRU LM multiplies by (the embedding is a lookup): the input projection
    to the update gate and the candidate, and the logits."""
    return [(spec["embed"], 2 * spec["units"]), (spec["units"], spec["vocab"])]


def worker_bound(spec, steps, warmup):
    """Seconds per batch of the six matrix products of a one-layer minGRU LM's training step, nothing else."""
    import torch

    dtype = torch.bfloat16 if spec.get("precision") == "bfloat16" else torch.float32
    rows = spec["batch"] * spec["length"]
    g = torch.Generator().manual_seed(0)
    new = lambda *shape: torch.randn(*shape, generator=g).to(dtype)  # noqa: E731
    w_in, w_out = (new(*shape) for shape in bound_kernels(spec))
    x, h = new(rows, w_in.shape[0]), new(rows, w_out.shape[0])
    d_gates, d_logits = new(rows, w_in.shape[1]), new(rows, w_out.shape[1])

    def products():
        x @ w_in, h @ w_out  # forward: the projection of every step, the logits
        h.T @ d_logits, d_logits @ w_out.T  # backward through the logits: their weights, the states
        x.T @ d_gates, d_gates @ w_in.T  # backward through the projection: its weights, the embeddings

    flops = 2 * rows * 3 * sum(a * b for a, b in bound_kernels(spec))
    seconds = _timed(products, steps, warmup)
    forward = _timed(lambda: (x @ w_in, h @ w_out), steps, warmup)  # inference: the forward products
    return {"train_s_per_batch": seconds, "infer_s_per_batch": forward, "parameters": 0,
            "gflops": flops / seconds / 1e9, "threads": torch.get_num_threads()}


def _run(kind, spec, steps, warmup):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                           json.dumps({"kind": kind, "spec": spec, "steps": steps, "warmup": warmup})],
                          capture_output=True, text=True, timeout=1200)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {"error": proc.stderr[-1500:]}
    return json.loads(lines[-1][7:])


def _label(spec):
    if spec.get("bound"):
        return f"the minGRU step's six matrix products alone (PyTorch, {spec.get('precision', 'float32')})"
    if spec["cell"] in ("lstm", "gru"):
        return f"rnnzoo {spec['cell'].upper()} (TensorFlow, rnnzoo kernel)"
    layers = spec.get("layers", 1)
    size = f"{layers}×{spec['units']}" if layers > 1 else f"{spec['units']}"
    precision = "" if spec.get("precision", "float32") == "float32" else f", mixed {spec['precision']}"
    return (f"rnnzoo {spec['cell']} {size}, {spec.get('mode', 'parallel')}"
            f"{', XLA' if spec.get('jit') else ''}{precision}")


def measure(groups, repeats, steps, warmup):
    """groups: {config key: [(row key, spec)]}; every repeat runs each group's PyTorch peer once, then its rows,
    each in a fresh process, so noise hits both sides; ratios are taken within a repeat."""
    runs = {key: {"torch": [], **{row: [] for row, _ in rows}} for key, rows in groups.items()}
    for _ in range(repeats):
        for key, rows in groups.items():
            runs[key]["torch"].append(_run("torch", rows[0][1], steps, warmup))
            for row, spec in rows:
                runs[key][row].append(_run("bound" if spec.get("bound") else "ours", spec, steps, warmup))
    results = []
    for key, rows in groups.items():
        peer = runs[key]["torch"]
        for row_key, spec in rows:
            ours = runs[key][row_key]
            errors = [r["error"] for r in ours + peer if "error" in r]
            row = {"key": row_key, "label": _label(spec), "spec": spec}
            if errors:
                row["errors"] = errors[:1]
                print(f"{row_key}: failed: {errors[0][-300:]}", flush=True)
                results.append(row)
                continue
            tokens = spec["batch"] * spec["length"]
            for what in ("train", "infer"):
                ratios = [p[f"{what}_s_per_batch"] / o[f"{what}_s_per_batch"] for o, p in zip(ours, peer)]
                row[f"{what}_ratio"], row[f"{what}_ratio_range"] = median_range(ratios)
                row[f"{what}_tokens_per_s"] = median_range([tokens / o[f"{what}_s_per_batch"] for o in ours])[0]
                row[f"{what}_tokens_per_s_torch_lstm"] = median_range(
                    [tokens / p[f"{what}_s_per_batch"] for p in peer])[0]
            row["parameters"], row["parameters_torch_lstm"] = ours[0]["parameters"], peer[0]["parameters"]
            if spec.get("bound"):
                row["gflops"] = median_range([o["gflops"] for o in ours])
            print(f"{row_key:32s} train {row['train_tokens_per_s']:>9,.0f} tok/s = {row['train_ratio']:.2f}× PyTorch "
                  f"LSTM [{row['train_ratio_range'][0]:.2f}–{row['train_ratio_range'][1]:.2f}] "
                  f"({row['train_tokens_per_s_torch_lstm']:,.0f}); inference {row['infer_ratio']:.2f}× "
                  f"[{row['infer_ratio_range'][0]:.2f}–{row['infer_ratio_range'][1]:.2f}]; "
                  f"{row['parameters']:,} parameters", flush=True)
            results.append(row)
    return results


BATCH = {100: 64, 300: 32, 1000: 16}  # batch per length in the speed section


def _base(length):
    """The one-layer char config at `length`, with the batch of that length (about 6,400 tokens a batch)."""
    return {**BASE, "length": length, "batch": BATCH.get(length, max(1, round(6400 / length)))}


def speed(args):
    """All cells at lengths 100 and 1,000; at other lengths only minGRU's two modes (for the curve)."""
    groups = {}
    for length in [int(v) for v in args.lengths.split(",")]:
        base = _base(length)
        rows = [(f"T={length} mingru xla", {**base, "cell": "mingru", "jit": True}),
                (f"T={length} mingru sequential", {**base, "cell": "mingru", "mode": "sequential"})]
        if length in (100, 1000):
            rows = [(f"T={length} lstm", {**base, "cell": "lstm"}), (f"T={length} gru", {**base, "cell": "gru"})] + rows
            rows += [(f"T={length} {cell} xla", {**base, "cell": cell, "jit": True}) for cell in CELLS[1:]]
            rows += [(f"T={length} mingru", {**base, "cell": "mingru"}),
                     (f"T={length} mingru 2x384 xla", {**base, "cell": "mingru", "layers": 2, "units": 384, "jit": True})]
        groups[f"T={length}"] = rows
    return {"rows": measure(groups, args.repeats, args.steps, 2), "batch_by_length": BATCH, "repeats": args.repeats}


def bound(args):
    """At each length: PyTorch's LSTM against the matmul-only bound of a minGRU step and rnnzoo's minGRU, in
    float32 and in mixed bfloat16."""
    groups = {}
    for length in [int(v) for v in args.lengths.split(",")]:
        base = _base(length)
        for precision in ("float32", "bfloat16"):
            spec = {**base, "precision": precision}
            groups[f"T={length} {precision}"] = [
                (f"T={length} {precision} matmul bound", {**spec, "bound": True}),
                (f"T={length} {precision} mingru", {**spec, "cell": "mingru", "jit": precision == "float32"})]
    return {"rows": measure(groups, args.repeats, args.steps, 2), "batch_by_length": BATCH, "repeats": args.repeats}


def _char_lm(options, minutes, out, jit=True):
    command = [sys.executable, os.path.join(HERE, "char_lm.py"), "--minutes", str(minutes)] + (["--jit"] if jit else []) + options
    if out:
        command += ["--out", out]
    start = time.time()
    proc = subprocess.run(command, capture_output=True, text=True)
    metrics_lines = [line for line in proc.stdout.splitlines() if line.startswith("epoch")]
    print("\n".join(metrics_lines), flush=True)
    result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("METRICS ")][-1][8:])
    result["wall_seconds"] = round(time.time() - start, 1)
    return result


def lm(args):
    """The LSTM reference and a parallel-cell model, each trained by char_lm.py until 1.60 (or its budget),
    in turns `--lm-repeats` times (training is deterministic; the wall clock is what varies): the median time
    ratio over the turns and its range."""
    runs = {}
    new = ["--cell", args.cell, "--layers", str(args.layers), "--units", str(args.units), "--embedding-dim",
           str(args.embedding_dim), "--learning-rate", str(args.learning_rate), "--dropout", str(args.dropout),
           "--stop-at", "1.60"]
    lstm = ["--cell", "lstm", "--layers", "2", "--units", "256", "--embedding-dim", "64", "--stop-at", "1.60"]
    both = ["--precision", args.precision]  # the same precision on both sides (auto: bfloat16 where the CPU has it)
    new, lstm = new + both, lstm + both
    reached = lambda r: next((h["elapsed_seconds"] for h in r["history"] if h["val_nats_per_char"] <= 1.60), None)  # noqa: E731
    ratios = []
    for turn in range(args.lm_repeats):
        for key, options, minutes in ((args.cell, new, args.minutes), ("lstm", lstm, args.lstm_minutes)):
            print(f"--- turn {turn + 1} of {args.lm_repeats}, {key}: char_lm.py {' '.join(options)} "
                  f"(at most {minutes} min)", flush=True)
            runs.setdefault(key, []).append(_char_lm(options, minutes, None, jit=not args.no_jit))
        a, b = reached(runs[args.cell][-1]), reached(runs["lstm"][-1])
        ratios.append(a / b if a and b else None)
        print(f"turn {turn + 1}: time to 1.60: {args.cell} {a} s, LSTM {b} s, ratio {ratios[-1]}", flush=True)
    summary = {}
    for key, rs in runs.items():
        first = rs[0]
        at10 = [h for h in first["history"] if h["elapsed_seconds"] <= 600]
        times = [reached(r) for r in rs]
        summary[key] = {"seconds_to_1.60": median_range(times)[0] if None not in times else None,
                        "seconds_to_1.60_runs": times,
                        "validation_after_10_min": at10[-1]["val_nats_per_char"] if at10 else None,
                        "best_validation": first["validation_nats_per_char"], "parameters": first["parameters"],
                        "tokens_per_s": median_range([r["train_tokens_per_second"] for r in rs])[0],
                        "command": first["command"]}
    ratio, ratio_range = median_range(ratios) if None not in ratios else (None, None)
    print(f"time to 1.60, median over {args.lm_repeats} turns: {args.cell} {summary[args.cell]['seconds_to_1.60']} s,"
          f" LSTM {summary['lstm']['seconds_to_1.60']} s, ratio {ratio} (range {ratio_range})", flush=True)
    return {"runs": runs, "summary": summary, "time_ratio_new_over_lstm": ratio,
            "time_ratio_range": ratio_range, "time_ratio_runs": ratios, "repeats": args.lm_repeats}


def latency(args):
    """Batch-1 µs per token of each exported step.tflite and of rnnzoo.generate's loop."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tempfile

    import numpy as np

    import rnnzoo
    from rnnzoo.decoding import decode
    from rnnzoo.export import TFLiteModel, export

    rows = []
    configs = [("lstm 1×256", "lstm_language_model", {"units": 256}),
               ("mingru 2×384 (parameters of the LSTM)", "char_mingru_language_model", {"units": 384, "num_layers": 2})]
    configs += [(f"{c} 1×256", f"char_{c}_language_model", {"units": 256, "num_layers": 1}) for c in CELLS]
    for label, name, options in configs:
        model = rnnzoo.build(name, vocabulary_size=65, embedding_dim=64, **options)
        with tempfile.TemporaryDirectory() as tmp:
            export(model, os.path.join(tmp, "export"), quantize=(), sequence_length=32, saved_model=False)
            step = TFLiteModel(os.path.join(tmp, "export", "step.tflite"))
            states = {n: np.zeros(s, d) for n, (s, d) in step.inputs.items() if n != "token"}
            token = np.array([3], "int32")
            times = []
            for repeat in range(args.repeats):
                start = time.perf_counter()
                for _ in range(args.tokens):
                    out = step(token=token, **states)
                    states = {k: v for k, v in out.items() if k != "logits"}
                times.append((time.perf_counter() - start) / args.tokens * 1e6)
        prompt = np.array([[2]], "int32")
        decode(model, prompt, np.array([1]), args.tokens, "greedy", end_id=-1)  # compiles the loop
        keras_times = []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            decode(model, prompt, np.array([1]), args.tokens, "greedy", end_id=-1)
            keras_times.append((time.perf_counter() - start) / args.tokens * 1e6)
        tflite_us, tflite_range = median_range(times)
        keras_us, keras_range = median_range(keras_times)
        rows.append({"model": label, "parameters": int(model.count_params()), "tflite_us_per_token": tflite_us,
                     "tflite_range": tflite_range, "keras_generate_us_per_token": keras_us,
                     "keras_range": keras_range})
        print(f"{label:40s} step.tflite {tflite_us:7.1f} µs/token; rnnzoo.generate {keras_us:7.1f} µs/token; "
              f"{model.count_params():,} parameters", flush=True)
    return {"rows": rows}


def markdown(report, path=OUT):
    """The README tables of a results file (each figure is in the JSON, at the precision shown)."""
    source = f"<!-- claims: benchmarks/results/{os.path.basename(path)}; skip=0 -->"
    lines = []
    if "speed" in report:
        sp = report["speed"]
        lines += [f"Training speed, {sp['date']}, {sp['machine']}, `{sp['command']}`: the median over the "
                  "repeated turns [range]", "", source,
                  "| model (one layer unless stated) | length × batch | parameters | train tok/s | PyTorch nn.LSTM "
                  "train tok/s | training ratio | inference ratio |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in sp["rows"]:
            if "errors" in r:
                lines.append(f"| {r['label']} | {r['spec']['length']} × {r['spec']['batch']} | failed | | | | |")
                continue
            lines.append(
                f"| {r['label']} | {r['spec']['length']} × {r['spec']['batch']} | {r['parameters']:,} | "
                f"{r['train_tokens_per_s']:,.0f} | {r['train_tokens_per_s_torch_lstm']:,.0f} | "
                f"{r['train_ratio']:.2f} [{r['train_ratio_range'][0]:.2f}–{r['train_ratio_range'][1]:.2f}] | "
                f"{r['infer_ratio']:.2f} [{r['infer_ratio_range'][0]:.2f}–{r['infer_ratio_range'][1]:.2f}] |")
        lines.append("")
    if "lm" in report:
        lm_ = report["lm"]
        lines += [f"Time to quality, {lm_['date']}, {lm_['machine']}, `{lm_['command']}`:", "", source,
                  "| model | parameters | training tok/s | seconds to 1.60 nats/char | last validation within 10 min "
                  "(runs stop at 1.60) | best validation |", "| --- | --- | --- | --- | --- | --- |"]
        for key, s_ in lm_["summary"].items():
            fmt = lambda v, f: "not reached" if v is None else format(v, f)  # noqa: E731
            seconds = fmt(s_["seconds_to_1.60"], ".1f")
            times = [t for t in s_.get("seconds_to_1.60_runs", []) if t is not None]
            if len(times) > 1:  # the median over the turns and its range
                seconds += f" [{min(times):.1f}–{max(times):.1f}]"
            lines.append(f"| {key} | {s_['parameters']:,} | {s_['tokens_per_s']:,.0f} | "
                         f"{seconds} | {fmt(s_['validation_after_10_min'], '.4f')} | "
                         f"{s_['best_validation']:.4f} |")
        if lm_.get("time_ratio_range"):
            low, high = lm_["time_ratio_range"]
            lines += ["", f"Time ratio to 1.60, {next(iter(lm_['summary']))} ÷ LSTM, median over {lm_['repeats']} "
                          f"turns: {lm_['time_ratio_new_over_lstm']:.3f} [{low:.3f}–{high:.3f}]"]
        lines.append("")
    if "latency" in report:
        la = report["latency"]
        lines += [f"Batch-1 latency per token, {la['date']}, {la['machine']}:", "", source,
                  "| model | parameters | step.tflite µs/token | rnnzoo.generate µs/token |", "| --- | --- | --- | --- |"]
        for r in la["rows"]:
            lines.append(f"| {r['model']} | {r['parameters']:,} | {r['tflite_us_per_token']:.1f} | "
                         f"{r['keras_generate_us_per_token']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("section", nargs="?", choices=["speed", "lm", "latency", "bound"])
    ap.add_argument("--lengths", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10, help="timed batches per measurement")
    ap.add_argument("--tokens", type=int, default=300, help="latency: tokens per timing")
    ap.add_argument("--cell", default="mingru")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--units", type=int, default=384)
    ap.add_argument("--embedding-dim", type=int, default=384)
    ap.add_argument("--learning-rate", type=float, default=2e-3)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--precision", default="float32", help="lm: float32, bfloat16 or auto, on both sides")
    ap.add_argument("--lm-repeats", type=int, default=3, help="lm: turns of the two runs (median ratio and range)")
    ap.add_argument("--no-jit", action="store_true",
                    help="lm: train both sides without XLA: TensorFlow's oneDNN matmuls, the fast choice in bfloat16 "
                         "here (results/parallel_lm_bf16.json, with XLA, against results/parallel_lm_nojit.json); "
                         "the scans stay XLA-compiled")
    ap.add_argument("--minutes", type=float, default=15.0, help="lm: budget of the parallel-cell model")
    ap.add_argument("--lstm-minutes", type=float, default=30.0, help="lm: budget of the LSTM reference")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--markdown", action="store_true", help="print the tables of --out and exit")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.markdown:
        with open(args.out) as f:
            print(markdown(json.load(f), args.out))
        return None
    if args.worker:
        job = json.loads(args.worker)
        fn = {"torch": worker_torch, "bound": worker_bound}.get(job["kind"], worker_ours)
        print("RESULT " + json.dumps(fn(job["spec"], job["steps"], job["warmup"])))
        return None
    if not args.section:
        ap.error("name a section: speed, lm, latency or bound (or --markdown)")
    if args.lengths is None:
        args.lengths = "1000" if args.section == "bound" else "100,300,1000"
    section = {"speed": speed, "lm": lm, "latency": latency, "bound": bound}[args.section](args)
    report = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            report = json.load(f)
    report[args.section] = {**section, **provenance("parallel_rnn.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
