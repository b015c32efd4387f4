"""Speed side by side with PyTorch: training and batch-inference tokens/s of LSTM and GRU language models, the
fraction of a measured matrix-multiply peak, and batch-1 generation. Each side (PyTorch; ours on each backend) runs
all its measurements in one fresh process per turn, and the sides take turns.

Configurations (issue 8): char — vocabulary 65, embedding 64, 256 units, length 100, batch 64; word — vocabulary
8000, embedding 256, 512 units, length 64, batch 64; char_padded — the char config with rows right-padded to
random lengths 30..100 (ours masks the padding through the embedding; PyTorch runs twice, packing the batch with
`pack_padded_sequence` and unpacked, the padded batch as it is with the padding ignored by the loss; tokens/s
counts batch × length on every side). Same sizes, Adam, cross-entropy, float32 on both sides; the char config
also in mixed bfloat16 on both sides (`--precisions`: `torch.autocast` for PyTorch, `rnnzoo.precision` for ours).
Ours is `rnnzoo.build("lstm_language_model" / "gru_language_model")` compiled by Keras, on each backend in
--backends (the word config on the first, the default backend, unless `--word-backends` names more; rnnzoo's
layers train with the fast kernels of `rnnzoo.layers.kernels`); `--keras-loop` also runs the
TensorFlow backend with `RNNZOO_FAST_KERNELS=0` (Keras' own loop) to show what the kernel adds. Inference is
measured two ways: `rnnzoo.inference.compiled_call` (XLA on TensorFlow) against PyTorch's forward under `no_grad`
(outputs left on the device on both sides), and Keras' `model.predict` over 8 batches per call (4 in the word
config) against PyTorch's forward over the same batches with every batch's outputs gathered into one NumPy array,
which is what `predict` returns (unpacked in the padded config).
The peer is `nn.Embedding → nn.LSTM/GRU → nn.Linear` in PyTorch. Results: a table of tokens/s and ratios
(ours ÷ PyTorch), and a JSON file. Every measurement is repeated (`--repeats`, PyTorch and ours in turns, each
turn of a side in a fresh process): the JSON and the table give the median ratio over the repeats and its range,
never the best run, with the CPU model, its vector extensions, the threads and PyTorch's float32 and bfloat16 matmul peaks.
Batch-1 generation is given in µs per token beside the matrix-vector limit of one step (an XLA loop doing only
the step's multiplies). `make bench` runs the char and word configs (the padded one: `--configs char_padded`).

    python benchmarks/speed.py [--quick] [--configs char,word] [--cells lstm,gru] [--backends tensorflow,torch]

GPU mode (`--gpu`): PyTorch cuDNN vs ours on the torch and JAX backends, each with cuDNN and with the generic
loop forced (`use_cudnn=False` on every recurrent layer); the peak is a float32 PyTorch CUDA matmul. The GPU
machine lent to this project has PyTorch and JAX but no TensorFlow and no package registry, so the keras wheel
and its pure-Python dependencies travel with the code:

    pip download --no-deps -d wheels keras==3.15.1 namex optree rich markdown-it-py mdurl   # here
    pip install --no-index --no-deps wheels/*.whl && python benchmarks/speed.py --gpu       # there

(rnnzoo imports without TensorFlow on the torch and JAX backends.) Not yet run on a GPU: no machine was lent.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from common import median_range, provenance, write_json
from common import timed as _timed

HERE = os.path.dirname(os.path.abspath(__file__))
# predict_batches: batches per `predict` call (the word config's logits are 131 MB a batch)
CONFIGS = {"char": dict(vocab=65, embed=64, units=256, length=100, batch=64, predict_batches=8),
           "word": dict(vocab=8000, embed=256, units=512, length=64, batch=64, predict_batches=4),
           # the character config with padding: lengths uniform in 30..100 (id 0 pads; PyTorch packs the batch)
           "char_padded": dict(vocab=65, embed=64, units=256, length=100, batch=64, min_length=30, predict_batches=8)}


def batch(cfg, seed=0):
    """Token ids x and next-token targets y (batch, length); with `min_length` the rows are right-padded with 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(1, cfg["vocab"], (cfg["batch"], cfg["length"])).astype("int32")
    y = rng.integers(1, cfg["vocab"], (cfg["batch"], cfg["length"])).astype("int32")
    lengths = np.full(cfg["batch"], cfg["length"])
    if "min_length" in cfg:
        lengths = rng.integers(cfg["min_length"], cfg["length"] + 1, cfg["batch"])
        pad = np.arange(cfg["length"])[None, :] >= lengths[:, None]
        x[pad], y[pad] = 0, 0
    return x, y, lengths


def flops_per_token(cfg, cell):
    """Multiply-adds × 2 of one forward step: the recurrent cell's matmuls plus the output layer."""
    gates = 4 if cell == "lstm" else 3
    return 2 * gates * cfg["units"] * (cfg["embed"] + cfg["units"]) + 2 * cfg["units"] * cfg["vocab"]



def worker_ours(cfg, cell, steps, warmup, cudnn=True, precision="float32"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import rnnzoo

    model = rnnzoo.build(f"{cell}_language_model", vocabulary_size=cfg["vocab"], embedding_dim=cfg["embed"],
                         units=cfg["units"])
    if not cudnn:  # GPU mode: the generic loop Keras falls back to when a setting is not cuDNN-compatible
        for layer in model.layers:
            if hasattr(layer, "use_cudnn"):
                layer.use_cudnn = False
    rnnzoo.compile_model(model, learning_rate=1e-3, clipnorm=None)
    x, y, _ = batch(cfg)  # padded positions are masked out of the loss (the embedding's mask)
    from rnnzoo.precision import training_precision
    from rnnzoo.xla import xla_training

    with training_precision(model, precision):  # float32, or mixed bfloat16 (float32 variables and loss)
        # the training step compiles as rnnzoo's fitting loop compiles it (XLA in float32 on a CPU)
        return _measure_ours(model, x, y, steps, warmup, calls=cfg["predict_batches"],
                             xla=xla_training(model, precision))


def _measure_ours(model, x, y, steps, warmup, calls=8, xla=False):
    import keras
    import numpy as np

    from rnnzoo.xla import compiled_with_xla

    with compiled_with_xla(model, xla):
        train = _timed(lambda: model.train_on_batch(x, y), steps, warmup)
    from rnnzoo.layers.recurrent import GRU, LSTM

    loops = [layer.loop_used for layer in model._flatten_layers(include_self=False) if isinstance(layer, (LSTM, GRU))]

    from rnnzoo.inference import compiled_call

    call = compiled_call(model)  # XLA on TensorFlow, jax.jit, torch.no_grad: what rnnzoo offers for batch inference
    # logits stay on the device: copying (batch, length, vocab) to NumPy is not the model's time
    infer = _timed(lambda: keras.ops.convert_to_numpy(call(x)[:, -1, :1]), steps, warmup)
    # Keras' predict over several batches in one call (its fixed cost per call, ~45 ms here, spread as over a dataset)
    many = np.concatenate([x] * calls)
    model.predict(x, batch_size=len(x), verbose=0)  # traces the predict function for this batch shape
    predict = _timed(lambda: model.predict(many, batch_size=len(x), verbose=0), 1, 0) / calls
    return {"train_s_per_batch": train, "infer_s_per_batch": infer, "predict_s_per_batch": predict,
            "backend": keras.backend.backend(), "train_xla": bool(xla),
            "fast_kernel_layers": sum(1 for loop in loops if loop and loop.startswith("rnnzoo kernel"))}


def worker_torch(cfg, cell, steps, warmup, packed=True, precision="float32"):
    import numpy as np
    import torch

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(cfg["embed"], cfg["units"], batch_first=True)
    model = torch.nn.ModuleList([torch.nn.Embedding(cfg["vocab"], cfg["embed"]), rnn,
                                 torch.nn.Linear(cfg["units"], cfg["vocab"])]).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y, lengths = (torch.as_tensor(a) for a in batch(cfg))
    x, y = x.long().to(device), y.long().to(device)
    padded = "min_length" in cfg and packed
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def forward():
        e = model[0](x)
        if padded:  # the usual PyTorch way: a packed sequence skips the padding
            packed = torch.nn.utils.rnn.pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
            h, _ = torch.nn.utils.rnn.pad_packed_sequence(model[1](packed)[0], batch_first=True,
                                                          total_length=cfg["length"])
        else:
            h, _ = model[1](e)
        return model[2](h)

    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16")

    def train_step():
        optimizer.zero_grad()
        with autocast():
            logits = forward()
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, cfg["vocab"]), y.reshape(-1),
                                                 ignore_index=0)
        loss.backward()
        optimizer.step()
        sync()

    def infer_step():
        with torch.no_grad(), autocast():
            forward()
        sync()

    calls = cfg["predict_batches"]
    many = torch.cat([x] * calls)

    def predict_step():  # what Keras' predict does for its batches: every batch's outputs as one NumPy array
        with torch.no_grad(), autocast():
            outputs = []
            for i in range(calls):
                e = model[0](many[i * len(x):(i + 1) * len(x)])
                outputs.append(model[2](model[1](e)[0]).float().cpu().numpy())
            return np.concatenate(outputs)

    return {"train_s_per_batch": _timed(train_step, steps, warmup),
            "infer_s_per_batch": _timed(infer_step, steps, warmup),
            "predict_s_per_batch": _timed(predict_step, 1, 0) / calls, "threads": torch.get_num_threads()}


def worker_generate(framework, cfg, cell, tokens, calls=3):
    """Batch-1 greedy generation, tokens/s: rnnzoo's compiled loop vs a PyTorch eager loop.

    Each side makes one untimed call first (PyTorch's first eager steps in a process ran 4× slower; rnnzoo's
    first call compiles the loop), then `calls` timed calls of `tokens` tokens; the median call counts."""
    if framework == "torch":
        import torch

        rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(cfg["embed"], cfg["units"], batch_first=True)
        embed, out = torch.nn.Embedding(cfg["vocab"], cfg["embed"]), torch.nn.Linear(cfg["units"], cfg["vocab"])

        def run():
            with torch.no_grad():
                token, state = torch.tensor([[1]]), None
                for _ in range(tokens):
                    h, state = rnn(embed(token), state)
                    token = out(h[:, -1]).argmax(-1, keepdim=True)
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import numpy as np

        import rnnzoo
        from rnnzoo.decoding import decode

        model = rnnzoo.build(f"{cell}_language_model", vocabulary_size=cfg["vocab"], embedding_dim=cfg["embed"],
                             units=cfg["units"])
        prompt = np.array([[2]], "int32")

        def run():  # end_id=-1: never stops early, exactly `tokens` new ids
            decode(model, prompt, np.array([1]), tokens, "greedy", end_id=-1)
    run()
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return {"tokens_per_s": tokens / median_range(seconds)[0], "calls": calls, "tokens": tokens}


def matmul_peak(n=2048, repeats=5, gpu=False):
    if gpu:  # float32 on the GPU through PyTorch (TF32 off: the models train in float32)
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        a = torch.rand(8192, 8192, device="cuda")
        a @ a
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            a @ a
        torch.cuda.synchronize()
        return 2 * 8192 ** 3 * repeats / (time.perf_counter() - start)
    import numpy as np

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    a @ a
    start = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def matvec_limit_us(cfg, cell, steps=2000):
    """µs per step of a loop that does only one generation step's multiplies at batch 1 ([x, h] times the gate
    weights, h times the output weights, each step depending on the last), compiled by XLA as rnnzoo's loop is:
    the floor a step of batch-1 generation cannot go under here. (Eager PyTorch and NumPy matrix-vector calls
    measured 49 and 34 µs for the LSTM's multiplies, slower than XLA's loop.)"""
    import numpy as np
    import tensorflow as tf

    gates = 4 if cell == "lstm" else 3
    rng = np.random.default_rng(0)
    w = tf.constant(rng.normal(0, 0.05, (cfg["embed"] + cfg["units"], gates * cfg["units"])).astype("float32"))
    out = tf.constant(rng.normal(0, 0.05, (cfg["units"], cfg["embed"])).astype("float32"))

    @tf.function(jit_compile=True)
    def loop(x, h):
        def body(t, x, h):
            h = tf.tanh(tf.matmul(tf.concat([x, h], 1), w)[:, :cfg["units"]])
            return t + 1, tf.matmul(h, out), h
        return tf.while_loop(lambda t, *_: t < steps, body, (0, x, h))[2]

    x, h = tf.zeros((1, cfg["embed"])), tf.zeros((1, cfg["units"]))
    loop(x, h).numpy()
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        loop(x, h).numpy()
        runs.append((time.perf_counter() - start) / steps * 1e6)
    return sorted(runs)[1]


def matmul_peaks(n=2048, repeats=5):
    """PyTorch CPU matmul GFLOP/s in float32 and bfloat16 (oneDNN: AVX512-BF16 or AMX where the CPU has them)."""
    import torch

    found = {}
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        a = torch.rand(n, n, dtype=dtype)
        a @ a
        start = time.perf_counter()
        for _ in range(repeats):
            a @ a
        found[name] = 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9
    return found


def _run_group(jobs, backend=None, fast=True):
    """Runs `jobs` one after another in one fresh process (a Python start with TensorFlow costs ~7 s here, so one
    process per side and turn, not per measurement); returns a result per job, {"error": ...} where one failed."""
    env = dict(os.environ, RNNZOO_FAST_KERNELS="1" if fast else "0")
    if backend:
        env["KERAS_BACKEND"] = backend
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(jobs)],
                          capture_output=True, text=True, timeout=300 + 300 * len(jobs), env=env)
    found = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            index, result = line[7:].split(" ", 1)
            found[int(index)] = json.loads(result)
    return [found.get(k, {"error": proc.stderr[-1500:] or "the worker printed no result"}) for k in range(len(jobs))]


def run_jobs(jobs):
    """The worker side of `_run_group`: each job's result on a `RESULT index json` line, as soon as it is known."""
    import gc
    import traceback

    ours = any(job["framework"] != "torch" for job in jobs)
    if ours:  # a PyTorch-only process never loads Keras or TensorFlow
        from rnnzoo import config

        config.from_environment()  # RNNZOO_FAST_KERNELS from _run_group
    for index, job in enumerate(jobs):
        cfg = CONFIGS[job["config"]]
        began = time.perf_counter()
        try:
            if job["kind"] == "generate":
                result = worker_generate(job["framework"], cfg, job["cell"], job["tokens"])
            else:
                sizes = (cfg, job["cell"], job["steps"], job["warmup"])
                precision = job.get("precision", "float32")
                result = (worker_ours(*sizes, cudnn=job["cudnn"], precision=precision)
                          if job["framework"] == "rnnzoo"
                          else worker_torch(*sizes, packed=job.get("packed", True), precision=precision))
        except Exception:  # noqa: BLE001 — one failed measurement is reported, the others still run
            result = {"error": traceback.format_exc()[-1500:]}
        result["job_seconds"] = round(time.perf_counter() - began, 2)  # where make bench's time goes
        print(f"RESULT {index} " + json.dumps(result), flush=True)
        if ours:
            import keras

            keras.backend.clear_session()
        gc.collect()


LABELS = {("tensorflow", True): "TensorFlow, rnnzoo kernel", ("tensorflow", False): "TensorFlow, Keras' loop",
          ("torch", True): "PyTorch backend, rnnzoo layer", ("jax", True): "JAX backend"}


def markdown(report):
    """The results as Markdown tables (what README.md and RESULTS.md show): median ratio [range] per row."""
    def cell(row, key):
        lo, hi = row[f"{key}_ratio_range"]
        return f"{row[key + '_ratio']:.2f} [{lo:.2f}–{hi:.2f}]"

    peaks = report.get("matmul_peaks_gflops", {})
    stated = (f"; {report['threads']} threads; PyTorch matmul peak (n=2048) {peaks['float32']:,.0f} GFLOP/s float32, "
              f"{peaks['bfloat16']:,.0f} bfloat16") if peaks else ""
    lines = [f"{report['date']}, {report['machine']}{stated}, {report['config']['repeats']} runs per side, ours ÷ "
             "PyTorch (median [range]; bfloat16 rows: mixed precision on both sides, PyTorch by torch.autocast):", "",
             f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out'])} -->",
             "| config | cell | ours on | PyTorch peer | train tok/s | PyTorch train tok/s | training ratio | "
             "inference ratio (compiled call) | `predict` ratio |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in report["results"]:
        if "errors" in row:
            continue
        precision = "" if row.get("precision", "float32") == "float32" else f", {row['precision']}"
        precision += ", XLA training step" if row.get("train_xla") else ""
        lines.append(f"| {row['config']} | {row['cell'].upper()} | {LABELS[(row['backend'], row['fast_kernels'])]}{precision} | "
                     f"{row['peer']} | {row['train_tokens_per_s_rnnzoo']:,.0f} | {row['train_tokens_per_s_torch']:,.0f} | "
                     f"{cell(row, 'train')} | {cell(row, 'infer')} | {cell(row, 'predict') if 'predict_ratio' in row else '—'} |")
    gen = {c: g for c, g in report.get("generation", {}).items() if "ratio" in g}
    if gen:
        lines += ["", f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out'])} -->",
                  "| batch-1 greedy generation, char config | rnnzoo tokens/s | µs/token | matrix-vector limit µs | "
                  "PyTorch eager loop tokens/s | ratio |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for c, g in gen.items():
            lo, hi = g["ratio_range"]
            limit = f"{g['matvec_limit_us']:.1f}" if "matvec_limit_us" in g else "—"
            lines.append(f"| {c.upper()} | {g['rnnzoo']['tokens_per_s']:,.0f} | {1e6 / g['rnnzoo']['tokens_per_s']:.1f} | "
                         f"{limit} | {g['torch']['tokens_per_s']:,.0f} | "
                         f"{g['ratio']:.2f} [{lo:.2f}–{hi:.2f}] |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="char,word", help="char, word, char_padded (padded rows, PyTorch packed "
                    "and unpacked)")
    ap.add_argument("--keras-loop", action="store_true", help="char configs: also run the TensorFlow backend with "
                    "rnnzoo's kernels off (Keras' own loop)")
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--backends", default=None, help="Keras backends to run ours on (default tensorflow,torch; "
                    "torch,jax with --gpu)")
    ap.add_argument("--word-backends", default=None, help="CPU mode: the backends the word config runs on (default: "
                    "the first of --backends, the default backend; the floors of issue 17 are on it)")
    ap.add_argument("--gpu", action="store_true", help="GPU mode: PyTorch cuDNN vs ours on the torch/JAX backends "
                    "with cuDNN and with the generic loop forced (use_cudnn=False)")
    ap.add_argument("--steps", type=int, default=8, help="timed batches per measurement (twice this for char, half for word)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per side, in turns (the median and range are "
                    "reported)")
    ap.add_argument("--precisions", default="float32,bfloat16", help="char config: also train and infer in these "
                    "precisions (mixed bfloat16: torch.autocast on PyTorch's side, rnnzoo.precision on ours)")
    ap.add_argument("--quick", action="store_true", help="3 timed batches, char config only (for a smoke run)")
    ap.add_argument("--markdown", metavar="JSON", help="print the tables of a results file and exit")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "speed.json"))
    args = ap.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return None
    if args.worker:
        return run_jobs(json.loads(args.worker))
    if args.quick:
        args.configs, args.steps, args.repeats = "char", 3, 1
    args.backends = args.backends or ("torch,jax" if args.gpu else "tensorflow,torch")
    args.word_backends = args.word_backends or args.backends.split(",")[0]
    peak = matmul_peak(gpu=args.gpu)
    machine = provenance("speed.py", argv)["machine"]
    from rnnzoo.hardware import describe_hardware

    threads = describe_hardware()["threads"]
    peaks = {} if args.gpu else matmul_peaks()
    print(f"{machine}; {threads} threads; {args.repeats} runs per side, median ratio [range]")
    if peaks:
        print(f"PyTorch matmul peak (n=2048): {peaks['float32']:,.0f} GFLOP/s float32, {peaks['bfloat16']:,.0f} "
              "GFLOP/s bfloat16")
    print(f"matrix-multiply peak ({'PyTorch CUDA float32, n=8192' if args.gpu else 'NumPy float32, n=2048'}): "
          f"{peak / 1e9:,.0f} GFLOP/s")
    rows = []
    header = f"{'config':11s} {'cell':5s} {'ours on':27s} {'peer':9s} {'train tok/s':>11s} {'PyTorch':>8s} " \
             f"{'ratio [range]':>18s}   {'infer tok/s':>11s} {'PyTorch':>8s} {'ratio [range]':>18s}  {'% peak':>6s}"
    print(header)
    # (backend, rnnzoo kernels on, cuDNN allowed, label)
    variants = [(b, True, True, b + (" (cuDNN)" if args.gpu else " (rnnzoo kernels)"))
                for b in args.backends.split(",")]
    # Every measurement is a job; the jobs of one side (PyTorch; ours on one backend with or without rnnzoo's
    # kernels) run together in one fresh process per turn. Separate processes of the same program differ by up to
    # ~20% here, so the sides run in turns, `--repeats` times each, and every ratio is the median over the turns
    # (its range beside it), each turn's ratio taken between processes run back to back.
    groups, plan = {}, []  # groups: side → [(key, job)]; plan: what each row compares

    def add(side, key, job):
        groups.setdefault(side, [])
        if key not in dict(groups[side]):
            groups[side].append((key, job))
        return key

    gen_cells = [] if args.gpu else args.cells.split(",")  # batch-1 generation (CPU mode only), first in
    # each process, so it meets a fresh process as it did when every measurement had its own (a trial run with it
    # after the training jobs saw PyTorch's eager LSTM loop at 154 tokens/s, while another job shared the cores)
    for cell in gen_cells:
        job = {"kind": "generate", "config": "char", "cell": cell, "tokens": 100 if args.quick else 1000}
        add(("torch", None), ("generate", cell), {**job, "framework": "torch"})
        add((os.environ.get("KERAS_BACKEND", "tensorflow"), True), ("generate", cell), {**job, "framework": "rnnzoo"})
    for config in args.configs.split(","):
        cfg = CONFIGS[config]
        for cell in args.cells.split(","):
            # a word batch (4,096 tokens) trains for ~1 s here: half the steps, which keeps make bench under 10 min
            job = {"kind": "fit", "config": config, "cell": cell, "warmup": 2,
                   "steps": args.steps * 2 if config.startswith("char") else max(3, args.steps // 2)}
            runs = [(*v, "float32") for v in variants
                    if config.startswith("char") or args.gpu or v[0] in args.word_backends.split(",")]
            if args.gpu:
                runs += [(b, True, False, b + " (generic loop)", "float32") for b in args.backends.split(",")]
            elif config.startswith("char") and "tensorflow" in args.backends and args.keras_loop:
                runs.append(("tensorflow", False, True, "tensorflow (Keras loop)", "float32"))
            if config == "char" and not args.gpu:  # the precision rows: mixed bfloat16 on every side
                runs += [(b, True, True, f"{b} (rnnzoo kernels)", p) for p in args.precisions.split(",")
                         if p != "float32" for b in args.backends.split(",")]
            packings = ["packed", "unpacked"] if "min_length" in cfg else ["dense"]
            for backend, fast, cudnn, label, precision in runs:
                mine = add((backend, fast), ("fit", config, cell, cudnn, precision),
                           {**job, "framework": "rnnzoo", "cudnn": cudnn, "precision": precision})
                for packing in packings:
                    peer = add(("torch", None), ("fit", config, cell, packing, precision),
                               {**job, "framework": "torch", "precision": precision, "packed": packing != "unpacked"})
                    plan.append(dict(config=config, cell=cell, backend=backend, fast=fast, cudnn=cudnn, label=label,
                                     precision=precision, packing=packing, mine=mine, peer=peer))

    found = {side: {key: [] for key, _ in jobs} for side, jobs in groups.items()}
    order = [("torch", None)] + [side for side in groups if side != ("torch", None)]
    started, timing = time.perf_counter(), []  # timing: each process's seconds and its jobs'
    for turn in range(args.repeats):
        for side in order:
            keys, jobs = zip(*groups[side])
            backend, fast = side
            peer = side == ("torch", None)  # the PyTorch process: no Keras backend, no rnnzoo kernels to switch
            began = time.perf_counter()
            results = _run_group(list(jobs), backend=None if peer else backend, fast=peer or fast)
            timing.append({"turn": turn + 1, "side": "pytorch" if peer else f"{backend}, fast kernels {fast}",
                           "process_seconds": round(time.perf_counter() - began, 1),
                           "job_seconds": {" ".join(str(k) for k in key if k is not None): r.get("job_seconds")
                                           for key, r in zip(keys, results)}})
            for key, result in zip(keys, results):
                found[side][key].append(result)
        print(f"turn {turn + 1} of {args.repeats} done after {time.perf_counter() - started:.0f} s", flush=True)

    rows = []
    for p in plan:
        config, cell, label, precision, packing = p["config"], p["cell"], p["label"], p["precision"], p["packing"]
        cfg = CONFIGS[config]
        tokens = cfg["batch"] * cfg["length"]
        ours, peer = found[p["backend"], p["fast"]][p["mine"]], found["torch", None][p["peer"]]
        errors = [r["error"][-300:] for r in ours + peer if "error" in r]
        if errors:
            print(f"{config:11s} {cell:5s} {label:27s} {packing:9s} error: {errors[0]}")
            rows.append({"config": config, "cell": cell, "backend": p["backend"], "fast_kernels": p["fast"],
                         "peer": packing, "precision": precision, "errors": errors})
            continue
        row = {"config": config, "cell": cell, "backend": ours[0]["backend"], "fast_kernels": p["fast"],
               "cudnn_allowed": p["cudnn"], "device": "gpu" if args.gpu else "cpu", "peer": packing,
               "precision": precision, "repeats": args.repeats, "fast_kernel_layers": ours[0]["fast_kernel_layers"],
               "train_xla": bool(ours[0].get("train_xla"))}
        # predict: Keras' model.predict vs PyTorch's forward over the same batches, its outputs gathered into one
        # NumPy array as predict returns them (the word config's logits are 131 MB a batch)
        for key in ("train", "infer", "predict"):
            mine = [tokens / r[f"{key}_s_per_batch"] for r in ours]
            theirs = [tokens / r[f"{key}_s_per_batch"] for r in peer]
            row[f"{key}_runs_tokens_per_s_rnnzoo"] = mine
            row[f"{key}_runs_tokens_per_s_torch"] = theirs
            row[f"{key}_tokens_per_s_rnnzoo"], _ = median_range(mine)
            row[f"{key}_tokens_per_s_torch"], _ = median_range(theirs)
            # the ratio of each turn (ours and the peer measured back to back), then its median
            row[f"{key}_ratio"], row[f"{key}_ratio_range"] = median_range([a / b for a, b in zip(mine, theirs)])
        row["train_fraction_of_peak"] = 3 * flops_per_token(cfg, cell) * row["train_tokens_per_s_rnnzoo"] / peak
        rows.append(row)
        tr, ir = row["train_ratio_range"], row["infer_ratio_range"]
        shown = label if precision == "float32" else f"{label} {precision}"
        print(f"{config:11s} {cell:5s} {shown:27s} {packing:9s} {row['train_tokens_per_s_rnnzoo']:11,.0f} "
              f"{row['train_tokens_per_s_torch']:8,.0f} {row['train_ratio']:6.2f} [{tr[0]:.2f}-{tr[1]:.2f}]"
              f"   {row['infer_tokens_per_s_rnnzoo']:11,.0f} {row['infer_tokens_per_s_torch']:8,.0f} "
              f"{row['infer_ratio']:6.2f} [{ir[0]:.2f}-{ir[1]:.2f}]  {row['train_fraction_of_peak']:6.1%}", flush=True)
    generation = {}
    for cell in gen_cells:
        side = (os.environ.get("KERAS_BACKEND", "tensorflow"), True)
        runs = {"rnnzoo": found[side][("generate", cell)], "torch": found["torch", None][("generate", cell)]}
        if any("error" in r for rs in runs.values() for r in rs):
            generation[cell] = {"errors": [r["error"][-300:] for rs in runs.values() for r in rs if "error" in r]}
            continue
        res = {fw: {"runs_tokens_per_s": [r["tokens_per_s"] for r in rs]} for fw, rs in runs.items()}
        for fw in res:
            res[fw]["tokens_per_s"] = median_range(res[fw]["runs_tokens_per_s"])[0]
            res[fw]["us_per_token"] = 1e6 / res[fw]["tokens_per_s"]
        res["matvec_limit_us"] = matvec_limit_us(CONFIGS["char"], cell)
        res["ratio"], res["ratio_range"] = median_range(
            [a / b for a, b in zip(res["rnnzoo"]["runs_tokens_per_s"], res["torch"]["runs_tokens_per_s"])])
        generation[cell] = res
        print(f"batch-1 greedy generation, char {cell}: rnnzoo {res['rnnzoo']['tokens_per_s']:,.0f} tok/s, "
              f"PyTorch eager {res['torch']['tokens_per_s']:,.0f} tok/s, ratio {res['ratio']:.2f} "
              f"[{res['ratio_range'][0]:.2f}-{res['ratio_range'][1]:.2f}]; {res['rnnzoo']['us_per_token']:.1f} µs/token "
              f"(matrix-vector limit of one step {res['matvec_limit_us']:.1f} µs)")
    elapsed = time.perf_counter() - started
    report = {"matmul_peak_flops": peak, "matmul_peaks_gflops": peaks, "threads": threads, "results": rows,
              "generation": generation, "config": vars(args), "measure_seconds": round(elapsed, 1),
              "timing": timing,
              **provenance("speed.py", argv)}
    write_json(report, args.out)
    print("\n" + markdown(report))
    return report


if __name__ == "__main__":
    main()
