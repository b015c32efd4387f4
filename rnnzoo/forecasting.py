"""Moved to `rnnzoo.tasks.forecasting.forecast`; this alias keeps old imports working for one release."""

import sys

from rnnzoo.tasks.forecasting import forecast as _moved

sys.modules[__name__] = _moved
