"""Taggers: tokens → one tag each (POS, NER). model.py: builders; task.py: the task object."""

from rnnzoo.tasks.tagging import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.tagging.model import build_tagger  # noqa: F401
