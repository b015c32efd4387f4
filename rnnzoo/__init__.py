"""rnnzoo: a Keras 3 model zoo of recurrent neural networks.

Layering, bottom to top: the core (`text`, `datasets`, `layers`, `registry`, `task`, `card`, `saving`,
`decoding`, `metrics`, `evaluation`) → the export writers (`export.*`) → the trained-model object (`trained`,
`fitting`, `training`) → `tasks/<task>/` (builders, task object, verbs) → the front doors (this package,
`rnnzoo.export`, `cli`, `demo`). Nothing imports upward and the import graph has no cycle
(`tests/test_layering.py` checks both).

Example:
>>> import rnnzoo
>>> model = rnnzoo.build("bilstm_classifier", vocabulary_size=20000, num_classes=2)
>>> tagger = rnnzoo.load("pos_bilstm")  # doctest: +SKIP  (a TrainedModel; `rnnzoo.presets()` lists the presets)
"""

from rnnzoo import quiet as _quiet

if _quiet.started_as_entry_point():  # the `rnnzoo` command / `make demo`: hide TF's native start-up notices
    _quiet.quiet_native_logs()       # (before the imports below load TensorFlow; --verbose shows them)

from rnnzoo import tasks as _tasks  # noqa: F401,E402  (registers the built-in models and tasks)
from rnnzoo.card import ModelCard
from rnnzoo.cudnn import cudnn_report
from rnnzoo.layers import recurrent_layer, recurrent_stack, sequence_input
from rnnzoo.presets import presets  # `rnnzoo.presets()`: the committed models, loaded by name with rnnzoo.load
from rnnzoo.registry import build, get_spec, list_models, register_model
from rnnzoo.saving import compile_model
from rnnzoo.task import Task, get_task, register_task
from rnnzoo.tasks.labels import predict_text
from rnnzoo.trained import TrainedModel, card_of, evaluate, load
from rnnzoo.version import __version__

__all__ = ["ModelCard", "Task", "TrainConfig", "TrainedModel", "build", "card_of", "compile_model", "cudnn_report",
           "describe_hardware", "evaluate", "generate", "get_spec", "get_task", "list_models", "load", "predict_text",
           "presets", "recurrent_layer", "recurrent_stack", "register_model", "register_task", "score",
           "sequence_input", "train", "translate", "__version__"]

_LAZY = {  # submodules loaded on first use (those that import TensorFlow keep `import rnnzoo` backend-neutral)
    name: f"rnnzoo.{name}" for name in (
        "text", "datasets", "training", "fitting", "export", "saving", "inference", "decoding", "config", "tasks",
        "diagnostics", "plots", "reference", "precision", "evaluation", "metrics", "trained", "hardware", "xla",
    )
}
_LAZY_NAMES = {
    "train": ("rnnzoo.training", "train"),
    "TrainConfig": ("rnnzoo.fitting", "TrainConfig"),
    "describe_hardware": ("rnnzoo.hardware", "describe_hardware"),
    "translate": ("rnnzoo.tasks.seq2seq.translation", "translate"),
    "score": ("rnnzoo.tasks.language_model.generation", "score"),
    "generate": ("rnnzoo.tasks.language_model.generation", "generate"),
}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name in _LAZY_NAMES:
        module, attribute = _LAZY_NAMES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'rnnzoo' has no attribute {name!r}")
