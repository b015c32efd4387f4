"""Moved to `rnnzoo.tasks` (one folder per task); this alias package keeps old imports working for one release."""

from rnnzoo.tasks import (  # noqa: F401
    TASKS,
    Task,
    build_captioner,
    build_classifier,
    build_forecaster,
    build_language_model,
    build_seq2seq,
    build_tagger,
    build_tree_classifier,
)
