"""Regressors: feature sequences → numbers (the adding problem). model.py, task.py."""

from rnnzoo.tasks.regression import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.regression.model import build_regressor  # noqa: F401
