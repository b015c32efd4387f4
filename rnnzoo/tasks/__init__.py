"""The tasks, one folder each: `model.py` (builders and their registration), `task.py` (the task object that
owns the task's behaviour) and the task's own verbs and data where it has them. Importing this package registers
every built-in model and task.

Layering: tasks import what lies below them (the core, the export writers `rnnzoo.export.*`, and the trained-model
object `rnnzoo.trained` with `fitting` and `training`); nothing below imports a task, and no task imports the front
doors (the package, the `rnnzoo.export` facade, `cli`, `demo`). A verb module names its task (`TASK_NAME`) instead
of importing the task module back.
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
