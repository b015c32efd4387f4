"""One fitting loop under every task: seeding, splitting, callbacks, atomic writes, one result type.

Every task's training entry point (`rnnzoo.train` for text tasks, `fit_forecaster`, `fit_recognizer`,
`fit_captioner`, the tree comparison) prepares its data and model, then calls `fit`. So every trained model, of
every task, gets the same callbacks (TerminateOnNaN, early stopping that restores the best weights, resumable
BackupAndRestore checkpoints, an optional time limit, learning-rate reduction and gradient-norm logging) and lands
as the same three files, each written atomically: `model.keras` (with its model card), `metrics.json` and
`history.json`.

Example:
>>> result = fit(model, (x, y), (x_val, y_val), card=ModelCard(model="lstm_regressor", task="regressor"),
...              epochs=5, out="runs/adding")  # doctest: +SKIP
"""

import contextlib
import dataclasses
import json
import os
import time

import keras
import numpy as np

from rnnzoo.card import ModelCard, SplitRecord, fingerprint, set_card, versions
from rnnzoo.names import BACKUP_DIR, HISTORY_FILE, LOCK_FILE, METRICS_FILE, MODEL_FILE, PARTIAL_HISTORY_FILE
from rnnzoo.saving import compile_model, write_json, write_together
from rnnzoo.task import get_task
from rnnzoo.trained import TrainedModel


@contextlib.contextmanager
def exclusive(out):
    """Holds an exclusive lock on the output directory `out` while a training writes to it: a second training
    with the same `out` fails at once with a clear error instead of mixing its files with the first one's."""
    os.makedirs(out, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no advisory locks on this platform (Windows): one writer per --out is up to the user
        yield
        return
    with open(os.path.join(out, LOCK_FILE), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise RuntimeError(f"Another training (process {handle.read().strip() or '?'}) is writing to {out!r}. "
                               "Wait for it to finish, or pass another output directory (--out).") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _interactive():
    """Whether progress bars can redraw: a terminal, or a Jupyter kernel."""
    import sys

    return bool(getattr(sys.stdout, "isatty", lambda: False)()) or "ipykernel" in sys.modules


class EpochLog(keras.callbacks.Callback):
    """Keeps the per-epoch logs of a resumable run in `path` (atomically, after every epoch), so a run that was
    killed and resumed reports the history of every finished epoch, not only those of its last session."""

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.epochs = {}

    def on_train_begin(self, logs=None):
        self.epochs = {}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.epochs = {int(k): v for k, v in json.load(f).items()}

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = {e: v for e, v in self.epochs.items() if e < epoch}
        self.epochs[epoch] = {k: float(v) for k, v in (logs or {}).items()}
        write_json(self.epochs, self.path)

    def history(self):
        """`{metric: [value per epoch]}` over every finished epoch, in order."""
        keys = sorted({k for logs in self.epochs.values() for k in logs})
        return {k: [self.epochs[e].get(k) for e in sorted(self.epochs)] for k in keys}


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the epoch after which the next epoch would overrun `minutes`."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = float(minutes) * 60

    def on_train_begin(self, logs=None):
        self.start = self.epoch_start = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        now = time.time()
        if now + (now - self.epoch_start) > self.start + self.seconds:
            self.model.stop_training = True


class AverageWeights(keras.callbacks.Callback):
    """Keeps the weights after each of the last `last` epochs; `average()` is their mean (checkpoint averaging,
    a cheap ensemble of one run's final epochs). The model itself is left as training ends unless `apply=True`.

    Example:
    >>> averaging = AverageWeights(last=5)  # doctest: +SKIP
    >>> model.fit(..., callbacks=[averaging]); model.set_weights(averaging.average())  # doctest: +SKIP
    """

    def __init__(self, last=5, apply=False):
        super().__init__()
        if int(last) < 1:
            raise ValueError(f"AverageWeights needs last >= 1; got {last!r}.")
        self.last, self.apply = int(last), bool(apply)
        self.kept = []

    def on_epoch_end(self, epoch, logs=None):
        self.kept = (self.kept + [[np.array(w) for w in self.model.get_weights()]])[-self.last:]

    def average(self):
        if not self.kept:
            raise ValueError("AverageWeights has seen no finished epoch yet.")
        return [np.mean(ws, axis=0).astype(ws[0].dtype) for ws in zip(*self.kept)]

    def on_train_end(self, logs=None):
        if self.apply and self.kept:
            self.model.set_weights(self.average())


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


@dataclasses.dataclass
class FitResult:
    """What every training entry point returns.

    Attributes:
        model: the trained `keras.Model` (best weights restored), carrying its card.
        metrics: dict. Held-out metrics (also in `metrics.json` and `card.metrics`).
        history: dict. Per-epoch logs (also in `history.json`).
        card: `ModelCard`.
        out: str or None. The output directory.
        details: dict. Task extras, also readable as attributes: `result.encoder`, `result.splits`,
            `result.forecaster`, `result.predictions`, ...
        trained: `TrainedModel`. The model with its card and task, ready for the verbs, evaluate and export.
    """

    model: object
    metrics: dict
    history: dict
    card: ModelCard
    out: str = None
    details: dict = dataclasses.field(default_factory=dict)
    trained: object = None

    def __getattr__(self, name):
        details = self.__dict__.get("details") or {}
        if name in details:
            return details[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


def array_dataset(x, y, batch_size=32, shuffle=False, seed=0):
    """Batches of in-memory arrays (`x` an array or a tuple of arrays) as a `tf.data.Dataset` whose order in epoch k
    is `permutation(seed + k)`: the fitting loop pins k at the start of every epoch (`set_epoch`), so a resumed run
    and a run on several devices (which opens extra iterators) see the batches one device would."""
    import numpy as np
    import tensorflow as tf

    from rnnzoo.text.encoder import EpochOrder

    n = len(y)
    order = EpochOrder(n, shuffle, seed)

    def batches():
        rows = order()
        for start in range(0, n, batch_size):
            yield rows[start:start + batch_size]

    xs = tf.nest.map_structure(lambda a: tf.constant(np.asarray(a)), x)
    ys = tf.constant(np.asarray(y))
    ds = tf.data.Dataset.from_generator(batches, output_signature=tf.TensorSpec([None], tf.int64))
    ds = ds.map(lambda i: (tf.nest.map_structure(lambda a: tf.gather(a, i), xs), tf.gather(ys, i)))
    return order.finish(ds, -(-n // batch_size))


def seed_everything(seed):
    """Seeds Python, NumPy and the backend (weights, dropout, shuffling)."""
    keras.utils.set_random_seed(int(seed))


def split(data, fractions, seed, grouping=None):
    """Splits a dataset with its own `split` rule; returns `(train, validation, test)` and the `SplitRecord`.

    The record names the held-out part (the test part, or the validation part when no test part is kept) and
    fingerprints it, so `rnnzoo.evaluate` can rebuild exactly this split later and check it did."""
    parts = data.split(tuple(fractions), seed=seed)
    held_out = "test" if len(parts[2]) else "validation"
    record = SplitRecord(method="fractions", fractions=[float(f) for f in fractions], seed=int(seed),
                         grouping=grouping or getattr(data, "split_grouping", None),
                         counts={n: len(p) for n, p in zip(("train", "validation", "test"), parts)},
                         held_out=held_out,
                         held_out_fingerprint=parts[2 if held_out == "test" else 1].fingerprint())
    return parts, record


def explicit_split(train, validation, test):
    """The `SplitRecord` of a split the caller made (validation and test passed in)."""
    held = test if test is not None and len(test) else validation
    return SplitRecord(method="explicit", counts={n: (0 if d is None else len(d)) for n, d in
                                                  (("train", train), ("validation", validation), ("test", test))},
                       held_out="test" if held is test else "validation",
                       held_out_fingerprint=None if held is None else _fingerprint(held))


def _fingerprint(data):
    return data.fingerprint() if hasattr(data, "fingerprint") else fingerprint(data)


def fit(model, train, validation=None, *, card, epochs=10, batch_size=None, learning_rate=1e-3, clipnorm=1.0,
        optimizer="adam", patience=3, minutes=None, reduce_lr_patience=None, log_gradient_norm=False, out=None,
        verbose=0, callbacks=None, shuffle=False, compile=True, finalize=None, evaluate=None, details=None,
        distribution=None, precision="float32", label_smoothing=0.0):
    """Trains `model`, evaluates it, records its card and writes the three files.

    Args:
        model: a built rnnzoo model.
        train: a `tf.data.Dataset` of (inputs, targets) batches, or an `(x, y)` tuple of arrays.
        validation: the same kinds, or None (then no early stopping).
        card: `ModelCard`. Completed here with the metrics, the epochs run and the versions, then stored in the
            model.
        epochs, batch_size, learning_rate, clipnorm, optimizer: training settings (`batch_size` for arrays).
        patience: int. Epochs without validation improvement before stopping; the best weights are restored.
        minutes: float or None. Time budget (stops after the epoch that would overrun it).
        reduce_lr_patience: int or None. Halve the learning rate after this many epochs without improvement.
        log_gradient_norm: bool. Record the global gradient norm per epoch (`grad_norm`, `clip_fraction`).
        out: str or None. Directory for model.keras, metrics.json, history.json and the resumable backup (an
            interrupted run started again with the same arguments resumes from its last finished epoch, and
            its history.json covers every epoch). The three files are replaced together, only at the end: until
            then the previous model in `out` stays as it was and loadable. One training at a time per `out`.
        verbose: int. Keras verbosity.
        callbacks: list or None. Extra Keras callbacks (run after the backup, so a backup exists when they stop
            training).
        shuffle: bool. Shuffle arrays every epoch (datasets shuffle themselves).
        compile: bool. Compile with the task's loss and metrics (False: the caller compiled the model).
        finalize: callable or None. `model → model` after training (e.g. the stateless twin of a stateful LM).
        evaluate: callable or None. `model → metrics dict` on held-out data.
        details: dict or None. Task extras for the `FitResult`.
        distribution: None (one device), "mirrored", "multi_worker", "data_parallel", or a strategy /
            distribution object (`rnnzoo.distribute`). `batch_size` (or the datasets' batches) is the global
            batch, split over the replicas. Only the chief writes the model and its files in `out`; another
            worker keeps its resumable backup in `out/.worker-K` until training finishes.
        precision: "float32" (default), "bfloat16", "float16" or "auto" (`rnnzoo.precision`): mixed precision
            with float32 variables and loss during training; the model is float32 again afterwards, so it is
            evaluated, saved and exported in float32. The card records it; with `verbose` a line says which ran.
        label_smoothing: float. Label smoothing of the cross-entropy (`rnnzoo.losses`); 0 = none.

    Returns:
        A `FitResult`.
    """
    from rnnzoo import distribute

    plan = distribute.plan(distribution)
    distribute.check_batch(plan, batch_size)
    if plan is not None and not plan.chief and out:
        # A worker other than the chief trains in `out/.worker-K`: its backup lets it resume with the chief when
        # the whole job is started again; its files are removed when training finishes.
        import shutil

        scratch = os.path.join(out, f".worker-{plan.index}")
        result = _fit(model, train, validation, card, epochs, batch_size, learning_rate, clipnorm, optimizer,
                      patience, minutes, reduce_lr_patience, log_gradient_norm, scratch, verbose, callbacks, shuffle,
                      compile, finalize, evaluate, details, plan, precision, label_smoothing)
        shutil.rmtree(scratch, ignore_errors=True)
        if os.path.isdir(out) and not os.listdir(out):
            os.rmdir(out)
        return dataclasses.replace(result, out=None)
    with exclusive(out) if out else contextlib.nullcontext():  # one training at a time per output directory
        return _fit(model, train, validation, card, epochs, batch_size, learning_rate, clipnorm, optimizer, patience,
                    minutes, reduce_lr_patience, log_gradient_norm, out, verbose, callbacks, shuffle, compile,
                    finalize, evaluate, details, plan, precision, label_smoothing)


def _planned_steps(data, epochs):
    """Batches per epoch × epochs where the dataset knows its length, else None."""
    try:
        batches = int(data.cardinality())
    except (AttributeError, TypeError):
        batches = len(data) if hasattr(data, "__len__") else -1
    return batches * int(epochs) if batches >= 0 else None


def _fit(model, train, validation, card, epochs, batch_size, learning_rate, clipnorm, optimizer, patience, minutes,
         reduce_lr_patience, log_gradient_norm, out, verbose, callbacks, shuffle, compile, finalize, evaluate,
         details, plan=None, precision="float32", label_smoothing=0.0):
    from rnnzoo import distribute, precision as precisions

    requested, precision = precision, precisions.resolve(precision)  # a bad name fails before any work

    scope = contextlib.nullcontext  # called for a fresh context each time (a strategy's or distribution's scope)
    if isinstance(train, tuple):  # arrays: batches in an order that follows the epoch number, as for text datasets
        train = array_dataset(*train, batch_size=batch_size or 32, shuffle=shuffle,
                              seed=int(card.training.get("seed") or 0))
    if isinstance(validation, tuple):
        validation = array_dataset(*validation, batch_size=batch_size or 32, shuffle=False)
    set_epoch = getattr(train, "set_epoch", None)  # the shuffle order follows the epoch number
    if plan is not None:
        model = distribute.replicate(model, plan)  # the same weights, with variables on every replica
        train, validation = (distribute.shard(d, plan, batch_size) for d in (train, validation))
        card.training = {**card.training, "distribution": plan.record(batch_size)}
        scope = plan.scope
    card.training = {**card.training, "precision": precision, "precision_requested": requested}
    set_card(model, card)
    if compile:
        with scope():
            compile_model(model, card.task, optimizer=optimizer, learning_rate=learning_rate, clipnorm=clipnorm,
                          label_smoothing=label_smoothing)
    if precision == "float16":
        with scope():
            model.optimizer = precisions.loss_scaled(model.optimizer, precision)
    if plan is not None and keras.backend.backend() == "tensorflow" and not distribute.clip_after_sum(model.optimizer):
        import warnings

        warnings.warn("This Keras clips each replica's gradient before summing them: with gradient clipping active, "
                      "training on several devices takes other steps than on one.", stacklevel=2)
    fit_callbacks = [keras.callbacks.TerminateOnNaN()]
    if set_epoch is not None:
        fit_callbacks.append(keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs=None: set_epoch(epoch)))
    if validation is not None:
        fit_callbacks.append(keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True))
    if reduce_lr_patience:
        fit_callbacks.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=int(reduce_lr_patience)))
    if log_gradient_norm:
        from rnnzoo.diagnostics import GradientNormLogger

        fit_callbacks.append(GradientNormLogger())
    if minutes:
        fit_callbacks.append(TimeLimit(minutes))
    epoch_log = None
    if out:
        os.makedirs(out, exist_ok=True)
        backup = os.path.join(out, BACKUP_DIR)
        partial = os.path.join(out, PARTIAL_HISTORY_FILE)
        if not os.path.exists(backup) and os.path.exists(partial):
            os.remove(partial)  # the log of a run that finished or never checkpointed: not this run's
        fit_callbacks.append(keras.callbacks.BackupAndRestore(backup))
        epoch_log = EpochLog(partial)
        fit_callbacks.append(epoch_log)
    fit_callbacks += list(callbacks or [])
    kwargs = dict(x=train, shuffle=False)
    if verbose == 1 and not _interactive():
        verbose = 2  # one line per epoch where output is a file or a pipe (CI, `make demo > log`): no \r bars
    if verbose:  # with the progress lines (verbose=0 asked for silence; the card records it either way)
        print(precisions.announce(precision, requested), flush=True)
    # JAX shards each batch over the devices only inside the distribution's scope; the precision holds for
    # training only (the model leaves it float32, to be evaluated, saved and exported as such)
    xla = precisions.xla_training(model, precision, train, distributed=plan is not None,
                                  steps=_planned_steps(train, epochs))
    card.training = {**card.training, "xla": xla}
    kept = ()
    if precision != "float32":  # the layers kept float32 under mixed precision: the task's, or the user's
        kept = precisions.float32_layer_names(get_task(card.task).mixed_precision_float32, model)
        card.training = {**card.training, "float32_layers": list(kept)}
    with scope(), precisions.training_precision(model, precision, kept), precisions.compiled_with_xla(model, xla):
        history = model.fit(epochs=epochs, validation_data=validation, callbacks=fit_callbacks, verbose=verbose,
                            **kwargs).history
    if epoch_log is not None and epoch_log.epochs:
        history = epoch_log.history()  # every finished epoch, including those of sessions before a resume
    if plan is not None:
        model = distribute.gather(model)  # evaluated, saved and returned as a one-device model
        if compile:
            compile_model(model, card.task, optimizer=optimizer, learning_rate=learning_rate, clipnorm=clipnorm,
                          label_smoothing=label_smoothing)
    if finalize is not None:
        model = finalize(model)
    metrics = dict(evaluate(model) if evaluate else {})
    metrics["epochs_run"] = len(history.get("loss", []))
    card.metrics = metrics
    card.training = {**card.training, "epochs": int(epochs), "epochs_run": metrics["epochs_run"],
                     "batch_size": batch_size, "learning_rate": learning_rate, "clipnorm": clipnorm,
                     "optimizer": optimizer, "patience": patience, "minutes": minutes,
                     **({"label_smoothing": float(label_smoothing)} if label_smoothing else {})}
    card.versions = versions()
    set_card(model, card)
    if out:  # all three or none: a failed write (a full disk) leaves the previous model and its files intact
        write_together({os.path.join(out, MODEL_FILE): model, os.path.join(out, METRICS_FILE): metrics,
                        os.path.join(out, HISTORY_FILE): history})
        if os.path.exists(partial):
            os.remove(partial)
    trained = TrainedModel(model, card, card.task, path=os.path.join(out, MODEL_FILE) if out else None).keep()
    return FitResult(model, metrics, history, card, out, dict(details or {}), trained)
