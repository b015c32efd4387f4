"""Moved to `rnnzoo.tasks.forecasting.model`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.forecasting import model as _moved

sys.modules[__name__] = _moved
