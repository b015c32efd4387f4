"""The tasks, one folder each: `model.py` (builders and their registration), `task.py` (the task object that
owns the task's behaviour) and the task's own verbs and data where it has them. Importing this package registers
every built-in model and task.

Layering: tasks import the shared core (`rnnzoo.task`, `card`, `registry`, `fitting`, `training`, `decoding`,
`layers`, `text`, `datasets`); the core never imports a task, and no task imports `export`, `cli` or `demo`.
"""

from rnnzoo.task import TASKS, Task, get_task, register_task  # noqa: F401
from rnnzoo.tasks import (  # noqa: F401  (registration)
    captioning,
    classification,
    forecasting,
    language_model,
    regression,
    seq2seq,
    speech,
    tagging,
    trees,
)
from rnnzoo.tasks.captioning import build_captioner  # noqa: F401
from rnnzoo.tasks.classification import build_classifier  # noqa: F401
from rnnzoo.tasks.forecasting import build_forecaster  # noqa: F401
from rnnzoo.tasks.language_model import build_language_model  # noqa: F401
from rnnzoo.tasks.seq2seq import build_seq2seq  # noqa: F401
from rnnzoo.tasks.tagging import build_tagger  # noqa: F401
from rnnzoo.tasks.trees import build_tree_classifier  # noqa: F401
