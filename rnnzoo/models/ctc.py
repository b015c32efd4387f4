"""Moved to `rnnzoo.tasks.speech.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.speech import model as _moved

sys.modules[__name__] = _moved
