"""Moved to `rnnzoo.tasks.classification.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.classification import model as _moved

sys.modules[__name__] = _moved
