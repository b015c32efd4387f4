"""Classifiers: texts → one label (sentiment). model.py: builders; task.py: the task object."""

from rnnzoo.tasks.classification import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.classification.model import build_classifier  # noqa: F401
