"""Moved to `rnnzoo.tasks.captioning.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.captioning import model as _moved

sys.modules[__name__] = _moved
