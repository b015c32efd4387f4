"""CTC speech recognition: model.py (builders), task.py (the task object), recognize.py (espeak-ng data,
log-mel features, the training plan for `rnnzoo.train`, `recognize`, the DTW baseline)."""

from rnnzoo.tasks.speech import model, task  # noqa: F401  (registration)
from rnnzoo.tasks.speech.model import build_ctc_model  # noqa: F401
