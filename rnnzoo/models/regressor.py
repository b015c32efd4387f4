"""Moved to `rnnzoo.tasks.regression.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.regression import model as _moved

sys.modules[__name__] = _moved
