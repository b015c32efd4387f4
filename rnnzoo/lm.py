"""Moved to `rnnzoo.tasks.language_model.generation`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.language_model import generation as _moved

sys.modules[__name__] = _moved
