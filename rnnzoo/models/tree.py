"""Moved to `rnnzoo.tasks.trees.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.trees import model as _moved

sys.modules[__name__] = _moved
