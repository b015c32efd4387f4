"""Training from data sources: data → text pipeline → model → `fitting.fit` → card + files → `TrainedModel`.

`train` works for every task whose task object can encode a data source (classifier, tagger, language model,
seq2seq, and any task a user registers); the other tasks have their own front-end (`fit_forecaster`,
`fit_recognizer`, `fit_captioner`, `fit_and_score`) over the same fitting loop. Evaluation is
`rnnzoo.evaluation` (the held-out split recorded in the card, never training examples).
"""

import os
import shlex
import sys

import numpy as np

from rnnzoo.card import DataRecord, ModelCard
from rnnzoo import fitting
from rnnzoo.evaluation import evaluate_examples, resolve_data
from rnnzoo.fitting import ResetStates
from rnnzoo.registry import get_spec
from rnnzoo.task import get_task
from rnnzoo.text import TextEncoder, make_dataset
from rnnzoo.trained import TrainedModel


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


def _warm_start(model, path):
    """Copies the weights of the saved model at `path` into `model` after checking they describe the same thing."""
    previous = TrainedModel.of(path)
    mine, theirs = TrainedModel.of(model).card, previous.card
    for key in ("text", "target_text", "labels"):
        if getattr(mine, key) != getattr(theirs, key):
            raise ValueError(f"init_from={path!r} was trained with a different {key.replace('_', ' ')}; warm starts "
                             "need the same data split, vocabulary settings and labels.")
    shapes = [w.shape for w in model.weights], [w.shape for w in previous.model.weights]
    if shapes[0] != shapes[1]:
        raise ValueError(f"init_from={path!r} has a different architecture; build the model with its options.")
    model.set_weights(previous.model.get_weights())


def _command():
    """The command line that is running, when training was started from one (recorded in the card)."""
    argv = getattr(sys, "argv", None) or []
    return shlex.join(argv) if argv and argv[0] and not argv[0].endswith(("ipykernel_launcher.py", "pytest")) else None


def train(model_name, data, epochs=10, out=None, batch_size=32, learning_rate=1e-3, clipnorm=1.0,
          patience=3, seed=0, split=(0.8, 0.1, 0.1), split_seed=None, min_frequency=2, max_vocabulary=20000,
          window=None, text_options=None, verbose=1, callbacks=None, validation_data=None, test_data=None,
          stateful=False, translation_limit=2000, init_from=None, minutes=None, reduce_lr_patience=None,
          log_gradient_norm=False, distribution=None, precision="float32", label_smoothing=0.0, **model_options):
    """Trains a registered model on an embedded dataset or a user file and evaluates it on a held-out split.

    Args:
        model_name: str. A registered name (`rnnzoo.list_models()`).
        data: str or dataset object. An embedded dataset name, a file path, or a `rnnzoo.datasets` object.
        epochs: int. Maximum number of epochs (early stopping on the validation loss).
        out: str or None. Directory for `model.keras`, `metrics.json`, `history.json` and a backup that lets
            an interrupted run resume from its last finished epoch.
        batch_size, learning_rate, clipnorm: training settings (clipnorm=None disables clipping).
        patience: int. Epochs without validation improvement before stopping (best weights are restored).
        seed: int. Seed for the weights and the shuffling (and the split, unless `split_seed` is given).
        split: tuple. Train/validation/test fractions.
        split_seed: int or None. Seed of the split alone (e.g. several weight seeds on one fixed split).
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
        minutes: float or None. Time budget.
        reduce_lr_patience: int or None. Halve the learning rate after this many epochs without improvement.
        log_gradient_norm: bool. Log the global gradient norm and how often clipping fired, per epoch.
        distribution: None, "mirrored", "multi_worker" (TensorFlow) or "data_parallel" (JAX), or a strategy object:
            data-parallel training with `batch_size` as the global batch (`rnnzoo.distribute`).
        precision: "float32", "bfloat16", "float16" or "auto" (bfloat16 where the CPU has AVX512-BF16 or AMX, or
            the GPU bf16 units): mixed precision for training (float32 variables and loss); the returned and
            saved model is float32 (`rnnzoo.precision`).
        label_smoothing: float. Label smoothing of the cross-entropy loss (0 = none; e.g. 0.1 for seq2seq).
        **model_options: builder overrides, e.g. `units=64`. `embeddings` may be a callable that takes the
            fitted `TextEncoder` and returns the embedding matrix for its vocabulary.

    Returns:
        A `FitResult` with the trained model, its card, the history and the test metrics; `result.encoder` and
        `result.splits` hold the text pipeline and the (train, validation, test) data.

    Example:
    >>> result = rnnzoo.train("bilstm_classifier", "sentiment", epochs=5)  # doctest: +SKIP
    >>> result.metrics["accuracy"]  # doctest: +SKIP
    """
    spec = get_spec(model_name)
    task = get_task(spec.task)
    if task.text_field is None:
        task.encode(None, None, None)  # raises: this task trains through its own front-end
    data, source = resolve_data(data, task)
    split_seed = seed if split_seed is None else int(split_seed)
    if validation_data is None and test_data is None:
        (train_data, val_data, test_data), split_record = fitting.split(data, split, split_seed)
    else:
        train_data = data
        val_data, test_data = (data.subset([]) if d is None else d for d in (validation_data, test_data))
        split_record = fitting.explicit_split(train_data, val_data, test_data)
    fitting.seed_everything(seed)
    text_options = {**spec.text, **getattr(data, "text_options", {}), **(text_options or {})}
    target_options = {**spec.text.get("target", {}), **getattr(data, "text_options", {}).get("target", {}),
                      **text_options.pop("target", {})}
    encoder = TextEncoder.fit(getattr(train_data, task.text_field), min_frequency=min_frequency,
                              max_size=max_vocabulary, tokenized=task.tokenized, **text_options)
    outputs, fields = task.fit_outputs(train_data, {"min_frequency": min_frequency, "max_size": max_vocabulary,
                                                    "target": target_options})
    if callable(model_options.get("embeddings")):  # e.g. vectors learned for this very vocabulary
        model_options["embeddings"] = model_options["embeddings"](encoder)
    card = ModelCard(model=model_name, task=task.name, text=encoder.get_config(),
                     data=DataRecord(source=source, fingerprint=data.fingerprint(), examples=len(data)),
                     split=split_record,
                     settings={"window": window, **fields.pop("settings", {})}, **fields,
                     training={"call": "rnnzoo.train", "command": _command(), "seed": seed, "split_seed": split_seed,
                               "min_frequency": min_frequency, "max_vocabulary": max_vocabulary,
                               "stateful": bool(stateful), "init_from": init_from,
                               "model_options": {k: v for k, v in model_options.items() if k != "embeddings"}})
    options = {**spec.defaults, **task.head_options(outputs), **model_options, "vocabulary_size": len(encoder),
               "metadata": card.to_dict()}
    if stateful and not getattr(task, "stateful_training", False):
        raise ValueError(f"stateful=True is for language models; {model_name!r} is a {task.name}.")
    if stateful and distribution is not None:
        raise ValueError("stateful=True carries one state per stream of a fixed batch, which data-parallel training "
                         "would split across replicas; train the stateless way (stateful=False) with distribution.")
    model = spec.builder(name=model_name, **options, **({"stateful": True, "batch_size": batch_size} if stateful else {}))
    if init_from is not None:
        _warm_start(model, init_from)
    extra = []
    if stateful:
        extra.append(ResetStates())
        window = task.window(encoder, window)
        streams = [np.concatenate(encoder.encode(d.texts, add_start=True, add_end=True)) if len(d) else None
                   for d in (train_data, val_data)]
        fit_train = stateful_windows(streams[0], batch_size, window)
        fit_val = stateful_windows(streams[1], batch_size, window) if streams[1] is not None else None
        counts = [len(fit_train[0]), 0 if fit_val is None else len(fit_val[0])]
    else:
        parts = [task.encode(d, encoder, outputs, window) for d in (train_data, val_data)]
        counts = [len(p) for p in parts]
        fit_train = make_dataset(parts[0].inputs, parts[0].targets, batch_size, shuffle=True, seed=seed)
        fit_val = make_dataset(parts[1].inputs, parts[1].targets, batch_size) if len(parts[1]) else None

    def stateless(trained):  # a stateless twin with the same weights serves any batch size and length
        if not stateful:
            return trained
        twin = spec.builder(name=model_name, **options)
        twin.set_weights(trained.get_weights())
        return twin

    def held_out_metrics(trained):
        test = task.encode(test_data, encoder, outputs, window)
        metrics = evaluate_examples(trained, test, batch_size) if len(test) else {}
        if len(test):
            metrics.update(task.evaluate(TrainedModel(trained, card, task), test_data, metrics,
                                         translation_limit=translation_limit))
        metrics.update(examples={"train": counts[0], "validation": counts[1], "test": len(test)},
                       vocabulary_size=len(encoder))
        return metrics

    return fitting.fit(model, fit_train, fit_val, card=card, epochs=epochs, batch_size=batch_size,
                       learning_rate=learning_rate, clipnorm=clipnorm, patience=patience, minutes=minutes, out=out,
                       verbose=verbose, reduce_lr_patience=reduce_lr_patience, log_gradient_norm=log_gradient_norm,
                       callbacks=extra + list(callbacks or []), finalize=stateless, evaluate=held_out_metrics,
                       details={"encoder": encoder, "splits": (train_data, val_data, test_data)},
                       distribution=distribution, precision=precision, label_smoothing=label_smoothing)


