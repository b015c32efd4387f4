"""rnnzoo: a Keras 3 model zoo of recurrent neural networks.

Layering, bottom to top: the core (`text`, `datasets`, `layers`, `registry`, `task`, `card`, `saving`,
`decoding`, `metrics`, `evaluation`) → the export writers (`export.*`) → the trained-model object (`trained`,
`fitting`, `training`) → `tasks/<task>/` (builders, task object, verbs) → the front doors (this package,
`rnnzoo.export`, `cli`, `demo`). Nothing imports upward and the import graph has no cycle
(`tests/test_layering.py` checks both).

Examples:
>>> import rnnzoo
>>> model = rnnzoo.build("bilstm_classifier", vocabulary_size=20000, num_classes=2)
>>> tagger = rnnzoo.load("pos_bilstm")  # doctest: +SKIP  (a TrainedModel; `rnnzoo.presets()` lists the presets)
"""

from rnnzoo import quiet as _quiet

if _quiet.started_as_entry_point():  # the `rnnzoo` command / `make demo`: hide TF's native start-up notices
    _quiet.quiet_native_logs()       # (before the imports below load TensorFlow; --verbose shows them)

from rnnzoo.presets import presets  # noqa: E402  (light; binds `rnnzoo.presets` to the function, as before)
from rnnzoo.version import __version__  # noqa: E402

# Everything else loads on first use, so `import rnnzoo`, `rnnzoo --version` and `rnnzoo --help` do not import
# TensorFlow. Touching one of the API's names registers the built-in models and tasks first.
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
    "ModelCard": ("rnnzoo.card", "ModelCard"),
    "cudnn_report": ("rnnzoo.cudnn", "cudnn_report"),
    "recurrent_layer": ("rnnzoo.layers", "recurrent_layer"),
    "recurrent_stack": ("rnnzoo.layers", "recurrent_stack"),
    "sequence_input": ("rnnzoo.layers", "sequence_input"),
    "build": ("rnnzoo.registry", "build"),
    "get_spec": ("rnnzoo.registry", "get_spec"),
    "list_models": ("rnnzoo.registry", "list_models"),
    "register_model": ("rnnzoo.registry", "register_model"),
    "compile_model": ("rnnzoo.saving", "compile_model"),
    "Task": ("rnnzoo.task", "Task"),
    "get_task": ("rnnzoo.task", "get_task"),
    "register_task": ("rnnzoo.task", "register_task"),
    "predict_text": ("rnnzoo.tasks.labels", "predict_text"),
    "TrainedModel": ("rnnzoo.trained", "TrainedModel"),
    "card_of": ("rnnzoo.trained", "card_of"),
    "evaluate": ("rnnzoo.trained", "evaluate"),
    "load": ("rnnzoo.trained", "load"),
    "train": ("rnnzoo.training", "train"),
    "TrainConfig": ("rnnzoo.fitting", "TrainConfig"),
    "describe_hardware": ("rnnzoo.hardware", "describe_hardware"),
    "translate": ("rnnzoo.tasks.seq2seq.translation", "translate"),
    "score": ("rnnzoo.tasks.language_model.generation", "score"),
    "generate": ("rnnzoo.tasks.language_model.generation", "generate"),
}


def __getattr__(name):
    import importlib

    if name in _LAZY_NAMES:  # the API (not a submodule, which the package's own modules import as they load)
        importlib.import_module("rnnzoo.tasks")  # registers the built-in models and tasks
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name in _LAZY_NAMES:
        module, attribute = _LAZY_NAMES[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'rnnzoo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_LAZY))
