"""One fitting loop under every task: seeding, splitting, callbacks, atomic writes, one result type.

`rnnzoo.train` has every task prepare its data (`Task.prepare_training` → `Plan`) and builds the model, then
calls `fit` with one `TrainConfig`. So every trained model, of every task, gets the same callbacks (TerminateOnNaN, early stopping that restores the best weights, resumable
BackupAndRestore checkpoints, an optional time limit, learning-rate reduction and gradient-norm logging) and lands
as the same three files, each written atomically: `model.keras` (with its model card), `metrics.json` and
`history.json`.

Examples:
>>> result = fit(model, (x, y), (x_val, y_val), card=ModelCard(model="lstm_regressor", task="regressor"),
...              epochs=5, out="runs/adding")  # doctest: +SKIP
"""

import contextlib
import dataclasses
import json
import os
import sys
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

    Examples:
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


@dataclasses.dataclass
class TrainConfig:
    """The settings of one training run, for every task (flax's `config` of `train_and_evaluate(config, workdir)`).

    `rnnzoo.train(name, data, config, **overrides)` and `fit(..., config, **overrides)` take one; a keyword that
    is no field here, no option of the task (`Task.train_options`) and no builder option raises and names the
    known ones. The card records the config (`card.training["config"]`).

    Attributes:
        epochs: int. Most epochs (early stopping on the validation loss).
        batch_size: int or None. Examples per batch (the global batch under `distribution`).
        learning_rate, optimizer: the optimizer (a Keras optimizer name).
        clipnorm: float or None. Clip each gradient to this norm (None: no clipping).
        patience: int. Epochs without validation improvement before stopping; the best weights are restored.
        seed: int. Weights, dropout and shuffling (and the split, unless the task's `split_seed` is set).
        minutes: float or None. Time budget: training stops after the epoch that would overrun it.
        reduce_lr_patience: int or None. Halve the learning rate after this many epochs without improvement.
        log_gradient_norm: bool. Record the global gradient norm and the clipped fraction per epoch.
        distribution: None, "mirrored", "multi_worker", "data_parallel" or a strategy object
            (`rnnzoo.distribute`): data-parallel training.
        precision: "float32", "bfloat16", "float16" or "auto" (`rnnzoo.precision`): mixed precision for training;
            the model is float32 again afterwards.
        label_smoothing: float. Label smoothing of the cross-entropy (0 = none).
        verbose: int. Keras verbosity (0 silent, 1 progress bars, 2 a line per epoch).
        callbacks: list. Extra Keras callbacks.
        init_from: str or None. A saved model of the same architecture and vocabularies to start from.
        model: dict. Builder overrides (e.g. `{"units": 64}`); may hold `embeddings`, a callable of the fitted
            text encoder.
        task: dict. Options only one task has (`Task.train_options`: a text task's `split` or `min_frequency`,
            a forecaster's `input_length` or `horizon`, ...).
    """

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    clipnorm: float = 1.0
    optimizer: str = "adam"
    patience: int = 3
    seed: int = 0
    minutes: float = None
    reduce_lr_patience: int = None
    log_gradient_norm: bool = False
    distribution: object = None
    precision: str = "float32"
    label_smoothing: float = 0.0
    verbose: int = 1
    callbacks: list = dataclasses.field(default_factory=list)
    init_from: str = None
    model: dict = dataclasses.field(default_factory=dict)
    task: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def make(cls, config=None, task_options=None, model_options=(), defaults=None, **overrides):
        """A config from `config` (or the defaults, updated by `defaults`), with `overrides` sorted into its
        fields, the task options (`task_options`: name → default) and the builder options (`model_options`:
        names; a task's own builder may take more, so None accepts any). Unknown names raise ValueError."""
        if config is None:
            config = cls(**(defaults or {}))
        elif not isinstance(config, cls):
            raise ValueError(f"config must be a rnnzoo TrainConfig; got {type(config).__name__}. Pass settings as "
                             "keywords (epochs=5) or TrainConfig(epochs=5).")
        else:
            config = dataclasses.replace(config, model=dict(config.model), task=dict(config.task),
                                         callbacks=list(config.callbacks))
        fields = {f.name for f in dataclasses.fields(cls)} - {"model", "task"}
        checked, task_options = task_options is not None, dict(task_options or {})
        unknown = []
        for name, value in overrides.items():
            if name in fields:
                setattr(config, name, list(value or []) if name == "callbacks" else value)
            elif name in task_options:
                config.task[name] = value
            elif model_options is None or name in model_options:
                config.model[name] = value
            else:
                unknown.append(name)
        if checked:  # the task's options, with their defaults (a config already made keeps its own)
            unknown += sorted(set(config.task) - set(task_options))
            config.task = {**task_options, **config.task}
        if unknown:
            raise ValueError(f"Unknown training settings {sorted(unknown)}. Known: training {', '.join(sorted(fields))}; "
                             f"task {', '.join(sorted(task_options)) or '-'}; model "
                             f"{', '.join(sorted(set(model_options or ()) - {'metadata', 'name'})) or '-'}.")
        return config

    def record(self):
        """The config as a JSON-able dict for the model card (callables and objects by name)."""
        def plain(value):
            if isinstance(value, (str, int, float, bool)) or value is None:
                return value
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {str(k): plain(v) for k, v in value.items()}
            return getattr(value, "__name__", type(value).__name__)

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclasses.dataclass
class Plan:
    """What a task prepares for `rnnzoo.train` (`Task.prepare_training`).

    Attributes:
        card: `ModelCard`. Task, data, split and settings (training details and metrics are added by the loop).
        train, validation: what `fit` takes (a `tf.data.Dataset` or an `(x, y)` tuple; validation may be None).
        build: dict. Builder options the data decides (vocabulary size, number of features, horizon, ...).
        evaluate: callable `keras.Model -> dict` or None. Held-out metrics at the end of training.
        finalize: callable `(keras.Model, build) -> keras.Model` or None, where `build(**options)` builds the same
            registered model with other options (e.g. the stateless twin of a stateful language model).
        shuffle: bool. Shuffle arrays every epoch.
        callbacks: list. Keras callbacks the task needs.
        details: dict. Task extras of the `FitResult` (`result.encoder`, `result.forecaster`, ...).
    """

    card: ModelCard
    train: object
    validation: object = None
    build: dict = dataclasses.field(default_factory=dict)
    evaluate: object = None
    finalize: object = None
    shuffle: bool = False
    callbacks: list = dataclasses.field(default_factory=list)
    details: dict = dataclasses.field(default_factory=dict)


def fit(model, train, validation=None, *, card, config=None, out=None, shuffle=False, compile=True, finalize=None,
        evaluate=None, details=None, **settings):
    """Trains `model`, evaluates it, records its card and writes the three files.

    Args:
        model: a built rnnzoo model.
        train: a `tf.data.Dataset` of (inputs, targets) batches, or an `(x, y)` tuple of arrays.
        validation: the same kinds, or None (then no early stopping).
        card: `ModelCard`. Completed here with the metrics, the epochs run and the versions, then stored in the
            model.
        config: `TrainConfig` or None; `**settings` update it (`epochs=5`, `precision="bfloat16"`, ...).
        out: str or None. Directory for model.keras, metrics.json, history.json and the resumable backup (an
            interrupted run started again with the same arguments resumes from its last finished epoch, and
            its history.json covers every epoch). The three files are replaced together, only at the end: until
            then the previous model in `out` stays as it was and loadable. One training at a time per `out`.
            Under `distribution`, only the chief writes the model and its files in `out`; another worker keeps its
            resumable backup in `out/.worker-K` until training finishes.
        shuffle: bool. Shuffle arrays every epoch (datasets shuffle themselves).
        compile: bool. Compile with the task's loss and metrics (False: the caller compiled the model).
        finalize: callable or None. `model → model` after training (e.g. the stateless twin of a stateful LM).
        evaluate: callable or None. `model → metrics dict` on held-out data.
        details: dict or None. Task extras for the `FitResult`.

    Returns:
        A `FitResult` (with `result.trained`, the `TrainedModel`).
    """
    from rnnzoo import distribute

    config = TrainConfig.make(config, model_options=set(), defaults={"verbose": 0}, **settings)
    plan = distribute.plan(config.distribution)
    distribute.check_batch(plan, config.batch_size)
    run = dict(shuffle=shuffle, compile=compile, finalize=finalize, evaluate=evaluate, details=details)
    if plan is not None and not plan.chief and out:
        # A worker other than the chief trains in `out/.worker-K`: its backup lets it resume with the chief when
        # the whole job is started again; its files are removed when training finishes.
        import shutil

        scratch = os.path.join(out, f".worker-{plan.index}")
        result = _fit(model, train, validation, card, config, scratch, plan, **run)
        shutil.rmtree(scratch, ignore_errors=True)
        if os.path.isdir(out) and not os.listdir(out):
            os.rmdir(out)
        return dataclasses.replace(result, out=None)
    with exclusive(out) if out else contextlib.nullcontext():  # one training at a time per output directory
        return _fit(model, train, validation, card, config, out, plan, **run)


def _planned_steps(data, epochs):
    """Batches per epoch × epochs where the dataset knows its length, else None."""
    try:
        batches = int(data.cardinality())
    except (AttributeError, TypeError):
        batches = len(data) if hasattr(data, "__len__") else -1
    return batches * int(epochs) if batches >= 0 else None


def _fit(model, train, validation, card, config, out, plan, shuffle, compile, finalize, evaluate, details):
    from rnnzoo import distribute, precision as precisions

    epochs, batch_size, verbose = config.epochs, config.batch_size, config.verbose
    learning_rate, clipnorm, optimizer = config.learning_rate, config.clipnorm, config.optimizer
    precision, label_smoothing = config.precision, config.label_smoothing
    requested, precision = precision, precisions.resolve(precision)  # a bad name fails before any work

    scope = contextlib.nullcontext  # called for a fresh context each time (a strategy's or distribution's scope)
    if isinstance(train, tuple):  # arrays: batches in an order that follows the epoch number, as for text datasets
        train = array_dataset(*train, batch_size=batch_size or 32, shuffle=shuffle,
                              seed=int(config.seed))
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
        fit_callbacks.append(keras.callbacks.EarlyStopping(patience=config.patience, restore_best_weights=True))
    if config.reduce_lr_patience:
        fit_callbacks.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=int(config.reduce_lr_patience)))
    if config.log_gradient_norm:
        from rnnzoo.diagnostics import GradientNormLogger

        fit_callbacks.append(GradientNormLogger())
    if config.minutes:
        fit_callbacks.append(TimeLimit(config.minutes))
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
    fit_callbacks += list(config.callbacks or [])
    kwargs = dict(x=train, shuffle=False)
    if verbose == 1 and not _interactive():
        verbose = 2  # one line per epoch where output is a file or a pipe (CI, `make demo > log`): no \r bars
    if verbose:  # with the progress lines (verbose=0 asked for silence; the card records it either way)
        print(precisions.announce(precision, requested), file=sys.stderr, flush=True)  # a notice, not a result
    # JAX shards each batch over the devices only inside the distribution's scope; the precision holds for
    # training only (the model leaves it float32, to be evaluated, saved and exported as such)
    from rnnzoo import xla as xlas

    xla = xlas.xla_training(model, precision, train, distributed=plan is not None,
                                  steps=_planned_steps(train, epochs))
    card.training = {**card.training, "xla": xla}
    kept = ()
    if precision != "float32":  # the layers kept float32 under mixed precision: the task's, or the user's
        kept = precisions.float32_layer_names(get_task(card.task).mixed_precision_float32, model)
        card.training = {**card.training, "float32_layers": list(kept)}
    with scope(), precisions.training_precision(model, precision, kept), xlas.compiled_with_xla(model, xla):
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
                     "optimizer": optimizer, "patience": config.patience, "minutes": config.minutes,
                     "config": config.record(),
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
