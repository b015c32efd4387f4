"""Forecasting real series with recurrent nets vs the seasonal-naive forecast, walk-forward on held-out years.

Sunspots (yearly, 1700–2008; season m = 11 years, the solar cycle) and Mauna Loa CO2 (weekly, 1958–2001,
59 missing weeks interpolated; m = 52 weeks, trend handled by modelling each window relative to its last value).
Each model is trained on the early rows, early-stopped on the next ones and evaluated from every origin in the
held-out final period (no refit). MASE < 1 means better than the in-sample one-step seasonal-naive error;
"vs naive" is the model's MAE divided by the seasonal-naive forecast's MAE on the same points. Not a test
(tests/test_forecasting.py trains a quick version). Example (the figures in benchmarks/RESULTS.md):

    python benchmarks/forecasting.py
"""

import argparse
import os
import time

from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))

# (series, model, horizon, settings)
RUNS = [
    ("sunspots", "lstm_forecaster", 1, {}),
    ("sunspots", "gru_forecaster", 1, {}),
    ("sunspots", "lstm_forecaster", 11, {}),
    ("sunspots", "gru_forecaster", 11, {}),
    ("sunspots", "lstm_seq_forecaster", 11, {}),
    ("co2", "lstm_forecaster", 52, {}),
    ("co2", "gru_forecaster", 52, {}),
]
SERIES = {  # settings shared by every run on a series
    "sunspots": dict(input_length=22, season=11, test_size=40, validation_size=40, units=64, learning_rate=3e-3,
                     patience=60),
    "co2": dict(input_length=104, season=52, test_size=5 * 52, validation_size=3 * 52, relative=True, units=64,
                learning_rate=3e-3, patience=20, batch_size=64),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", default="sunspots,co2")
    ap.add_argument("--minutes", type=float, default=4.0, help="training time budget per run")
    ap.add_argument("--seeds", type=int, default=3, help="runs per configuration (median reported)")
    ap.add_argument("--plot", default=os.path.join(HERE, "results", "forecasting.png"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "forecasting.json"))
    args = ap.parse_args(argv)

    import numpy as np

    import rnnzoo

    rows, best = [], {}
    wanted = args.series.split(",")
    print(f"{'series':9s} {'model':20s} {'h':>3s} {'MASE':>6s} {'naive MASE':>10s} {'vs naive':>8s} "
          f"{'MAE h=1':>8s} {'MAE h=H':>8s}  seeds")
    for series, model, horizon, settings in RUNS:
        if series not in wanted:
            continue
        runs = []
        for seed in range(args.seeds):
            start = time.time()
            r = rnnzoo.train(model, series, horizon=horizon, seed=seed, minutes=args.minutes,
                               **{**SERIES[series], **settings})
            runs.append((r.metrics, time.time() - start, r))
        order = np.argsort([m["mase"] for m, _, _ in runs])
        metrics, seconds, result = runs[order[len(order) // 2]]  # the median run
        row = {"series": series, "model": model, "horizon": horizon, "settings": {**SERIES[series], **settings},
               "median": metrics, "mase_all_seeds": [m["mase"] for m, _, _ in runs],
               "seconds_median_run": round(seconds, 1)}
        rows.append(row)
        if (series, horizon) not in best or metrics["mase"] < best[(series, horizon)][0]:
            best[(series, horizon)] = (metrics["mase"], result, model)
        print(f"{series:9s} {model:20s} {horizon:3d} {metrics['mase']:6.3f} {metrics['seasonal_naive_mase']:10.3f} "
              f"{metrics['mae_vs_seasonal_naive']:8.3f} {metrics['mae_per_horizon'][0]:8.2f} "
              f"{metrics['mae_per_horizon'][-1]:8.2f}  {', '.join(f'{m:.3f}' for m in row['mase_all_seeds'])}",
              flush=True)
    print("\n(MASE < 1: better than the in-sample seasonal-naive error; 'vs naive' < 1: better than the "
          "seasonal-naive forecast on the same held-out points; median of the seeds)")
    if args.plot and best:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from rnnzoo.plots import plot_forecast

        fig, axes = plt.subplots(len(best), 1, figsize=(9, 2.6 * len(best)))
        for ax, ((series, horizon), (_, result, model)) in zip(np.atleast_1d(axes), sorted(best.items())):
            plot_forecast(result, step=horizon, ax=ax)
            ax.set_title(f"{series}: {model}, {horizon}-step-ahead forecasts on held-out data")
        fig.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        fig.savefig(args.plot, dpi=90)
    report = {"results": rows, "config": vars(args), **provenance("forecasting.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
