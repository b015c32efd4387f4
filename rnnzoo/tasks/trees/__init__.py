"""Tree nets: model.py (builders), task.py (the task object), data.py (trees, arithmetic data,
their training plan for `rnnzoo.train`, `classify`)."""

from rnnzoo.tasks.trees import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.trees.model import build_tree_classifier  # noqa: F401
