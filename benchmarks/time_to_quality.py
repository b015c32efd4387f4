"""Time to quality: wall clock until a 2×256 character LSTM reaches 1.60 validation nats/char on tiny-shakespeare,
rnnzoo against a plain PyTorch script, in float32 and in bfloat16, in the same run.

The recipe is the same on both sides (issue 17): vocabulary of the training text's characters plus a padding id,
embedding 64, two LSTM layers of 256 units each followed by dropout 0.1, a linear output layer; Adam at 2e-3,
gradient clipping to a global norm of 1.0; non-overlapping windows of 100 characters from a random offset each
epoch, shuffled, batch 64, whole batches only; the first 90% of ../shared/data/tinyshakespeare.txt trains and the
last 10% validates. Both sides draw the same windows in the same order (one seeded generator) and evaluate the
validation text every `--eval-every` batches; the clock includes those evaluations on both sides.

Sides: PyTorch (`nn.Embedding → nn.LSTM ×2 → nn.Linear`, bfloat16 by `torch.autocast`), and
`rnnzoo.build("char_lstm_language_model")` trained with `rnnzoo.compile_model` on each backend in --backends
(bfloat16 by `rnnzoo.precision`, mixed with float32 variables). Every run is a fresh process; the sides run in
turns (`--repeats` rounds), so the machine's noise hits all of them, and the report gives the median over the
repeats with the range, and the ratio ours ÷ PyTorch of each round.

    python benchmarks/time_to_quality.py [--repeats 3] [--backends tensorflow,torch] [--precisions float32,bfloat16]
    python benchmarks/time_to_quality.py --markdown benchmarks/results/time_to_quality.json
"""

import argparse
import json
import os
import subprocess
import sys
import time

from char_lm import windows  # the same non-overlapping windows as the reference char LM
from common import median_range, provenance, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TEXT = os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare.txt")
RECIPE = dict(embed=64, units=256, layers=2, dropout=0.1, learning_rate=2e-3, clip=1.0, window=100, batch=64)


def data(path):
    """(train ids, validation ids, vocabulary size): characters of the first 90% (sorted), id 0 is padding."""
    import numpy as np

    text = open(path, encoding="utf-8").read()
    cut = int(len(text) * 0.9)
    chars = sorted(set(text[:cut]))
    index = {c: i + 1 for i, c in enumerate(chars)}
    encode = np.vectorize(lambda c: index.get(c, 0), otypes=["int32"])
    return encode(list(text[:cut])), encode(list(text[cut:])), len(chars) + 1


def batches(train_ids, seed=0):
    """The training batches in order, epoch after epoch, the same for every side: (epoch, x, y)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    epoch = 0
    while True:
        x, y = windows(train_ids, RECIPE["window"], int(rng.integers(0, RECIPE["window"])))
        order = rng.permutation(len(x))
        for k in range(len(x) // RECIPE["batch"]):
            take = order[k * RECIPE["batch"]:(k + 1) * RECIPE["batch"]]
            yield epoch, x[take], y[take]
        epoch += 1


def run(step, evaluate, train_ids, target, eval_every, max_minutes):
    """Trains batch by batch until validation ≤ target (or the time is up); returns the curve and the times."""
    curve, began, train_seconds, tokens = [], time.perf_counter(), 0.0, 0
    reached = None
    for k, (epoch, x, y) in enumerate(batches(train_ids), start=1):
        start = time.perf_counter()
        step(x, y)
        train_seconds += time.perf_counter() - start
        tokens += x.size
        if k % eval_every == 0:
            val = evaluate()
            elapsed = time.perf_counter() - began
            curve.append({"batches": k, "epoch": round(k / (len(train_ids) // (RECIPE["window"] * RECIPE["batch"])), 2),
                          "validation": val, "elapsed_s": round(elapsed, 2), "train_s": round(train_seconds, 2)})
            print(f"  batch {k} (epoch {epoch + 1}): validation {val:.4f} at {elapsed:.0f} s", flush=True)
            if val <= target:
                reached = elapsed
                break
            if elapsed > max_minutes * 60:
                break
    return {"seconds_to_target": reached, "curve": curve, "train_tokens_per_s": tokens / train_seconds,
            "batches": k}


def worker_torch(job, train_ids, val_ids, vocab):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(job.get("threads") or torch.get_num_threads())

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(vocab, RECIPE["embed"])
            self.rnns = torch.nn.ModuleList([torch.nn.LSTM(RECIPE["embed"] if i == 0 else RECIPE["units"],
                                                           RECIPE["units"], batch_first=True)
                                             for i in range(RECIPE["layers"])])
            self.drop = torch.nn.Dropout(RECIPE["dropout"])
            self.out = torch.nn.Linear(RECIPE["units"], vocab)

        def forward(self, x):
            h = self.embed(x)
            for rnn in self.rnns:
                h = self.drop(rnn(h)[0])
            return self.out(h)

    model = CharLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE["learning_rate"])
    bf16 = job["precision"] == "bfloat16"
    xv, yv = (torch.as_tensor(a).long() for a in windows(val_ids, RECIPE["window"], 0))

    def step(x, y):
        model.train()
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(torch.as_tensor(x).long())
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, vocab), torch.as_tensor(y).long().reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), RECIPE["clip"])
        optimizer.step()

    def evaluate():
        model.eval()
        total = 0.0
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for k in range(0, len(xv), 256):
                logits = model(xv[k:k + 256]).float()
                total += torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), yv[k:k + 256].reshape(-1),
                                                           reduction="sum").item()
        return total / yv.numel()

    return {**run(step, evaluate, train_ids, job["target"], job["eval_every"], job["max_minutes"]),
            "threads": torch.get_num_threads()}


def worker_rnnzoo(job, train_ids, val_ids, vocab):
    import keras

    import rnnzoo
    from rnnzoo.precision import training_precision
    from rnnzoo.xla import compiled_with_xla, xla_training

    keras.utils.set_random_seed(0)
    model = rnnzoo.build("char_lstm_language_model", vocabulary_size=vocab, embedding_dim=RECIPE["embed"],
                         units=RECIPE["units"], num_layers=RECIPE["layers"], dropout=RECIPE["dropout"],
                         mask_zero=False, embedding_initializer=job.get("embedding_initializer", "normal"))
    clip = {"clipnorm": None, "global_clipnorm": RECIPE["clip"]}
    if job.get("clip") == "per_variable":  # Keras' clipnorm: each variable's gradient on its own
        clip = {"clipnorm": RECIPE["clip"]}
    rnnzoo.compile_model(model, learning_rate=RECIPE["learning_rate"], **clip, **job.get("compile", {}))
    xv, yv = windows(val_ids, RECIPE["window"], 0)
    xla = xla_training(model, job["precision"])  # as rnnzoo's fitting loop decides (XLA in float32 on a CPU)
    with training_precision(model, job["precision"]), compiled_with_xla(model, xla):
        result = run(lambda x, y: model.train_on_batch(x, y),
                     lambda: float(model.evaluate(xv, yv, batch_size=256, verbose=0, return_dict=True)["loss"]),
                     train_ids, job["target"], job["eval_every"], job["max_minutes"])
    return {**result, "backend": keras.backend.backend(), "xla": xla}


def _run_worker(job):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if job["side"] == "rnnzoo":
        env["KERAS_BACKEND"] = job["backend"]
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(job)],
                          capture_output=True, text=True, timeout=job["max_minutes"] * 60 + 600, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {"error": proc.stderr[-1500:]}
    return json.loads(lines[-1][7:])


def label(job):
    return "PyTorch script" if job["side"] == "torch" else f"rnnzoo on {job['backend']}"


def markdown(report):
    if "ablation" in report:
        lines = [f"{report['date']}, {report['machine']}; validation nats/char after one epoch ({report['batches']} "
                 f"batches, the same on every side), {report['config']['repeats']} runs, median [range]:", "",
                 f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out']).replace('.json', '_ablation.json')} -->",
                 "| variant | validation after one epoch |", "| --- | --- |"]
        lines += [f"| {r['label']} | {r['median']:.3f} [{r['range'][0]:.3f}–{r['range'][1]:.3f}] |"
                  for r in report["ablation"]]
        return "\n".join(lines)
    lines = [f"{report['date']}, {report['machine']}, {report['config']['repeats']} runs per side in turns; wall clock "
             f"(evaluations included) to {report['config']['target']:.2f} validation nats/char, median [range]:", "",
             f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out'])} -->",
             "| precision | side | seconds to target | training tokens/s | ours ÷ PyTorch time |",
             "| --- | --- | --- | --- | --- |"]
    for row in report["rows"]:
        if "errors" in row:
            lines.append(f"| {row['precision']} | {row['label']} | error | | |")
            continue
        lo, hi = row["seconds_range"]
        ratio = "—" if row.get("time_ratio") is None else \
            f"{row['time_ratio']:.2f} [{row['time_ratio_range'][0]:.2f}–{row['time_ratio_range'][1]:.2f}]"
        seconds = "not reached" if row["seconds"] is None else f"{row['seconds']:.0f} [{lo:.0f}–{hi:.0f}]"
        lines.append(f"| {row['precision']} | {row['label']} | {seconds} | {row['tokens_per_s']:,.0f} | {ratio} |")
    quality = report.get("bf16_quality") or {}
    if quality:
        lines += ["", "bfloat16 minus float32 validation nats/char at the same batch count (the last evaluation both "
                  "runs of a round made), median over rounds [range]:", "",
                  f"<!-- claims: benchmarks/results/{os.path.basename(report['config']['out'])} -->",
                  "| side | bf16 − fp32 | at batches |", "| --- | --- | --- |"]
        for side, q in quality.items():
            lines.append(f"| {side} | {q['bf16_minus_fp32']:+.4f} [{q['range'][0]:+.4f} – {q['range'][1]:+.4f}] | "
                         f"{', '.join(str(b) for b in q['at_batches'])} |")
    return "\n".join(lines)


def bf16_quality(rows):
    """Per side: bfloat16's validation minus float32's at the same batch counts (same data order, same seed), for
    each round at the last evaluation both runs made; the median over rounds and the range (issue 17 asks ≤ 0.02)."""
    found = {}
    for row in rows:
        if row["precision"] != "bfloat16" or "errors" in row:
            continue
        ref = next((r for r in rows if r["label"] == row["label"] and r["precision"] == "float32"
                    and "errors" not in r), None)
        if ref is None:
            continue
        diffs, at = [], []
        for low, full in zip(row["runs"], ref["runs"]):
            a = {p["batches"]: p["validation"] for p in low["curve"]}
            b = {p["batches"]: p["validation"] for p in full["curve"]}
            common = sorted(a.keys() & b.keys())
            if common:
                diffs.append(a[common[-1]] - b[common[-1]])
                at.append(common[-1])
        if diffs:
            med, rng = median_range(diffs)
            found[row["label"]] = {"bf16_minus_fp32": med, "range": rng, "at_batches": at, "per_round": diffs}
    return found


ABLATION = [({"side": "torch"}, "PyTorch script"),
            ({"side": "rnnzoo", "embedding_initializer": "uniform", "clip": "per_variable"},
             "rnnzoo, Keras' embedding init (uniform ±0.05), clipnorm per variable (rnnzoo's default before)"),
            ({"side": "rnnzoo", "embedding_initializer": "uniform", "clip": "global"},
             "rnnzoo, Keras' embedding init, global clipping"),
            ({"side": "rnnzoo", "embedding_initializer": "normal", "clip": "per_variable"},
             "rnnzoo, N(0, 1) embedding init, clipnorm per variable (rnnzoo's default now)"),
            ({"side": "rnnzoo", "embedding_initializer": "normal", "clip": "global"},
             "rnnzoo, N(0, 1) embedding init, global clipping (this benchmark's recipe)")]


def ablation(args, meta):
    """Validation nats/char after one epoch (same batches) for each variant of ABLATION, `--repeats` rounds."""
    train_ids, _, _ = data(args.text)
    per_epoch = len(train_ids) // (RECIPE["window"] * RECIPE["batch"])
    common = {"text": os.path.abspath(args.text), "target": 0.0, "eval_every": per_epoch, "max_minutes": 0.0,
              "precision": "float32", "backend": "tensorflow"}
    rows = [{"label": label, "job": job, "validation_after_one_epoch": []} for job, label in ABLATION]
    for _ in range(args.repeats):
        for row in rows:
            result = _run_worker({**common, **row["job"]})
            row["validation_after_one_epoch"].append(result["curve"][-1]["validation"] if "curve" in result
                                                     else None)
            print(f"{row['label']}: {row['validation_after_one_epoch'][-1]}", flush=True)
    for row in rows:
        row["median"], row["range"] = median_range(row["validation_after_one_epoch"])
    report = {"ablation": rows, "batches": per_epoch, "config": {**vars(args), "recipe": RECIPE}, **meta}
    out = args.out.replace(".json", "_ablation.json") if args.out.endswith("time_to_quality.json") else args.out
    write_json(report, out)
    for row in rows:
        print(f"{row['median']:.4f} [{row['range'][0]:.4f}–{row['range'][1]:.4f}]  {row['label']}")
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--target", type=float, default=1.60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="tensorflow,torch", help="Keras backends rnnzoo runs on")
    ap.add_argument("--precisions", default="float32,bfloat16")
    ap.add_argument("--eval-every", type=int, default=52, help="batches between validation passes (an epoch is "
                    "about 156)")
    ap.add_argument("--max-minutes", type=float, default=15.0, help="give up on a run after this long")
    ap.add_argument("--ablation", action="store_true", help="instead: validation after one epoch, PyTorch against "
                    "rnnzoo with Keras' embedding initialiser (uniform ±0.05) or N(0, 1), clipping each variable or "
                    "the global norm (what explained rnnzoo's slower first epochs)")
    ap.add_argument("--markdown", metavar="JSON", help="print the table of a results file and exit")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "time_to_quality.json"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return None
    if args.worker:
        job = json.loads(args.worker)
        train_ids, val_ids, vocab = data(job["text"])
        result = (worker_torch if job["side"] == "torch" else worker_rnnzoo)(job, train_ids, val_ids, vocab)
        print("RESULT " + json.dumps(result), flush=True)
        return result
    if not os.path.exists(args.text):
        sys.exit(f"{args.text} not found: pass --text PATH to tinyshakespeare.txt")
    meta = provenance("time_to_quality.py", argv)
    if args.ablation:
        return ablation(args, meta)
    print(f"{meta['machine']}; recipe {RECIPE}; target {args.target}", flush=True)
    common = {"text": os.path.abspath(args.text), "target": args.target, "eval_every": args.eval_every,
              "max_minutes": args.max_minutes}
    jobs = []
    for precision in args.precisions.split(","):
        jobs.append({**common, "side": "torch", "precision": precision})
        jobs += [{**common, "side": "rnnzoo", "backend": b, "precision": precision} for b in args.backends.split(",")]
    runs = [[] for _ in jobs]
    for round_ in range(args.repeats):
        for k, job in enumerate(jobs):
            print(f"round {round_ + 1}: {label(job)}, {job['precision']}", flush=True)
            runs[k].append(_run_worker(job))
            r = runs[k][-1]
            print(f"  -> {r.get('seconds_to_target')} s, {r.get('train_tokens_per_s', 0):,.0f} tokens/s"
                  if "error" not in r else f"  -> error: {r['error'][-500:]}", flush=True)
    rows = []
    for job, results in zip(jobs, runs):
        row = {"side": job["side"], "backend": job.get("backend"), "precision": job["precision"], "label": label(job),
               "runs": results}
        errors = [r["error"] for r in results if "error" in r]
        if errors:
            rows.append({**row, "errors": errors})
            continue
        seconds = [r["seconds_to_target"] for r in results]
        reached = [s for s in seconds if s is not None]
        row["seconds"], row["seconds_range"] = median_range(reached) if len(reached) == len(seconds) else \
            (None, [min(reached or [0]), max(reached or [0])])
        row["tokens_per_s"] = median_range([r["train_tokens_per_s"] for r in results])[0]
        rows.append(row)
    for row in rows:  # ours ÷ PyTorch per round (the PyTorch row of the same precision), then the median
        peer = next(r for r in rows if r["side"] == "torch" and r["precision"] == row["precision"])
        if row["side"] == "torch" or "errors" in row or "errors" in peer:
            continue
        pairs = [(a["seconds_to_target"], b["seconds_to_target"]) for a, b in zip(row["runs"], peer["runs"])]
        if all(a is not None and b is not None for a, b in pairs):
            row["time_ratio"], row["time_ratio_range"] = median_range([a / b for a, b in pairs])
    report = {"rows": rows, "bf16_quality": bf16_quality(rows), "config": {**vars(args), "recipe": RECIPE}, **meta}
    write_json(report, args.out)
    print("\n" + markdown(report))
    return report


if __name__ == "__main__":
    main()
