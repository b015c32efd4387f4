"""Moved: the trunk to `rnnzoo.layers.trunk`, the task contract to `rnnzoo.task` (alias kept for one release)."""

from rnnzoo.layers.trunk import TRUNK_OPTIONS, trunk  # noqa: F401
from rnnzoo.task import TASKS, Task, random_token_batch, register_task  # noqa: F401
