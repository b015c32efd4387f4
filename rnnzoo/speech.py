"""Moved to `rnnzoo.tasks.speech.recognize`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.speech import recognize as _moved

sys.modules[__name__] = _moved
