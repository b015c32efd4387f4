"""Captioning: model.py (builders), task.py (the task object), caption.py (synthetic scenes,
the training plan for `rnnzoo.train`, `caption`, BLEU)."""

from rnnzoo.tasks.captioning import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.captioning.model import build_captioner  # noqa: F401
