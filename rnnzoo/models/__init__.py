"""Task models. Importing this package registers every built-in model."""

from rnnzoo.models import captioner, classifier, ctc, forecaster, language_model, regressor, seq2seq, tagger, tree  # noqa: F401  (registration)
from rnnzoo.models.captioner import build_captioner
from rnnzoo.models.classifier import build_classifier
from rnnzoo.models.forecaster import build_forecaster
from rnnzoo.models.common import TASKS, Task
from rnnzoo.models.language_model import build_language_model
from rnnzoo.models.tagger import build_tagger
from rnnzoo.models.seq2seq import build_seq2seq
from rnnzoo.models.tree import build_tree_classifier
