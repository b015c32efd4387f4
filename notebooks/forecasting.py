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
# # Forecasting real series with recurrent nets
#
# Many-to-one and many-to-many forecasters on two real series that install with statsmodels: yearly sunspot
# numbers (1700–2008) and weekly Mauna Loa CO2 (1958–2001, with 59 missing weeks). Every forecast is judged against
# the **seasonal-naive** forecast (repeat the value one season ago) with walk-forward evaluation on the last years,
# which the model never saw, and with MASE (Hyndman & Koehler 2006): MAE divided by the in-sample one-step
# seasonal-naive error. MASE < 1 beats that yardstick.

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 3 minutes on 2 CPU cores; no GPU needed.
# - **Needs:** the `statsmodels` data sets (a dependency); nothing is downloaded.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs

# %% [markdown]
# ## The data, and what happens with gaps
#
# The CO2 series has missing weeks. Models refuse NaN with the rows that hold them; `load("co2")` interpolates
# them in time (pass `fill=None` to see the raw series).

# %%
from rnnzoo.datasets import load
from rnnzoo.tasks.forecasting.forecast import as_series
sunspots, co2 = load("sunspots"), load("co2")
try:
    as_series(load("co2", fill=None), name="raw co2")
except ValueError as error:
    print("refused:", str(error)[:160], "...")
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].plot(sunspots.times, sunspots.values[:, 0]); axes[0].set_title("sunspots (yearly)")
axes[1].plot(co2.times, co2.values[:, 0]); axes[1].set_title("CO2 at Mauna Loa (weekly, ppm)")
plt.tight_layout(); plt.show()

# %% [markdown]
# ## Sunspots: one year ahead
#
# The solar cycle is about 11 years, so the seasonal-naive forecast repeats the value 11 years back. The
# forecaster sees the last 22 years; the last 40 years (1969–2008) are the test period, the 40 before them
# the validation period for early stopping. Scaling statistics come from the training years only.

# %%
epochs = 40 if QUICK else 300
one_step = rnnzoo.train("gru_forecaster", sunspots, input_length=22, horizon=1, season=11, test_size=40,
                          validation_size=40, units=32 if QUICK else 64, learning_rate=3e-3, epochs=epochs)
m = one_step.metrics
print(f"MASE {m['mase']:.3f} (seasonal naive {m['seasonal_naive_mase']:.3f}); "
      f"MAE {m['mae']:.1f} vs seasonal-naive MAE {m['seasonal_naive_mae']:.1f} on {m['forecasts']} held-out years")
from rnnzoo.plots import plot_forecast
plot_forecast(one_step, step=1); plt.show()

# %% [markdown]
# ## Eleven years ahead: many-to-one vs many-to-many
#
# A direct forecaster predicts all 11 values from its last state. The many-to-many forecaster predicts the next
# 11 values from *every* step of the window, so each window gives 22 training targets instead of one; its
# forecast is the last step's. Errors grow with the horizon; the benchmark (`benchmarks/forecasting.py`) has the
# per-horizon figures for three seeds.

# %%
runs = {}
for name in ["gru_forecaster", "lstm_seq_forecaster"]:
    runs[name] = rnnzoo.train(name, sunspots, input_length=22, horizon=11, season=11, test_size=40,
                                validation_size=40, units=32 if QUICK else 64, learning_rate=3e-3, epochs=epochs)
    print(f"{name:20s} MASE {runs[name].metrics['mase']:.3f}  vs naive {runs[name].metrics['mae_vs_seasonal_naive']:.3f}")
for name, run in runs.items():
    plt.plot(range(1, 12), run.metrics["mae_per_horizon"], marker="o", label=name)
plt.plot(range(1, 12), np.mean(np.abs(run.actual - run.naive), axis=0), linestyle="--", label="seasonal naive")
plt.xlabel("years ahead"); plt.ylabel("MAE (sunspot number)"); plt.legend(); plt.show()

# %% [markdown]
# ## CO2: a trend the training years never reached
#
# CO2 keeps rising, so test-period levels lie outside the training range. `relative=True` models each window
# relative to its last value (the forecaster predicts the change), which removes the level; the season is
# 52 weeks and the horizon a whole year.

# %%
co2_run = rnnzoo.train("lstm_forecaster", co2, input_length=104, horizon=52, season=52, test_size=5 * 52,
                         validation_size=3 * 52, relative=True, units=32 if QUICK else 64, learning_rate=3e-3,
                         epochs=8 if QUICK else 200, batch_size=64)
m = co2_run.metrics
print(f"MASE {m['mase']:.3f}; MAE {m['mae']:.2f} ppm vs seasonal naive {m['seasonal_naive_mae']:.2f} ppm "
      f"({m['test_from'][:10]} – {m['test_to'][:10]})")
plot_forecast(co2_run, step=26, context=300); plt.show()

# %% [markdown]
# ## Use and ship a forecaster
#
# Scaling and window settings travel in the model, so a saved forecaster turns raw rows into forecasts, and
# it exports to TFLite like every other rnnzoo model.

# %%
import tempfile
from rnnzoo.tasks.forecasting.forecast import Forecaster
from rnnzoo.saving import save
from rnnzoo.export import export, TFLiteModel
work = tempfile.mkdtemp()
save(one_step.forecaster.model, os.path.join(work, "sunspots", "model.keras"))
forecaster = Forecaster(os.path.join(work, "sunspots"))
print("next year after 2008:", forecaster.forecast(sunspots.values).round(1))
info = export(forecaster.model, os.path.join(work, "sunspots_export"), saved_model=False, sequence_length=22)
lite = TFLiteModel(os.path.join(work, "sunspots_export", "model.tflite"))
window, _ = forecaster.inputs(sunspots.values[None, -22:])
print("TFLite:", lite(**{forecaster.model.inputs[0].name: window})["output"].ravel(),
      "Keras:", forecaster.model.predict(window, verbose=0).ravel())

# %% [markdown]
# The exported file gives Keras' forecast to float precision (the last two numbers).
