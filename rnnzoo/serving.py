"""Compile, save, load and use models: the helpers between a built model and its predictions."""

import os
import tempfile

import keras
import numpy as np

from rnnzoo.models.common import TASKS
from rnnzoo.registry import _REGISTRY

MODEL_FILE = "model.keras"


def metadata(model):
    """Returns the metadata dict a model carries (task, registry name, text pipeline, labels); {} if none."""
    try:
        return dict(model.get_layer("metadata").metadata)
    except ValueError:
        return {}


def task_of(model, task=None):
    """The `Task` for `model`: the explicit `task`, else the model's metadata, else its registry name."""
    name = task or metadata(model).get("task") or getattr(_REGISTRY.get(model.name), "task", None)
    if name is None:
        raise ValueError(
            f"Cannot tell which task model {model.name!r} solves; pass task= one of {sorted(TASKS)}."
        )
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; use one of {sorted(TASKS)}.")
    return TASKS[name]


def compile_model(model, task=None, optimizer="adam", learning_rate=1e-3, clipnorm=1.0, **compile_options):
    """Compiles `model` with its task's loss and metrics, and gradient-norm clipping by default.

    Args:
        model: keras.Model built by rnnzoo.
        task: str or None. Task name; read from the model when None.
        optimizer: str. Name of a Keras optimizer ("adam", "rmsprop", "sgd", ...).
        learning_rate: float. Learning rate.
        clipnorm: float or None. Clip each gradient to this norm (the usual RNN remedy for exploding
            gradients); None disables clipping.
        **compile_options: passed to `model.compile` (e.g. `jit_compile`).

    Example:
    >>> model = rnnzoo.build("gru_classifier", vocabulary_size=50, num_classes=2, units=8)  # doctest: +SKIP
    >>> rnnzoo.compile_model(model)  # doctest: +SKIP
    """
    spec = task_of(model, task)
    config = {"learning_rate": learning_rate}
    if clipnorm is not None:
        config["clipnorm"] = float(clipnorm)
    try:
        opt = keras.optimizers.get({"class_name": optimizer, "config": config})
    except ValueError:
        raise ValueError(f"Unknown optimizer {optimizer!r}; use a Keras optimizer name such as 'adam', "
                         "'adamw', 'rmsprop' or 'sgd'.") from None
    model.compile(optimizer=opt, loss=spec.loss(), metrics=spec.metrics(), **compile_options)
    return model


def resolve_model_path(path):
    """Returns the `.keras` file for `path` (a `.keras` file or a training output directory)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No saved model at {path!r}. Pass a .keras file or a directory written by `rnnzoo train --out`."
        )
    if not path.endswith(".keras"):
        raise ValueError(f"{path!r} is not a .keras file; rnnzoo saves and loads the Keras v3 format.")
    return path


def load(path, compile=True):
    """Loads a model saved by rnnzoo (a `.keras` file or a `rnnzoo train --out` directory).

    Example:
    >>> model = rnnzoo.load("saved_models/sentiment_bilstm")  # doctest: +SKIP
    """
    return keras.saving.load_model(resolve_model_path(path), compile=compile)


def publish(tmp, path):
    """Renames a finished temporary file onto `path` (atomic) with the usual permissions (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def save(model, path, include_optimizer=True):
    """Saves `model` atomically: written to a temporary file in the same directory, then renamed.

    `include_optimizer=False` writes weights and config only (a third of the size for Adam), for models that
    are shipped rather than trained further.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"Model files end in .keras; got {path!r}.")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=directory, prefix=".tmp-")
    os.close(fd)
    try:
        if not include_optimizer and model.optimizer is not None:
            clone = keras.Model.from_config(model.get_config())
            clone.set_weights(model.get_weights())
            model = clone
        model.save(tmp)
        publish(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def text_encoder(model):
    """Rebuilds the `TextEncoder` stored in a trained model's metadata."""
    from rnnzoo.text import TextEncoder

    config = metadata(model).get("text")
    if not config:
        raise ValueError(
            f"Model {model.name!r} carries no text pipeline; it was built without one (train it with "
            "rnnzoo.train or pass metadata={'text': encoder.get_config()} when building)."
        )
    return TextEncoder.from_config(config)


def predict_text(model, texts, batch_size=64):
    """Predicts from raw strings with the text pipeline stored in the model.

    Returns, for a classifier, a list of `{"label", "probability", "probabilities"}` dicts; for a tagger,
    a list of `[(token, tag), ...]` lists. A single string gives a single result.

    Example:
    >>> rnnzoo.predict_text(rnnzoo.load("saved_models/sentiment_bilstm"), "a gorgeous, witty film")  # doctest: +SKIP
    {'label': 'positive', 'probability': 0.93, ...}
    """
    from rnnzoo.text import as_texts, pad_sequences

    texts, single = as_texts(texts)
    for i, t in enumerate(texts):
        if not t.strip():
            raise ValueError(f"Text {i} is empty; give at least one word to predict from.")
    meta = metadata(model)
    encoder = text_encoder(model)
    task = task_of(model).name
    tokens = encoder.tokenize(texts)
    ids = encoder.encode_tokens(tokens, on_overflow="error", normalized=True)
    probs = model.predict(pad_sequences(ids), batch_size=batch_size, verbose=0)
    labels = meta.get("labels") or [str(i) for i in range(probs.shape[-1])]
    if task == "classifier":
        out = [{"label": labels[int(np.argmax(p))], "probability": float(np.max(p)),
                "probabilities": {labels[j]: float(p[j]) for j in range(len(labels))}} for p in probs]
    elif task == "tagger":
        out = [[(tok, labels[int(j)]) for tok, j in zip(toks, np.argmax(p[: len(toks)], -1))]
               for toks, p in zip(tokens, probs)]
    else:
        raise ValueError(f"predict_text supports classifiers and taggers; {model.name!r} is a {task}.")
    return out[0] if single else out
