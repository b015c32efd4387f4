"""Moved to `rnnzoo.tasks.seq2seq.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.seq2seq import model as _moved

sys.modules[__name__] = _moved
