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
# # Why gates: the recurrent-net fundamentals, executable
#
# The vanilla RNN of the classic tutorials: s_t = tanh(U x_t + W s_{t−1}), o_t = softmax(V s_t), with U, V, W
# shared across steps, trained with L = −1/N Σ y_n log o_n by backpropagation through time (BPTT). This notebook
# checks each claim: the NumPy equations equal the Keras layers, BPTT equals the numerical gradient, gradients
# reaching early steps shrink, and gated cells (LSTM, GRU) learn the long dependency of the adding problem where
# the tanh RNN cannot.

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 1 minute on 2 CPU cores; no GPU needed.
# - **Needs:** nothing beyond the package: the adding problem is generated in code; the table reads `benchmarks/results/adding_problem.json`, which a clone of the repository has.

# %%
import os, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib.pyplot as plt
import numpy as np
import keras
import rnnzoo
from rnnzoo import reference
from rnnzoo.datasets import adding_problem
from rnnzoo.diagnostics import GradientNormLogger, hidden_state_gradients

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()

# %% [markdown]
# ## The equations next to the Keras cells
#
# LSTM: i, f, o = σ(x_t U + h_{t−1} W + b) per gate, g = tanh(…), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
# GRU: z, r = σ(…), ĥ = tanh(x_t U_h + r ⊙ (h_{t−1} W_h + b'_h) + b_h) (Keras/cuDNN `reset_after=True`; the classic
# form puts r before W_h), h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ. `rnnzoo.reference` writes each in NumPy and reads
# the weights of a Keras layer.

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 12, 5)).astype("float32")
for layer in [keras.layers.SimpleRNN(8, return_sequences=True), keras.layers.LSTM(8, return_sequences=True),
              keras.layers.GRU(8, return_sequences=True), keras.layers.GRU(8, return_sequences=True, reset_after=False)]:
    keras_out = keras.ops.convert_to_numpy(layer(x))
    numpy_out, _ = reference.forward(layer, x)
    print(f"{type(layer).__name__:10s} reset_after={getattr(layer, 'reset_after', '-')!s:5s} "
          f"max |NumPy − Keras| = {np.abs(numpy_out - keras_out).max():.2e}")

# %% [markdown]
# ## BPTT by hand, checked numerically
#
# The vanilla RNN language model (vocabulary 8, hidden 6 here; the tutorials use 8000 and 100): the NumPy backward
# pass walks the steps in reverse; central differences must agree.

# %%
V, H = 8, 6
U, W, Vout = rng.normal(0, 0.5, (V, H)), rng.normal(0, 0.5, (H, H)), rng.normal(0, 0.5, (H, V))
inputs, targets = rng.integers(0, V, (3, 7)), rng.integers(0, V, (3, 7))
loss, grads = reference.rnn_lm_loss_and_gradients(U, W, Vout, inputs, targets)
for name, param in [("kernel", U), ("recurrent_kernel", W), ("output_kernel", Vout)]:
    numeric = reference.numerical_gradient(lambda: reference.rnn_lm_loss_and_gradients(U, W, Vout, inputs, targets)[0], param)
    rel = np.abs(numeric - grads[name]).max() / np.abs(numeric).max()
    print(f"{name:17s} relative error {rel:.1e}")

# %% [markdown]
# ## Vanishing gradients, measured
#
# ∂L_T/∂h_t = ∂L_T/∂h_T Π_{j>t} ∂h_j/∂h_{j−1}. `hidden_state_gradients` unrolls a model's recurrent layer and
# measures ‖∂L_T/∂h_t‖ at every step. We compare the cells on the adding problem at T = 100, at initialisation and
# after a short training run (4 epochs of 10,000 sequences), and print how much of the gradient reaches t = 1.
#
# Read the right panel with the test MSE printed under it: a model whose MSE is still near 0.167 (the error of
# always answering 1) has not learned the long dependency yet, and its curve shows how its early steps are wired,
# not a path it uses. For the LSTM, the long path runs through the cell state c_t = f ⊙ c_{t−1} + i ⊙ g, which the
# hidden-state gradient does not see.

# %%
T = 50 if QUICK else 100
x_train, y_train = adding_problem(2000 if QUICK else 10000, T, seed=0)
x_probe, y_probe = adding_problem(64, T, seed=5)
curves, trained = {}, {}
for name in ["rnn_regressor", "lstm_regressor", "gru_regressor"]:
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(name, num_features=2, units=32 if QUICK else 64)
    rnnzoo.compile_model(model, learning_rate=1e-3)
    curves[(name, "initial")] = hidden_state_gradients(model, x_probe, y_probe)
    model.fit(x_train, y_train, batch_size=50, epochs=1 if QUICK else 4, verbose=0)
    curves[(name, "trained")] = hidden_state_gradients(model, x_probe, y_probe)
    trained[name] = float(model.evaluate(*adding_problem(1000, T, seed=7), verbose=0)[0])
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for ax, stage in zip(axes, ["initial", "trained"]):
    for name in ["rnn_regressor", "lstm_regressor", "gru_regressor"]:
        norms = curves[(name, stage)]
        ax.semilogy(range(1, T + 1), norms / norms[-1], label=name.split("_")[0])
    ax.set_title(f"{stage}: ‖∂L_T/∂h_t‖ relative to t = T"); ax.set_xlabel("time step t"); ax.legend()
plt.tight_layout(); plt.show()
print("test MSE after the short run (baseline 0.167):", {k: round(v, 4) for k, v in trained.items()})
for stage in ("initial", "trained"):
    reach = {name.split("_")[0]: curves[(name, stage)][0] / curves[(name, stage)][-1] for name in trained}
    print(f"{stage:8s} ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖:", {k: f"{v:.1e}" for k, v in reach.items()},
          "| most reaches t = 1:", max(reach, key=reach.get))

# %% [markdown]
# ## The adding problem table
#
# `benchmarks/adding_problem.py` trains each variant for a fixed time budget at length T (here its committed
# results when present; quick mode runs a short T). 'Solved' means test MSE < 0.01.

# %%
path = os.path.join(ROOT, "benchmarks", "results", "adding_problem.json")
import sys
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
if QUICK or not os.path.exists(path):
    from adding_problem import run
    results = [run(v, 20, 0.2, units=16, train_size=2000) for v in ["rnn_tanh_orthogonal", "lstm"]]
else:
    results = json.load(open(path))["results"]
print(f"{'T':>4} {'variant':22s} {'clip':>5} {'test MSE':>9} {'epochs':>6} {'clipped':>8}")
for r in results:
    mse = "diverged" if r["test_mse"] is None else f"{r['test_mse']:.4f}"
    print(f"{r['length']:4d} {r['variant']:22s} {str(r['clipnorm']):>5} {mse:>9} {r['epochs']:6d} {r['clip_fraction'] or 0:8.0%}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for r in results:
    if r["val_mse_curve"]:
        ax.semilogy(range(1, len(r["val_mse_curve"]) + 1), r["val_mse_curve"], marker=".",
                    label=f"{r['variant']} T={r['length']} clip={r['clipnorm']}")
ax.axhline(1 / 6, color="gray", linestyle=":", label="baseline 0.167"); ax.set_xlabel("epoch"); ax.set_ylabel("validation MSE")
ax.legend(fontsize=7); plt.tight_layout(); plt.show()

# %% [markdown]
# ## Clipping: how often it fires
#
# Exploding gradients are the other face of the same product of Jacobians. `GradientNormLogger` records every
# batch's gradient norm and whether `clipnorm` changed it; the IRNN (ReLU, identity start) is the usual victim.

# %%
x_small, y_small = adding_problem(1000 if QUICK else 5000, T, seed=1)
for clipnorm in (1.0, None):
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("irnn_regressor", num_features=2, units=32)
    rnnzoo.compile_model(model, learning_rate=1e-4, clipnorm=clipnorm)
    logger = GradientNormLogger()
    model.fit(x_small, y_small, batch_size=50, epochs=1, verbose=0, callbacks=[logger])
    print(f"clipnorm={clipnorm}: median gradient norm {np.median(logger.norms):.2f}, max {logger.norms.max():.1f}, "
          f"clipping fired on {logger.clipped.mean():.0%} of {len(logger.norms)} batches")

# %% [markdown]
# The IRNN's gradient norms are in the hundreds on a typical batch (the medians above). With `clipnorm=1.0` every
# batch is clipped; without it none is, and those raw steps go into the weights.
