"""rnnzoo: a Keras 3 model zoo of recurrent neural networks.

Example:
>>> import rnnzoo
>>> model = rnnzoo.build("bilstm_classifier", vocabulary_size=20000, num_classes=2)
"""

from rnnzoo import models as _models  # noqa: F401  (registers the built-in models)
from rnnzoo.layers import recurrent_layer, recurrent_stack, sequence_input
from rnnzoo.cudnn import cudnn_report
from rnnzoo.registry import build, get_spec, list_models, register_model
from rnnzoo.serving import compile_model, load, metadata, predict_text

__version__ = "0.1.0"

_LAZY = {  # modules that import TensorFlow: loaded on first use so `import rnnzoo` stays backend-neutral
    "text": "rnnzoo.text",
    "datasets": "rnnzoo.datasets",
    "training": "rnnzoo.training",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(_LAZY[name])
    if name == "train":
        from rnnzoo.training import train

        return train
    if name == "translate":
        from rnnzoo.seq2seq import translate

        return translate
    if name in ("score", "generate"):
        from rnnzoo import lm

        return getattr(lm, name)
    raise AttributeError(f"module 'rnnzoo' has no attribute {name!r}")
