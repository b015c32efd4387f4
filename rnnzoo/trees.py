"""Moved to `rnnzoo.tasks.trees.data`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.trees import data as _moved

sys.modules[__name__] = _moved
