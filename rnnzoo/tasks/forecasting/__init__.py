"""Forecasting: model.py (builders), task.py (the task objects), forecast.py (series checks, windows,
scaling, the training plan for `rnnzoo.train`, walk-forward evaluation, MASE)."""

from rnnzoo.tasks.forecasting import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.forecasting.model import build_forecaster  # noqa: F401
