"""Compile, save and load models, and read what a saved model carries (its card, task and text pipelines)."""

import dataclasses
import json
import os
import tempfile

import keras

from rnnzoo.card import read_card
from rnnzoo.names import MODEL_FILE  # noqa: F401  (re-exported: callers write `saving.MODEL_FILE`)
from rnnzoo.task import get_task


def compile_model(model, task=None, optimizer="adam", learning_rate=1e-3, clipnorm=1.0, global_clipnorm=None,
                  label_smoothing=0.0, **compile_options):
    """Compiles `model` with its task's loss and metrics, and gradient-norm clipping by default.

    Args:
        model: keras.Model built by rnnzoo.
        task: str, task object or None. The task; read from the model's card when None.
        optimizer: str. Name of a Keras optimizer ("adam", "rmsprop", "sgd", ...).
        learning_rate: float. Learning rate.
        clipnorm: float or None. Clip each gradient to this norm (the usual RNN remedy for exploding
            gradients); None disables clipping.
        global_clipnorm: float or None. Clip the global norm of all gradients together instead (PyTorch's
            `clip_grad_norm_`); pass `clipnorm=None` with it.
        label_smoothing: float. Spread this much of each target's probability over all classes (tasks with a
            cross-entropy loss: classifiers, taggers, language models, seq2seq; `rnnzoo.losses`).
        **compile_options: passed to `model.compile` (e.g. `jit_compile`).

    Examples:
    >>> model = rnnzoo.build("gru_classifier", vocabulary_size=50, num_classes=2, units=8)  # doctest: +SKIP
    >>> rnnzoo.compile_model(model)  # doctest: +SKIP
    """
    if task is None:  # the card's task, else the task the model's registry name belongs to
        from rnnzoo.registry import find_spec

        task = read_card(model).task or getattr(find_spec(model.name), "task", None)
        if task is None:
            raise ValueError(f"Cannot tell which task model {model.name!r} solves; pass task=.")
    spec = get_task(task)
    config = {"learning_rate": learning_rate}
    if clipnorm is not None:
        config["clipnorm"] = float(clipnorm)
    if global_clipnorm is not None:
        if clipnorm is not None:
            raise ValueError("Pass either clipnorm (each gradient) or global_clipnorm (all together), not both.")
        config["global_clipnorm"] = float(global_clipnorm)
    try:
        opt = keras.optimizers.get({"class_name": optimizer, "config": config})
    except ValueError:
        raise ValueError(f"Unknown optimizer {optimizer!r}; use a Keras optimizer name such as 'adam', "
                         "'adamw', 'rmsprop' or 'sgd'.") from None
    if label_smoothing:
        try:
            loss = spec.loss(label_smoothing=float(label_smoothing))
        except TypeError:
            raise ValueError(f"The {spec.name} task's loss has no label smoothing; leave label_smoothing at 0.") from None
    else:
        loss = spec.loss()
    model.compile(optimizer=opt, loss=loss, metrics=spec.metrics(), **compile_options)
    return model


def resolve_model_path(path):
    """Returns the `.keras` file for `path`: a `.keras` file or a training output directory (preset names and
    URLs are resolved by `rnnzoo.load`)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No saved model at {path!r}. Pass a .keras file, a directory written by `rnnzoo train --out`, or a "
            "preset name (`rnnzoo presets` lists them)."
        )
    if not path.endswith(".keras"):
        raise ValueError(f"{path!r} is not a .keras file; rnnzoo saves and loads the Keras v3 format.")
    return path


def load_model(path, compile=False):
    """The keras.Model in a `.keras` file (`resolve_model_path` first), with a clear error for a damaged file.
    Users call `rnnzoo.load`, which returns the trained-model object."""
    import zipfile

    from rnnzoo.registry import load_builtins

    load_builtins()  # rnnzoo's layer classes must be registered before Keras deserializes them
    path = resolve_model_path(path)
    damaged = (f"{path!r} is not a complete .keras file (a .keras file is a zip archive; this one is truncated or "
               "corrupted, e.g. by a copy that did not finish). Copy it again, or retrain with the same --out: "
               "rnnzoo writes model files atomically, so the one it wrote last is whole.")
    if not zipfile.is_zipfile(path):
        raise ValueError(damaged)
    try:
        return keras.saving.load_model(path, compile=compile)
    except (zipfile.BadZipFile, EOFError, KeyError, OSError) as e:
        raise ValueError(f"{damaged} ({type(e).__name__}: {e})") from None


def publish(tmp, path):
    """Renames a finished temporary file onto `path` (atomic) with the usual permissions (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def _staged(path, suffix, write):
    """Calls `write(tmp)` on a temporary file beside `path` and returns it; removes it if `write` fails."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
    except BaseException:
        os.remove(tmp)
        raise
    return tmp


def _write_json_file(obj, tmp):
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=float)


def _save_model_file(model, include_optimizer, tmp):
    if not include_optimizer and getattr(model, "optimizer", None) is not None:
        clone = keras.Model.from_config(model.get_config())
        clone.set_weights(model.get_weights())
        model = clone
    model.save(tmp)


def write_json(obj, path):
    """Writes `obj` as JSON to `path` atomically (a temporary file in the same directory, then a rename)."""
    return write_together({path: obj})


def save(model, path, include_optimizer=True):
    """Saves `model` atomically: written to a temporary file in the same directory, then renamed.

    `include_optimizer=False` writes weights and config only (a third of the size for Adam), for models that
    are shipped rather than trained further.
    """
    path = os.fspath(path)
    if not path.endswith(".keras"):
        raise ValueError(f"Model files end in .keras; got {path!r}.")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_together({path: model}, include_optimizer=include_optimizer)
    return path


def write_together(files, include_optimizer=True):
    """Writes several files all or nothing: `{path: keras.Model or JSON-able object}`.

    Every file is first written to a temporary file beside its destination; only when all of them are complete
    are they renamed into place. A failed write (a full disk, an interrupted process) leaves every previous file
    as it was and no temporary file behind. Returns the last path.
    """
    staged = []
    try:
        for path, content in files.items():
            if isinstance(content, keras.Model):
                tmp = _staged(path, ".keras", lambda t, m=content: _save_model_file(m, include_optimizer, t))
            else:
                tmp = _staged(path, ".json", lambda t, o=content: _write_json_file(o, t))
            staged.append((tmp, path))
        for tmp, path in staged:
            publish(tmp, path)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.remove(tmp)
    return path


def describe_model(model, card, file=None):
    """What a trained model is, from its card and files: task, cell and sizes, parameters, data and split,
    vocabulary sizes, metrics, the training command, versions, and the exports found beside its file
    (`TrainedModel.describe`, `rnnzoo info MODEL`)."""
    from rnnzoo.names import EXPORT_FILE

    layers = [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, keras.layers.RNN)]
    cells = sorted({type(getattr(layer, "cell", layer)).__name__.replace("Cell", "") for layer in layers})
    info = {"path": file, "model": card.model or model.name, "task": card.task,
            "cells": cells, "recurrent_layers": len(layers),
            "units": sorted({int(layer.cell.units) for layer in layers if hasattr(layer.cell, "units")}),
            "parameters": int(model.count_params()), "size_bytes": os.path.getsize(file) if file else None,
            "settings": card.settings, "labels": card.labels,
            "vocabulary_size": (card.text or {}).get("vocabulary_size") or len((card.text or {}).get("vocabulary") or []) or None,
            "target_vocabulary_size": (len((card.target_text or {}).get("vocabulary") or []) or None),
            "data": None if card.data is None else dataclasses.asdict(card.data),
            "split": None if card.split is None else dataclasses.asdict(card.split),
            "metrics": card.metrics, "training": card.training, "versions": card.versions, "exports": {}}
    directory = os.path.dirname(file) if file else None
    for root in [] if directory is None else [directory] + [os.path.join(directory, d) for d in sorted(os.listdir(directory))]:
        manifest = os.path.join(root, EXPORT_FILE)
        if os.path.isfile(manifest):
            with open(manifest) as f:
                exported = json.load(f)
            info["exports"][os.path.relpath(root, directory)] = sorted(
                [n for n, e in exported.get("files", {}).items() if "bytes" in e] +
                [f"saved_model:{s}" for s in exported.get("signatures", {})])
    return info
