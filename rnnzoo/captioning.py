"""Moved to `rnnzoo.tasks.captioning.caption`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.captioning import caption as _moved

sys.modules[__name__] = _moved
