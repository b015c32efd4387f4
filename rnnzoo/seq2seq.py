"""Moved to `rnnzoo.tasks.seq2seq.translation`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.seq2seq import translation as _moved

sys.modules[__name__] = _moved
