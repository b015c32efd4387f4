"""Forecasting: checked series, windows, the seasonal-naive baseline, MASE, and a real sunspot forecaster."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo.datasets import load
from rnnzoo.tasks.forecasting.forecast import (
    Forecaster,
    as_series,
    insample_scale,
    make_windows,
    mase,
    seasonal_naive,
    window_origins,
)


def test_as_series_refuses_nan_with_rows_and_a_fix():
    values = np.arange(10, dtype="float64")
    values[[3, 7]] = np.nan
    with pytest.raises(ValueError, match=r"2 NaN/infinite values \(rows 3, 7\).*interpolate"):
        as_series(values)
    with pytest.raises(ValueError, match="NaN"):
        as_series(load("co2", fill=None))
    assert as_series(load("co2")).shape[1] == 1  # interpolated by default


@pytest.mark.parametrize("bad, message", [
    (np.array(["1", "2"]), "must hold numbers"),
    (np.zeros((0,)), "empty"),
    (np.zeros((2, 3, 4)), "1-D .* or 2-D"),
])
def test_as_series_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        as_series(bad)


def test_windows_are_the_rows_before_and_after_each_origin():
    values = np.stack([np.arange(20), 100 + np.arange(20)], axis=1).astype("float32")
    x, y = make_windows(values, [4, 9], input_length=5, horizon=3)
    np.testing.assert_array_equal(x[0], values[0:5])
    np.testing.assert_array_equal(x[1], values[5:10])
    np.testing.assert_array_equal(y, [[5, 6, 7], [10, 11, 12]])
    _, y_seq = make_windows(values, [4], input_length=5, horizon=2, target=1, sequence_output=True)
    np.testing.assert_array_equal(y_seq[0], [[101 + s, 102 + s] for s in range(5)])
    with pytest.raises(ValueError, match="fewer than input_length"):
        make_windows(values, [2], input_length=5, horizon=1)
    # every origin's targets stay inside [start, stop)
    origins = window_origins(10, 15, horizon=2)
    assert origins.min() == 9 and origins.max() + 2 == 14


def test_seasonal_naive_and_mase_by_hand():
    values = np.array([1, 2, 3, 4, 5, 6, 7], dtype="float32")
    # season 3 from origin 4 (value 5): h=1..4 repeat the last season [3, 4, 5] then wrap: 3, 4, 5, 3
    np.testing.assert_array_equal(seasonal_naive(values, [4], horizon=4, season=3), [[3, 4, 5, 3]])
    np.testing.assert_array_equal(seasonal_naive(values, [4], horizon=2, season=1), [[5, 5]])
    assert insample_scale(values, season=3) == 3.0
    assert mase([1.0, 2.0], [2.0, 4.0], scale=3.0) == pytest.approx(0.5)


def test_scaling_round_trips_in_relative_mode():
    model = rnnzoo.build("lstm_forecaster", num_features=2, horizon=3, units=4, metadata={
        "task": "forecaster", "settings": {"input_length": 6, "horizon": 3, "target": 1, "mean": [1.0, 50.0],
                                           "std": [2.0, 10.0], "relative": True}})
    forecaster = Forecaster(model)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(30, 2)).astype("float32") * [2, 10] + [1, 50]
    x, y = make_windows(values, [10, 20], 6, 3, target=1)
    scaled, offset = forecaster.inputs(x)
    np.testing.assert_allclose(scaled[:, -1], 0.0)  # relative windows end at zero
    back = (forecaster.targets(x, y) + offset[:, None]) * 10.0 + 50.0
    np.testing.assert_allclose(back, y, rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(n, 6, 2\)"):
        forecaster.predict(np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="needs the last 6"):
        forecaster.forecast(values[:4])


def test_sunspot_forecaster_beats_seasonal_naive_and_reloads(tmp_path):
    result = rnnzoo.train("gru_forecaster", "sunspots", input_length=22, horizon=1, season=11, test_size=40,
                          validation_size=40, units=32, learning_rate=3e-3, epochs=120, out=str(tmp_path))
    metrics = result.metrics
    assert metrics["test_from"] == "1969" and metrics["forecasts"] == 40
    assert metrics["mase"] < 1.0, metrics  # the floor, on held-out years
    assert metrics["mae_vs_seasonal_naive"] < 1.0, metrics
    reloaded = Forecaster(str(tmp_path))
    np.testing.assert_allclose(reloaded.walk_forward(result.values, result.test_origins)[0], result.predictions,
                               rtol=1e-5, atol=1e-4)
    history = load("sunspots")
    next_year = reloaded.forecast(history)
    assert next_year.shape == (1,) and 0 <= next_year[0] < 300


def test_forecaster_training_errors():
    with pytest.raises(ValueError, match=r"Unknown training settings \[.input_length.\]. Known: .*task .*min_frequency"):
        rnnzoo.train("bilstm_classifier", np.arange(100.0), input_length=5)  # a classifier has no input_length
    with pytest.raises(ValueError, match="too few training windows"):
        rnnzoo.train("lstm_forecaster", np.arange(30.0), input_length=20, test_size=5, validation_size=5)
    with pytest.raises(ValueError, match="carries no forecasting settings"):
        Forecaster(rnnzoo.build("lstm_forecaster", units=4))
