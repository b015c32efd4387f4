"""Language models: model.py (builders), task.py (the task object), generation.py (score, generate)."""

from rnnzoo.tasks.language_model import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.language_model.model import build_language_model  # noqa: F401
