"""Forecasting with recurrent nets: checked series, windows, scaling, training, walk-forward evaluation, MASE.

A forecaster sees the last `input_length` rows of a (multivariate) series and predicts the next `horizon` values
of one target column. Everything a trained forecaster needs to turn raw rows into forecasts (window length,
horizon, scaling, columns, season) travels in the model's card, so `Forecaster("sunspots_gru")` (any form `TrainedModel.of` takes) works.

Evaluation is walk-forward (rolling origin): the series is split in time into train / validation / test; every
origin in the test period is forecast from the rows before it (the model is not refit), and the errors are
compared with the seasonal-naive forecast ŷ_{t+h} = y_{t+h−m·⌈h/m⌉} on the same points. MASE follows Hyndman &
Koehler (2006): MAE divided by the in-sample MAE of the one-step seasonal-naive forecast on the training rows.

Examples:
>>> result = rnnzoo.train("lstm_forecaster", "sunspots", input_length=30, horizon=1, season=11)  # doctest: +SKIP
>>> result.metrics["mase"], Forecaster(result.trained).forecast(series)  # doctest: +SKIP
"""

import os

import numpy as np

from rnnzoo.card import DataRecord, ModelCard, SplitRecord, fingerprint
from rnnzoo.datasets.files import read_numbers_csv
from rnnzoo.trained import TrainedModel

TASK_NAMES = ("forecaster", "sequence_forecaster")  # the tasks this module serves (`rnnzoo.tasks.forecasting.task`)


def as_series(values, name="series"):
    """Returns `values` as a float32 array (time, features), or raises a ValueError that says what is wrong.

    Accepts a `SeriesData`, a pandas Series/DataFrame, or anything array-like with numbers. NaN or infinite
    values are refused with their positions: fill them first (e.g. `rnnzoo.datasets.load("co2")` interpolates).
    """
    if hasattr(values, "values") and not isinstance(values, np.ndarray):
        values = values.values  # SeriesData, pandas
    array = np.asarray(values)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{name} must hold numbers; got dtype {array.dtype}. Convert the columns to floats first.")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D (time) or 2-D (time, features); got shape {array.shape}.")
    if len(array) == 0:
        raise ValueError(f"{name} is empty; a forecaster needs a series with rows.")
    array = array.astype("float32")
    bad = ~np.isfinite(array)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} has {int(bad.sum())} NaN/infinite values (rows {', '.join(map(str, rows[:5]))}"
            f"{', ...' if len(rows) > 5 else ''}). Fill the gaps first, e.g. pandas `.interpolate()` or "
            "rnnzoo.datasets.load('co2', fill='interpolate'); recurrent nets cannot take NaN."
        )
    return array


def window_origins(start, stop, horizon):
    """Origins t (index of the last observed row) whose targets t+1..t+horizon all lie in rows [start, stop)."""
    return np.arange(max(start - 1, 0), stop - horizon)


def make_windows(values, origins, input_length, horizon, target=0, sequence_output=False):
    """Cuts windows ending at each origin. Returns x (n, input_length, features) and y.

    y is (n, horizon): the target column at t+1..t+horizon; with `sequence_output`, (n, input_length, horizon):
    for every step s of the window, the `horizon` values after s.
    """
    values = np.asarray(values)
    origins = np.asarray(origins, dtype="int64")
    if len(origins) and origins.min() < input_length - 1:
        raise ValueError(f"An origin at row {origins.min()} has fewer than input_length={input_length} rows before "
                         "it; start later or use a shorter window.")
    steps = origins[:, None] - np.arange(input_length - 1, -1, -1)[None, :]  # (n, L) rows of each window
    x = values[steps]
    ahead = np.arange(1, horizon + 1)
    if sequence_output:
        y = values[steps[:, :, None] + ahead[None, None, :], target]
    else:
        y = values[origins[:, None] + ahead[None, :], target]
    return x.astype("float32"), y.astype("float32")


def seasonal_naive(values, origins, horizon, season=1, target=0):
    """The seasonal-naive forecast from each origin: ŷ_{t+h} = y_{t+h−m·⌈h/m⌉} (m = season; m=1 is naive)."""
    values = np.asarray(values)
    column = values[:, target] if values.ndim == 2 else values
    h = np.arange(1, horizon + 1)
    back = h - season * np.ceil(h / season).astype("int64")
    return column[np.asarray(origins)[:, None] + back[None, :]]


def insample_scale(values, season=1, target=0):
    """Mean absolute one-step seasonal-naive error on `values` (the MASE denominator)."""
    column = np.asarray(values)[:, target] if np.asarray(values).ndim == 2 else np.asarray(values)
    if len(column) <= season:
        raise ValueError(f"MASE needs more than season={season} training rows; got {len(column)}.")
    return float(np.mean(np.abs(column[season:] - column[:-season])))


def mase(actual, predicted, scale):
    """Mean absolute scaled error: MAE / `scale` (see `insample_scale`)."""
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))) / scale)


class _Scaling:
    """Scaling of raw windows and targets with the settings a forecaster's card holds."""

    def __init__(self, meta, sequence_output):
        self.input_length = int(meta["input_length"])
        self.horizon = int(meta["horizon"])
        self.target = int(meta.get("target", 0))
        self.mean = np.asarray(meta["mean"], "float32")
        self.std = np.asarray(meta["std"], "float32")
        self.relative = bool(meta.get("relative", False))
        self.sequence_output = bool(sequence_output)
        self.columns = list(meta.get("columns", []))

    def inputs(self, windows):
        """Scaled model inputs for raw windows (n, input_length, features); also returns the offsets added back."""
        scaled = (np.asarray(windows, "float32") - self.mean) / self.std
        offset = scaled[:, -1, self.target].copy() if self.relative else np.zeros(len(scaled), "float32")
        if self.relative:
            scaled = scaled - scaled[:, -1:, :]
        return scaled, offset

    def targets(self, windows, y):
        """Scaled training targets for raw windows and raw targets (as `make_windows` cuts them)."""
        scaled_x = (np.asarray(windows, "float32") - self.mean) / self.std
        y = (np.asarray(y, "float32") - self.mean[self.target]) / self.std[self.target]
        if self.relative:  # relative to the value the prediction is made from
            y = y - (scaled_x[:, :, self.target, None] if self.sequence_output else scaled_x[:, -1, self.target, None])
        return y


class Forecaster(_Scaling):
    """A trained forecaster: turns raw rows into forecasts in the series' units.

    Args:
        model: a trained forecaster whose card holds the scaling and window settings (as `rnnzoo.train` writes
            it), in any form `TrainedModel.of` takes.
    """

    def __init__(self, model):
        trained = TrainedModel.of(model)
        meta = trained.card.settings
        missing = {"input_length", "horizon", "mean", "std"} - set(meta)
        if missing:
            raise ValueError(f"Model {trained.name!r} carries no forecasting settings ({sorted(missing)} missing); "
                             "train it with rnnzoo.train, or pass metadata= when building.")
        super().__init__(meta, trained.task.sequence_output)
        self.trained = trained
        self.model = trained.model
        self.meta = meta

    def predict(self, windows, batch_size=256):
        """Forecasts (n, horizon) in the series' units for raw windows (n, input_length, features)."""
        windows = np.asarray(windows)
        features = len(self.mean)
        if windows.ndim != 3 or windows.shape[1:] != (self.input_length, features):
            raise ValueError(f"Windows must have shape (n, {self.input_length}, {features}); got {windows.shape}.")
        as_series(windows.reshape(-1, features), name="windows")
        x, offset = self.inputs(windows)
        out = np.asarray(self.trained.predict(x, batch_size=batch_size))
        if self.sequence_output:
            out = out[:, -1, :]
        return (out + offset[:, None]) * self.std[self.target] + self.mean[self.target]

    def forecast(self, history):
        """The next `horizon` values after the end of `history` (rows × features, at least input_length rows)."""
        history = as_series(history, name="history")
        if len(history) < self.input_length:
            raise ValueError(f"history has {len(history)} rows; this forecaster needs the last {self.input_length}.")
        return self.predict(history[None, -self.input_length:])[0]

    def walk_forward(self, values, origins):
        """Rolling-origin forecasts (no refit): predictions and actual values, each (len(origins), horizon)."""
        values = as_series(values)
        x, y = make_windows(values, origins, self.input_length, self.horizon, self.target)
        return self.predict(x), y




def evaluate_forecasts(actual, predicted, naive, scale):
    """MAE, RMSE, MASE, MAE relative to the seasonal-naive forecast, and MAE per horizon step."""
    actual, predicted, naive = (np.asarray(a, "float64") for a in (actual, predicted, naive))
    mae = float(np.mean(np.abs(actual - predicted)))
    naive_mae = float(np.mean(np.abs(actual - naive)))
    return {"mae": mae, "rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))), "mase": mae / scale,
            "seasonal_naive_mae": naive_mae, "seasonal_naive_mase": naive_mae / scale,
            "mae_vs_seasonal_naive": mae / naive_mae if naive_mae > 0 else None,
            "mae_per_horizon": [float(v) for v in np.mean(np.abs(actual - predicted), axis=0)],
            "forecasts": int(actual.shape[0])}


def evaluate_saved_forecaster(trained, data):
    """`rnnzoo evaluate` for a forecaster: walk-forward MAE/MASE against the seasonal-naive forecast.

    On the series the model was trained on (same fingerprint) only the held-out test period recorded in the card is
    forecast, with the training rows' scale, as at the end of training; another series (an embedded name, a CSV file,
    an array) is forecast from its row `input_length` on, scaled by its own in-sample error. A series with the
    training source's name but other values is refused."""
    from rnnzoo.datasets import load as load_data

    forecaster = Forecaster(trained)
    card = trained.card
    settings = card.settings
    name = data if isinstance(data, str) else getattr(data, "name", "series")
    if isinstance(data, str):
        data = load_data(data) if not os.path.isfile(data) else read_numbers_csv(data, forecaster.columns)
    values = as_series(getattr(data, "values", data), name=name)
    if values.shape[1] != len(forecaster.mean):
        raise ValueError(f"{name!r} has {values.shape[1]} columns; this forecaster reads {len(forecaster.mean)} "
                         f"({', '.join(forecaster.columns)}).")
    n, season, target = len(values), int(settings.get("season", 1)), forecaster.target
    recorded, rule = card.data, card.split
    mine = fingerprint(np.asarray(values, "float64"))
    if recorded is not None and recorded.fingerprint == mine and rule is not None and rule.method == "time":
        test_start, train_rows = n - int(rule.counts["test"]), int(rule.counts["train"])
        if rule.held_out_fingerprint and fingerprint(np.asarray(values[test_start:], "float64")) != \
                rule.held_out_fingerprint:
            raise ValueError(f"The last {n - test_start} rows of {name!r} are not the held-out period the card records.")
        origins, scale_rows = window_origins(test_start, n, forecaster.horizon), values[:train_rows]
        described = (f"held-out test period of {name}: its last {n - test_start} rows (the model trained on the "
                     f"first {train_rows})")
    elif recorded is not None and recorded.source == name:
        raise ValueError(f"{name!r} is the name of this model's training series, but its values differ from those it "
                         "was trained on, so the held-out period cannot be rebuilt. Evaluate on the original series "
                         "or on a CSV file of new rows.")
    else:
        origins, scale_rows = window_origins(forecaster.input_length, n, forecaster.horizon), values
        described = f"all of {name} ({n} rows): not this model's training series"
    if len(origins) == 0:
        raise ValueError(f"{name!r} has {n} rows: too few for a window of {forecaster.input_length} rows and "
                         f"{forecaster.horizon} steps ahead.")
    predictions, actual = forecaster.walk_forward(values, origins)
    naive = seasonal_naive(values, origins, forecaster.horizon, season, target)
    metrics = evaluate_forecasts(actual, predictions, naive, insample_scale(scale_rows, season, target))
    return {"evaluated_on": described, "examples": int(len(origins)), **metrics}


OPTIONS = {"input_length": 24, "horizon": 1, "target": 0, "test_size": 0.15, "validation_size": 0.1, "season": 1,
           "relative": False}
"""A forecaster's training options (`rnnzoo.train(..., input_length=22, season=11)`):

    input_length: int. Rows the model sees before each forecast.
    horizon: int. Values predicted from each origin.
    target: int. Column that is forecast; the other columns are covariates.
    test_size, validation_size: float (fraction of rows) or int (rows): the last rows are the test period, the
        rows before them the validation period. Scaling statistics come from the training rows only.
    season: int. Seasonal period m of the naive baseline and of MASE (11 for yearly sunspots, 52 for weekly CO2,
        1 for the plain naive forecast).
    relative: bool. Model each window relative to its last value (for series with a trend, like CO2, whose future
        levels lie outside the training range).
"""


def read_series(series):
    """(name, values (rows × features), times, columns) of an embedded series name, a CSV file, a `SeriesData` or
    an array."""
    name, times, columns = "series", None, None
    if isinstance(series, str):
        from rnnzoo.datasets import load

        if os.path.isfile(series):
            name, series = os.path.basename(series), read_numbers_csv(series)
        else:
            series = load(series)
    if hasattr(series, "times"):
        name, times, columns = series.name, np.asarray(series.times), list(series.columns)
    values = as_series(series, name=name)
    return name, values, np.arange(len(values)) if times is None else times, columns


def prepare(spec, series, config, validation_data=None, test_data=None):
    """The `Plan` of a forecaster (`rnnzoo.train`): the series split in time (train | validation | test, the last
    rows held out), scaled by the training rows, cut into windows; evaluated walk-forward on the test period
    against the seasonal-naive forecast."""
    from rnnzoo.fitting import Plan

    if validation_data is not None or test_data is not None:
        raise ValueError("A forecaster holds out the end of its series (test_size, validation_size); pass one series "
                         "as data, not validation_data or test_data.")
    option = config.task.get
    input_length, horizon, target, season = (int(option(k)) for k in ("input_length", "horizon", "target", "season"))
    relative = bool(option("relative"))
    name, values, times, columns = read_series(series)
    n, features = values.shape
    columns = columns or [f"x{i}" for i in range(features)]
    if not 0 <= target < features:
        raise ValueError(f"target={target} is not a column of a series with {features} features.")
    rows = [int(round(s * n)) if isinstance(s, float) else int(s) for s in (option("test_size"),
                                                                           option("validation_size"))]
    test_start, val_start = n - rows[0], n - rows[0] - rows[1]
    if val_start - input_length - horizon < 10:
        raise ValueError(f"{n} rows leave too few training windows for input_length={input_length}, "
                         f"horizon={horizon}; use a shorter window or smaller test/validation periods.")
    train_origins = window_origins(input_length, val_start, horizon)  # the first has a full window behind it
    val_origins = window_origins(val_start, test_start, horizon)
    test_origins = window_origins(test_start, n, horizon)
    if len(val_origins) == 0 or len(test_origins) == 0:
        raise ValueError(f"The validation and test periods need more than horizon={horizon} rows each.")

    mean, std = values[:val_start].mean(axis=0), values[:val_start].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    split = {"train_rows": int(val_start), "validation_rows": int(test_start - val_start),
             "test_rows": int(n - test_start), "test_from": str(times[test_start]), "test_to": str(times[-1])}
    settings = {"input_length": input_length, "horizon": horizon, "target": target, "mean": mean.tolist(),
                "std": std.tolist(), "relative": relative, "season": season, "columns": columns}
    card = ModelCard(model=spec.name, task=spec.task, settings=settings,
                     data=DataRecord(source=name, fingerprint=fingerprint(np.asarray(values, "float64")), examples=n),
                     split=SplitRecord(method="time", counts={"train": int(val_start),
                                                              "validation": int(test_start - val_start),
                                                              "test": int(n - test_start)},
                                       fractions=[float(val_start / n), float((test_start - val_start) / n),
                                                  float((n - test_start) / n)], grouping="order",
                                       held_out_fingerprint=fingerprint(np.asarray(values[test_start:], "float64"))),
                     training={"model_options": dict(config.model)})
    from rnnzoo.task import get_task

    scaling = _Scaling(settings, get_task(spec.task).sequence_output)

    def arrays(origins):
        x, y = make_windows(values, origins, input_length, horizon, target, sequence_output=scaling.sequence_output)
        return scaling.inputs(x)[0], scaling.targets(x, y)

    details = dict(split=split, values=values, times=times, test_origins=test_origins)

    def held_out_metrics(trained):
        forecaster = Forecaster(TrainedModel(trained, card, spec.task))
        predictions, actual = forecaster.walk_forward(values, test_origins)
        naive = seasonal_naive(values, test_origins, horizon, season, target)
        metrics = evaluate_forecasts(actual, predictions, naive, insample_scale(values[:val_start], season, target))
        metrics.update(season=season, horizon=horizon, input_length=input_length, **split)
        details.update(forecaster=forecaster, predictions=predictions, actual=actual, naive=naive)
        return metrics

    return Plan(card=card, train=arrays(train_origins), validation=arrays(val_origins),
                build={"num_features": features, "horizon": horizon}, evaluate=held_out_metrics, shuffle=True,
                details=details)
