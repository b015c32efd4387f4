"""Training and evaluation from data sources: data → text pipeline → model → fit → metrics → saved model."""

import dataclasses
import json
import math
import os
import tempfile

import keras
import numpy as np

from rnnzoo import datasets
from rnnzoo.registry import get_spec
from rnnzoo.serving import MODEL_FILE, compile_model, load, metadata, publish, save, task_of, text_encoder
from rnnzoo.text import TextEncoder, make_dataset

_WINDOW = {"char": 100, "word": 50}


@dataclasses.dataclass
class Examples:
    """Encoded examples: variable-length id arrays and their targets."""

    inputs: object  # a list of id arrays, or a tuple of such lists (seq2seq: source ids, target ids)
    targets: object

    def __len__(self):
        return len(self.targets)


def encode_examples(data, encoder, labels, task, window=None):
    """Turns a dataset into model inputs and targets with `encoder` (and label names `labels`; for seq2seq,
    `labels` is the target `TextEncoder`)."""
    if task == "seq2seq":
        sources = encoder.encode(data.sources)
        targets = labels.encode(data.targets, add_start=True, add_end=True)
        keep = [i for i, (x, y) in enumerate(zip(sources, targets)) if len(x) and len(y) > 2]
        return Examples(([sources[i] for i in keep], [targets[i][:-1] for i in keep]),
                        [targets[i][1:] for i in keep])
    if task == "classifier":
        index = {name: i for i, name in enumerate(labels)}
        unknown = sorted({str(y) for y in data.labels} - set(index))
        if unknown:
            raise ValueError(f"Labels {unknown[:5]} were not seen in training; the model knows {labels}.")
        inputs = encoder.encode(data.texts)
        keep = [i for i, x in enumerate(inputs) if len(x)]
        return Examples([inputs[i] for i in keep], np.array([index[str(data.labels[i])] for i in keep], "int32"))
    if task == "tagger":
        index = {name: i for i, name in enumerate(labels)}
        inputs = encoder.encode_tokens(data.tokens)
        targets = [np.array([index.get(t, 0) for t in tags[: len(x)]], "int32") for tags, x in zip(data.tags, inputs)]
        return Examples(inputs, targets)
    if task == "language_model":
        window = window or _WINDOW[encoder.level]
        inputs, targets = [], []
        for ids in encoder.encode(data.texts, add_start=True, add_end=True):
            # Windows of window+1 ids overlapping by one, so every token is predicted exactly once.
            for start in range(0, max(len(ids) - 1, 1), window):
                chunk = ids[start:start + window + 1]
                if len(chunk) >= 2:
                    inputs.append(chunk[:-1])
                    targets.append(chunk[1:])
        return Examples(inputs, targets)
    raise ValueError(f"Training from data is not available for task {task!r} yet.")


def stateful_windows(ids, batch_size, window):
    """Cuts one long id stream into `batch_size` parallel streams and then into windows, ordered so that row b
    of batch k continues row b of batch k−1 (what a stateful model needs for truncated BPTT)."""
    per_stream = (len(ids) - 1) // batch_size
    steps = per_stream // window
    if steps < 1:
        raise ValueError(
            f"{len(ids)} tokens are too few for stateful batches of {batch_size} streams × {window} steps; "
            "lower batch_size or window, or train without stateful=True."
        )

    def cut(stream):
        rows = stream[: per_stream * batch_size].reshape(batch_size, per_stream)[:, : steps * window]
        return rows.reshape(batch_size, steps, window).transpose(1, 0, 2).reshape(steps * batch_size, window)

    return cut(ids[:-1]), cut(ids[1:])


class ResetStates(keras.callbacks.Callback):
    """Clears the states of stateful layers at each epoch and before and after each evaluation."""

    def _reset(self):
        for layer in self.model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.RNN) and layer.stateful:
                layer.reset_states()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()

    def on_test_begin(self, logs=None):
        self._reset()

    def on_test_end(self, logs=None):
        self._reset()


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the epoch after which the next epoch would overrun `minutes`."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = float(minutes) * 60

    def on_train_begin(self, logs=None):
        import time

        self.start = self.epoch_start = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        import time

        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        import time

        now = time.time()
        if now + (now - self.epoch_start) > self.start + self.seconds:
            self.model.stop_training = True


def _warm_start(model, path):
    """Copies the weights of the saved model at `path` into `model` after checking they describe the same thing."""
    previous = load(path, compile=False)
    mine, theirs = metadata(model), metadata(previous)
    for key in ("text", "target_text", "labels"):
        if mine.get(key) != theirs.get(key):
            raise ValueError(f"init_from={path!r} was trained with a different {key.replace('_', ' ')}; warm starts "
                             "need the same data split, vocabulary settings and labels.")
    shapes = [w.shape for w in model.weights], [w.shape for w in previous.weights]
    if shapes[0] != shapes[1]:
        raise ValueError(f"init_from={path!r} has a different architecture; build the model with its options.")
    model.set_weights(previous.get_weights())


def _resolve_data(data, task):
    """Loads `data` when it is a name or path; returns (dataset, source name) after checking it fits `task`."""
    source = data if isinstance(data, str) else getattr(data, "name", "data")
    if isinstance(data, str):
        data = datasets.load(data, task=task)
    _check_task(data, task, source)
    return data, source


def _check_task(data, task, source):
    if getattr(data, "task", None) != task:
        raise ValueError(
            f"Data {source!r} is for a {getattr(data, 'task', type(data).__name__)} but the model is a {task}; "
            f"pick a matching model (rnnzoo list) or data source."
        )
    data.check_not_empty()


def _labels(data, task):
    return data.label_names if task in ("classifier", "tagger") else None


def _atomic_json(obj, path):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2, default=float)
    publish(tmp, path)


@dataclasses.dataclass
class TrainResult:
    model: keras.Model
    encoder: TextEncoder
    history: dict
    metrics: dict
    splits: tuple
    out: str = None


def train(model_name, data, epochs=10, out=None, batch_size=32, learning_rate=1e-3, clipnorm=1.0,
          patience=3, seed=0, split=(0.8, 0.1, 0.1), min_frequency=2, max_vocabulary=20000, window=None,
          text_options=None, verbose=1, callbacks=None, validation_data=None, test_data=None,
          stateful=False, translation_limit=2000, init_from=None, **model_options):
    """Trains a registered model on an embedded dataset or a user file and evaluates it on a held-out split.

    Args:
        model_name: str. A registered name (`rnnzoo.list_models()`).
        data: str or dataset object. An embedded dataset name, a file path, or a `rnnzoo.datasets` object.
        epochs: int. Maximum number of epochs (early stopping on the validation loss).
        out: str or None. Directory for `model.keras`, `metrics.json`, `history.json` and a backup that lets
            an interrupted run resume from its last finished epoch.
        batch_size, learning_rate, clipnorm: training settings (clipnorm=None disables clipping).
        patience: int. Epochs without validation improvement before stopping (best weights are restored).
        seed: int. Seed for the split, the shuffling and the weights.
        split: tuple. Train/validation/test fractions.
        min_frequency, max_vocabulary: vocabulary settings; rarer tokens become `[UNK]`.
        window: int or None. Language models: length of training windows.
        text_options: dict or None. Tokenizer options (`level`, `lowercase`, `normalization`, `max_length`).
        verbose: int. Keras verbosity (1 shows progress bars).
        callbacks: list or None. Extra Keras callbacks.
        validation_data, test_data: datasets or None. When given, `data` is used whole for training and these
            replace the split (e.g. for cross-validation).
        stateful: bool. Language models: truncated BPTT over the whole text. The text is cut into `batch_size`
            contiguous streams and the recurrent state is carried from one window to the next, so the model
            learns dependencies longer than a window. The returned and saved model is the stateless twin with
            the same weights.
        init_from: str or None. A saved model (same architecture and vocabularies) whose weights this training
            starts from: continue a run with new settings, or fine-tune.
        translation_limit: int or None. Seq2seq: how many distinct test sources are decoded (greedy) for the
            exact-match and error-rate metrics.
        **model_options: builder overrides, e.g. `units=64`. `embeddings` may be a callable that takes the
            fitted `TextEncoder` and returns the embedding matrix for its vocabulary.

    Returns:
        A `TrainResult` with the trained model, its encoder, the history and the test metrics.

    Example:
    >>> result = rnnzoo.train("bilstm_classifier", "sentiment", epochs=5)  # doctest: +SKIP
    >>> result.metrics["accuracy"]  # doctest: +SKIP
    """
    spec = get_spec(model_name)
    task = spec.task
    data, source = _resolve_data(data, task)
    keras.utils.set_random_seed(seed)
    if validation_data is None and test_data is None:
        train_data, val_data, test_data = data.split(split, seed=seed)
    else:
        train_data = data
        val_data, test_data = (data.subset([]) if d is None else d for d in (validation_data, test_data))
    text_options = {**spec.text, **getattr(data, "text_options", {}), **(text_options or {})}
    target_options = {**spec.text.get("target", {}), **getattr(data, "text_options", {}).get("target", {}),
                      **text_options.pop("target", {})}
    texts = getattr(train_data, {"tagger": "tokens", "seq2seq": "sources"}.get(task, "texts"))
    encoder = TextEncoder.fit(texts, min_frequency=min_frequency, max_size=max_vocabulary,
                              tokenized=task == "tagger", **text_options)
    labels = _labels(train_data, task)
    extra_meta = {}
    if task == "seq2seq":  # the target side has its own text pipeline; it plays the part of the labels
        labels = TextEncoder.fit(train_data.targets, min_frequency=min_frequency, max_size=max_vocabulary,
                                 **target_options)
        extra_meta = {"target_text": labels.get_config(),
                      "max_target_length": int(max(len(t) for t in labels.encode(train_data.targets)))}
    if callable(model_options.get("embeddings")):  # e.g. vectors learned for this very vocabulary
        model_options["embeddings"] = model_options["embeddings"](encoder)
    meta = {"model": model_name, "task": task, "text": encoder.get_config(),
            "labels": labels if task != "seq2seq" else None, "data": source, "seed": seed, "split": list(split),
            "window": window, **extra_meta}
    head = {"classifier": lambda: {"num_classes": len(labels)}, "tagger": lambda: {"num_tags": len(labels)},
            "seq2seq": lambda: {"target_vocabulary_size": len(labels)}}.get(task, dict)()
    options = {**spec.defaults, **head, **model_options, "vocabulary_size": len(encoder), "metadata": meta}
    if stateful and task != "language_model":
        raise ValueError(f"stateful=True is for language models; {model_name!r} is a {task}.")
    model = spec.builder(name=model_name, **options, **({"stateful": True, "batch_size": batch_size} if stateful else {}))
    if init_from is not None:
        _warm_start(model, init_from)
    compile_model(model, learning_rate=learning_rate, clipnorm=clipnorm)
    fit_callbacks = [keras.callbacks.TerminateOnNaN()]
    if stateful:
        fit_callbacks.append(ResetStates())
        window = window or _WINDOW[encoder.level]
        streams = [np.concatenate(encoder.encode(d.texts, add_start=True, add_end=True)) if len(d) else None
                   for d in (train_data, val_data)]
        train_xy = stateful_windows(streams[0], batch_size, window)
        val_xy = stateful_windows(streams[1], batch_size, window) if streams[1] is not None else None
        fit_data = dict(x=train_xy[0], y=train_xy[1], batch_size=batch_size, validation_data=val_xy)
        counts = [len(train_xy[0]), 0 if val_xy is None else len(val_xy[0])]
    else:
        parts = [encode_examples(d, encoder, labels, task, window) for d in (train_data, val_data)]
        counts = [len(p) for p in parts]
        train_ds = make_dataset(parts[0].inputs, parts[0].targets, batch_size, shuffle=True, seed=seed)
        val_ds = make_dataset(parts[1].inputs, parts[1].targets, batch_size) if len(parts[1]) else None
        fit_data = dict(x=train_ds, validation_data=val_ds)
    if fit_data["validation_data"] is not None:
        fit_callbacks.append(keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True))
    if out:
        os.makedirs(out, exist_ok=True)
        fit_callbacks.append(keras.callbacks.BackupAndRestore(os.path.join(out, "backup")))
    fit_callbacks += list(callbacks or [])  # after BackupAndRestore, so a backup exists when they stop training
    history = model.fit(epochs=epochs, callbacks=fit_callbacks, verbose=verbose, shuffle=False, **fit_data)
    if stateful:  # a stateless twin with the same weights serves any batch size and length
        twin = spec.builder(name=model_name, **options)
        twin.set_weights(model.get_weights())
        compile_model(twin, learning_rate=learning_rate, clipnorm=clipnorm)
        model = twin
    test = encode_examples(test_data, encoder, labels, task, window)
    metrics = evaluate_examples(model, test, batch_size) if len(test) else {}
    if task == "seq2seq" and len(test) and translation_limit != 0:
        from rnnzoo.seq2seq import evaluate_translations

        metrics.update(evaluate_translations(model, test_data, limit=translation_limit))
    metrics.update(examples={"train": counts[0], "validation": counts[1], "test": len(test)},
                   vocabulary_size=len(encoder), epochs_run=len(history.history.get("loss", [])))
    result = TrainResult(model, encoder, history.history, metrics, (train_data, val_data, test_data), out)
    if out:
        save(model, os.path.join(out, MODEL_FILE))
        _atomic_json(metrics, os.path.join(out, "metrics.json"))
        _atomic_json(history.history, os.path.join(out, "history.json"))
    return result


def evaluate_examples(model, examples, batch_size=64):
    """Evaluates `model` on encoded examples; adds perplexity for language models."""
    ds = make_dataset(examples.inputs, examples.targets, batch_size)
    metrics = model.evaluate(ds, return_dict=True, verbose=0)
    metrics = {k: float(v) for k, v in metrics.items()}
    if task_of(model).name == "language_model":
        metrics["perplexity"] = math.exp(metrics["loss"])
    return metrics


def evaluate(model, data, batch_size=64, beam_width=1):
    """Evaluates a trained model (object or saved path) on a data source.

    For the embedded dataset the model was trained on, the held-out test split (same seed) is used; for any
    other source the whole dataset is evaluated.

    Example:
    >>> rnnzoo.training.evaluate("saved_models/sentiment_bilstm", "sentiment")  # doctest: +SKIP
    """
    if isinstance(model, (str, os.PathLike)):
        model = load(model)
    meta = metadata(model)
    task = task_of(model).name
    data, source = _resolve_data(data, task)
    if source == meta.get("data"):
        data = data.split(tuple(meta.get("split", (0.8, 0.1, 0.1))), seed=meta.get("seed", 0))[2]
    encoder = text_encoder(model)
    labels = meta.get("labels")
    if task == "seq2seq":
        from rnnzoo.seq2seq import target_encoder

        labels = target_encoder(model)
    examples = encode_examples(data, encoder, labels, task, meta.get("window"))
    if not len(examples):
        raise ValueError(f"No examples to evaluate in {source!r}.")
    metrics = evaluate_examples(model, examples, batch_size)
    metrics["examples"] = len(examples)
    if task == "seq2seq":
        from rnnzoo.seq2seq import evaluate_translations

        metrics.update(evaluate_translations(model, data, beam_width=beam_width))
    return metrics
