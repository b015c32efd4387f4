"""Where the time of one LSTM layer goes on a CPU: TensorFlow (graph, XLA, XLA's oneDNN and XNNPACK paths) vs
PyTorch's fused oneDNN LSTM, same shapes.

The character config of benchmarks/speed.py (batch 64, length 100, 64 inputs, 256 units), one layer. For each
framework, in its own process:

- the 100 per-step recurrent multiplies alone ((64×256)·(256×1024) forward, (64×1024)·(1024×256) backward),
  issued one op per step (TF graph mode, PyTorch eager) and, on TensorFlow, inside one XLA loop; and the input
  projection of all 6,400 steps as one (6400×64)·(64×1024) multiply, which a layer does before its loop;
- the layer's forward pass for inference: rnnzoo's TensorFlow kernel in graph mode and under XLA (what
  `rnnzoo.inference.compiled_call` runs), TensorFlow's own fused `BlockLSTMV2` op, and PyTorch's `torch.lstm`
  under `no_grad` (oneDNN's fused LSTM primitive: packed weights, the gates' element-wise work inside it);
- the layer's forward + backward (a training step without the optimizer), in float32 and mixed bfloat16
  (Keras' `mixed_bfloat16` policy; PyTorch's `torch.autocast`), on TensorFlow in graph mode and under XLA.

XLA's CPU compiler has flags that route its dots through oneDNN or XNNPACK instead of its own Eigen kernels; they
are process-wide (read once from `XLA_FLAGS`), so the TensorFlow worker runs once per `--xla-flags` entry (the
flagged runs measure only the XLA rows). Every worker runs once per turn, `--turns` turns in sequence; a figure is
the median over turns of each turn's median of `--repeats` timed calls (after two untimed ones), with its range
over turns, in milliseconds. It shows what bounds the TensorFlow LSTM here, before and after XLA.

    python benchmarks/lstm_anatomy.py                       # → results/lstm_anatomy.json (about 6 min)
    python benchmarks/lstm_anatomy.py --turns 1 --repeats 2 --xla-flags='' --out ''   # a smoke run, nothing written
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import median_range, provenance, write_json  # noqa: E402

B, T, F, N = 64, 100, 64, 256
STEP_FLOPS = 2 * B * N * 4 * N  # one step's recurrent multiply
DEFAULT_FLAGS = ("", "--xla_cpu_experimental_onednn_custom_call=true", "--xla_cpu_use_xnnpack=true")


def _timed(fn, repeats, warmup=2):
    """Median and [min, max] seconds of `repeats` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    median, spread = median_range(times)
    return {"s": median, "range_s": spread}


def _in_ms(entry):
    """A timing with its milliseconds beside its seconds (the tables show milliseconds)."""
    return {**entry, "ms": entry["s"] * 1e3, "range_ms": [v * 1e3 for v in entry["range_s"]]}


def worker_tensorflow(repeats, xla_only):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    import rnnzoo
    from rnnzoo import config

    rng = np.random.default_rng(0)
    u = tf.constant(rng.normal(0, 0.05, (N, 4 * N)).astype("float32"))
    ut = tf.transpose(u)
    h = tf.constant(rng.normal(size=(B, N)).astype("float32"))
    d = tf.constant(rng.normal(size=(B, 4 * N)).astype("float32"))
    x = tf.constant(rng.normal(size=(B, T, F)).astype("float32"))
    dy = tf.constant(rng.normal(size=(B, T, N)).astype("float32"))

    def forward_multiplies(h):
        return tf.while_loop(lambda t, h: t < T, lambda t, h: (t + 1, tf.matmul(h, u)[:, :N]), (0, h))[1]

    w_in = tf.constant(rng.normal(0, 0.1, (F, 4 * N)).astype("float32"))

    def input_projection(x):  # every step's x W at once, before the loop
        return tf.matmul(tf.reshape(x, [B * T, F]), w_in)

    def backward_multiplies(d):
        return tf.while_loop(lambda t, d: t < T, lambda t, d: (t + 1, tf.tile(tf.matmul(d, ut), [1, 4])), (0, d))[1]

    def make_layer(dtype):
        layer = rnnzoo.layers.recurrent_layer("lstm", N, return_sequences=True, dtype=dtype)
        layer.build(x.shape)
        return layer

    layer, layer_bf16 = make_layer("float32"), make_layer("mixed_bfloat16")
    layer_bf16.set_weights(layer.get_weights())

    def step_of(layer):
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.cast(layer(x, training=True), "float32") * dy)
            return tape.gradient(loss, [x] + layer.trainable_variables)
        return step

    def forward(x):
        return layer(x, training=False)

    def timed(fn, *args):  # every output brought back, as a caller would
        return _timed(lambda: [keras.ops.convert_to_numpy(v) for v in tf.nest.flatten(fn(*args))], repeats)

    reference = forward(x).numpy()
    result = {}
    for jit, suffix in ((False, ""), (True, "_xla")):
        if xla_only and not jit:
            continue
        compiled_forward = tf.function(forward, jit_compile=jit)
        result["forward_multiplies" + suffix] = timed(tf.function(forward_multiplies, jit_compile=jit), h)
        result["input_projection" + suffix] = timed(tf.function(input_projection, jit_compile=jit), x)
        result["layer_forward" + suffix] = timed(compiled_forward, x)
        result["layer_step" + suffix] = timed(tf.function(step_of(layer), jit_compile=jit), x)
        result["layer_step_bf16" + suffix] = timed(tf.function(step_of(layer_bf16), jit_compile=jit), x)
        if jit:  # the XLA forward must give what the graph forward gives (it is the same layer)
            result["layer_forward_xla_max_abs_diff"] = float(np.max(np.abs(compiled_forward(x).numpy() - reference)))
    if xla_only:
        return result

    kernel, recurrent, bias = layer.get_weights()
    w = tf.constant(np.concatenate([kernel, recurrent], 0))  # BlockLSTMV2 takes Keras' gate order (i, f, c, o)
    zeros = tf.zeros((B, N))

    @tf.function
    def block_forward(x):
        return tf.raw_ops.BlockLSTMV2(seq_len_max=tf.constant(T, tf.int64), x=tf.transpose(x, [1, 0, 2]),
                                      cs_prev=zeros, h_prev=zeros, w=w, wci=tf.zeros((N,)), wcf=tf.zeros((N,)),
                                      wco=tf.zeros((N,)), b=tf.constant(bias), cell_clip=-1.0, use_peephole=False)[6]

    result["block_lstm_forward"] = timed(block_forward, x)
    result["block_lstm_max_abs_diff"] = float(np.max(np.abs(
        np.transpose(block_forward(x).numpy(), [1, 0, 2]) - reference)))
    result["backward_multiplies"] = timed(tf.function(backward_multiplies), d)
    config.set(fast_kernels=False)  # a new trace runs Keras' own loop
    result["layer_step_keras_loop"] = timed(tf.function(step_of(layer)), x)
    return result


def worker_torch(repeats):
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
    w_in = torch.randn(F, 4 * N) * 0.1

    def input_projection():
        x.reshape(B * T, F) @ w_in
    dy = torch.randn(B, T, N)

    def layer_step():
        (lstm(x)[0].float() * dy).sum().backward()

    def layer_step_bf16():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = lstm(x)[0]
        (out.float() * dy).sum().backward()

    def layer_forward():
        with torch.no_grad():
            lstm(x)

    with torch.no_grad():
        result = {"forward_multiplies": _timed(forward_multiplies, repeats),
                  "backward_multiplies": _timed(backward_multiplies, repeats),
                  "input_projection": _timed(input_projection, repeats)}
    result["layer_forward"] = _timed(layer_forward, repeats)
    result["layer_step"] = _timed(layer_step, repeats)
    result["layer_step_bf16"] = _timed(layer_step_bf16, repeats)
    result["threads"] = torch.get_num_threads()
    return result


def _worker(framework, repeats, flags=None, xla_only=False):
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    if flags is not None:
        env["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS", ""), flags]))
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--repeats", str(repeats)]
    proc = subprocess.run(command + (["--xla-only"] if xla_only else []), capture_output=True, text=True,
                          timeout=900, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{framework} worker (XLA_FLAGS={flags!r}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def _over_turns(runs):
    """One worker's turns as one result: each timing the median of the turns' medians, its range over the turns;
    the largest of each output difference."""
    merged = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            median, spread = median_range([run[key]["s"] for run in runs])
            merged[key] = _in_ms({"s": median, "range_s": spread, "turns_s": [run[key]["s"] for run in runs]})
        elif key.endswith("_diff"):
            merged[key] = max(run[key] for run in runs)
        else:
            merged[key] = value
    return merged


def _ms(entry):
    return f"{entry['s'] * 1e3:.1f} [{entry['range_s'][0] * 1e3:.1f}–{entry['range_s'][1] * 1e3:.1f}]"


def markdown(report):
    """The table of a results file: rows as measured, TensorFlow's default XLA flags, then each flagged run."""
    tf_, pt, flagged = report["tensorflow"], report["torch"], report.get("tensorflow_xla_flags", {})
    names = [f for f in flagged]
    head = ["what", "TensorFlow graph", "TensorFlow XLA"] + [f"XLA {f}" for f in names] + ["PyTorch"]
    rows = [("100 recurrent multiplies, forward", "forward_multiplies"),
            ("input projection (6400×64)·(64×1024)", "input_projection"),
            ("layer forward (inference)", "layer_forward"),
            ("layer forward + backward, float32", "layer_step"),
            ("layer forward + backward, mixed bfloat16", "layer_step_bf16")]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for label, key in rows:
        cells = [label, _ms(tf_[key]), _ms(tf_[key + "_xla"])] + [_ms(flagged[f][key + "_xla"]) for f in names]
        lines.append("| " + " | ".join(cells + [_ms(pt[key])]) + " |")
    lines.append(f"| layer forward, TF's fused `BlockLSTMV2` op | {_ms(tf_['block_lstm_forward'])} | | "
                 + "| " * len(names) + "|")
    lines.append(f"| 100 recurrent multiplies, backward | {_ms(tf_['backward_multiplies'])} | | " + "| " * len(names)
                 + f"{_ms(pt['backward_multiplies'])} |")
    lines.append(f"| layer forward + backward, Keras' own loop | {_ms(tf_['layer_step_keras_loop'])} | | "
                 + "| " * len(names) + "|")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--xla-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=7, help="timed calls per measurement and turn (their median)")
    ap.add_argument("--turns", type=int, default=3, help="turns of every worker (median over turns, and range)")
    ap.add_argument("--xla-flags", default=";".join(DEFAULT_FLAGS), metavar="FLAGS;FLAGS;...",
                    help="XLA_FLAGS settings to run the TensorFlow worker under, separated by ';' (pass it as "
                         "--xla-flags='...'): the first ('' = XLA's defaults) measures every row, the others the "
                         "XLA rows")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "lstm_anatomy.json"))
    ap.add_argument("--markdown", metavar="JSON", help="print the table of a results file and exit")
    args = ap.parse_args(argv)
    if args.worker:
        result = (worker_tensorflow(args.repeats, args.xla_only) if args.worker == "tensorflow"
                  else worker_torch(args.repeats))
        print("RESULT " + json.dumps(result))
        return None
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return None
    args.xla_flags = [flags.strip() for flags in args.xla_flags.split(";")]
    for flags in args.xla_flags:
        if flags and not all(flag.startswith("--xla_") for flag in flags.split()):
            raise SystemExit(f"--xla-flags: {flags!r} is not a list of XLA flags (each like --xla_cpu_use_xnnpack=true).")
    report = {"shapes": {"batch": B, "length": T, "inputs": F, "units": N}, "repeats": args.repeats,
              "turns": args.turns,
              **provenance("lstm_anatomy.py", argv)}
    # Every worker once per turn, the turns in sequence, so the host's slow spells hit every column alike.
    turns = {"tensorflow": [], "torch": [], **{flags: [] for flags in args.xla_flags[1:]}}
    for turn in range(args.turns):
        turns["tensorflow"].append(_worker("tensorflow", args.repeats, args.xla_flags[0]))
        for flags in args.xla_flags[1:]:
            turns[flags].append(_worker("tensorflow", args.repeats, flags, xla_only=True))
        turns["torch"].append(_worker("torch", args.repeats))
        print(f"turn {turn + 1} of {args.turns} done", flush=True)
    report["tensorflow"] = _over_turns(turns.pop("tensorflow"))
    report["tensorflow"]["xla_flags"] = args.xla_flags[0]
    report["torch"] = _over_turns(turns.pop("torch"))
    report["tensorflow_xla_flags"] = {flags: _over_turns(runs) for flags, runs in turns.items()}
    tf_, pt = report["tensorflow"], report["torch"]
    report["forward_multiplies_gflops"] = {
        "tensorflow_graph": T * STEP_FLOPS / tf_["forward_multiplies"]["s"] / 1e9,
        "tensorflow_xla": T * STEP_FLOPS / tf_["forward_multiplies_xla"]["s"] / 1e9,
        "torch": T * STEP_FLOPS / pt["forward_multiplies"]["s"] / 1e9}
    def ratio(numerator, denominator):  # median of the per-turn ratios, and their range
        median, spread = median_range([a / b for a, b in zip(numerator["turns_s"], denominator["turns_s"])])
        return {"ratio": median, "range": spread}

    report["ratios_to_torch"] = {  # PyTorch's time ÷ ours: ≥ 1 means as fast as PyTorch or faster
        "layer_forward_xla": ratio(pt["layer_forward"], tf_["layer_forward_xla"]),
        "layer_forward_graph": ratio(pt["layer_forward"], tf_["layer_forward"]),
        "block_lstm_forward": ratio(pt["layer_forward"], tf_["block_lstm_forward"])}
    # The multiplies alone, as XLA runs them, against PyTorch's whole fused forward (element-wise work included).
    both = [a + b for a, b in zip(tf_["forward_multiplies_xla"]["turns_s"], tf_["input_projection_xla"]["turns_s"])]
    median, spread = median_range(both)
    report["xla_multiplies_and_projection"] = _in_ms({"s": median, "range_s": spread, "turns_s": both})
    report["ratios_to_torch"]["xla_multiplies_and_projection"] = ratio(pt["layer_forward"],
                                                                       report["xla_multiplies_and_projection"])
    report["bfloat16_speedup"] = {  # float32 time ÷ bfloat16 time of the layer's forward + backward
        "torch_autocast": ratio(pt["layer_step"], pt["layer_step_bf16"]),
        "tensorflow_graph": ratio(tf_["layer_step"], tf_["layer_step_bf16"]),
        "tensorflow_graph_bf16_vs_xla_float32": ratio(tf_["layer_step_xla"], tf_["layer_step_bf16"]),
        "tensorflow_xla": ratio(tf_["layer_step_xla"], tf_["layer_step_bf16_xla"])}
    table = markdown(report)
    print(f"one LSTM layer, batch {B}, length {T}, {F} inputs, {N} units; ms, median [range] over {args.turns} turns "
          f"(each the median of {args.repeats} calls)")
    print(table)
    show = lambda d: {k: f"{v['ratio']:.2f} [{v['range'][0]:.2f}–{v['range'][1]:.2f}]" for k, v in d.items()}
    print("PyTorch's fused forward time ÷ ours:", show(report["ratios_to_torch"]))
    print(f"XLA's forward multiplies + input projection: {_ms(report['xla_multiplies_and_projection'])} ms; "
          f"PyTorch's whole forward: {_ms(pt['layer_forward'])} ms")
    print("bfloat16 speed-up (float32 ÷ bfloat16 time):", show(report["bfloat16_speedup"]))
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
