"""Moved to `rnnzoo.tasks.language_model.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.language_model import model as _moved

sys.modules[__name__] = _moved
