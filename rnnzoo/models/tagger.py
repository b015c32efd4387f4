"""Moved to `rnnzoo.tasks.tagging.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.tagging import model as _moved

sys.modules[__name__] = _moved
