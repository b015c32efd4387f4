"""Sequence-to-sequence: model.py (builders), task.py (the task object), translation.py (translate, beam
search, ensembles, error rates)."""

from rnnzoo.tasks.seq2seq import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.seq2seq.model import build_seq2seq  # noqa: F401
