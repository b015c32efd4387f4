"""`rnnzoo.train`, one entry point for every task: data → task plan → model → `fitting.fit` → card + files →
`TrainedModel`.

The task object prepares what it trains on (`Task.prepare_training` → `fitting.Plan`: the card, the batches, the
builder options the data decides, the held-out evaluation). Text tasks (classifier, tagger, language model,
seq2seq, and any task a user registers with a `text_field`) share `prepare_text` below: a split, a fitted text
pipeline, the task's `encode`. Forecasting, speech, captioning and trees prepare their own data in their task
modules. Every task then runs the same fitting loop with the same `TrainConfig`, so precision, clipping,
distribution, resume and time limits reach all of them. Evaluation is `rnnzoo.evaluation`.
"""

import dataclasses
import shlex
import sys

import numpy as np

from rnnzoo.card import DataRecord, ModelCard
from rnnzoo import fitting
from rnnzoo.evaluation import evaluate_examples, resolve_data
from rnnzoo.fitting import Plan, ResetStates, TrainConfig
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


def train(model_name, data, config=None, *, out=None, validation_data=None, test_data=None, **settings):
    """Trains a registered model of any task on a data source and evaluates it on held-out data.

    Args:
        model_name: str. A registered name (`rnnzoo.list_models()`).
        data: what the task trains on: for text tasks an embedded dataset name, a file path or a `rnnzoo.datasets`
            object; for forecasters a series (name, CSV file, `SeriesData` or array); for speech `SpeechData` or
            a TSV of `audio.wav<TAB>transcript`; for captioners `CaptionData` or "scenes"; for tree models
            `TreeData` or "trees".
        config: `TrainConfig` or None (the task's defaults, `Task.train_defaults`).
        out: str or None. Directory for `model.keras`, `metrics.json`, `history.json` and a backup that lets an
            interrupted run resume from its last finished epoch.
        validation_data, test_data: data of the same kind, or None. When given, `data` is used whole for training
            and these replace the split (tree models take a dict of named test sets).
        **settings: `TrainConfig` fields (`epochs=5`, `precision="bfloat16"`, `minutes=10`, ...), the task's
            options (`Task.train_options`: e.g. `split`, `min_frequency`, `window`, `stateful` for text tasks;
            `input_length`, `horizon`, `season` for forecasters) and builder options (`units=64`; `embeddings`
            may be a callable of the fitted text encoder). An unknown name raises and lists the known ones.

    Returns:
        A `FitResult`: `result.trained` (the `TrainedModel`), `result.metrics` (held-out), `result.history`,
        `result.card`, and the task's extras (`result.encoder`, `result.splits`, `result.forecaster`, ...).

    Examples:
    >>> result = rnnzoo.train("bilstm_classifier", "sentiment", epochs=5, units=64)  # doctest: +SKIP
    >>> result.metrics["accuracy"], result.trained  # doctest: +SKIP
    >>> rnnzoo.train("gru_forecaster", "sunspots", input_length=22, season=11, out="runs/sun")  # doctest: +SKIP
    """
    spec = get_spec(model_name)
    task = get_task(spec.task)
    config = TrainConfig.make(config, task_options=task.train_options, model_options=spec.options(),
                              defaults=task.train_defaults, **settings)
    plan = task.prepare_training(spec, data, config, validation_data, test_data)
    if plan is None:
        if task.text_field is None:
            raise ValueError(f"Task {task.name!r} prepares no training data: define its prepare_training (see "
                             "rnnzoo.task.Task).")
        plan = prepare_text(spec, task, data, config, validation_data, test_data)
    card = plan.card
    card.training = {"call": "rnnzoo.train", "command": _command(), "seed": config.seed, **card.training,
                     "init_from": config.init_from}

    def build(**options):
        merged = {**spec.defaults, **{k: v for k, v in config.model.items() if k not in options}, **options}
        return spec.builder(name=model_name, **merged, metadata=card.to_dict())

    fitting.seed_everything(config.seed)
    model = build(**plan.build)
    if config.init_from is not None:
        _warm_start(model, config.init_from)
    finalize = None if plan.finalize is None else (lambda trained: plan.finalize(trained, build))
    run = dataclasses.replace(config, callbacks=list(plan.callbacks) + list(config.callbacks))
    return fitting.fit(model, plan.train, plan.validation, card=card, config=run, out=out, shuffle=plan.shuffle,
                       finalize=finalize, evaluate=plan.evaluate, details=plan.details)


def prepare_text(spec, task, data, config, validation_data=None, test_data=None):
    """The `Plan` of a text task: the split (or the given validation and test data), the text pipeline fitted on
    the training part, the task's outputs and encoding, and the held-out evaluation."""
    option = config.task.get
    seed, batch_size = config.seed, config.batch_size
    data, source = resolve_data(data, task)
    split_seed = seed if option("split_seed") is None else int(option("split_seed"))
    if validation_data is None and test_data is None:
        (train_data, val_data, test_data), split_record = fitting.split(data, option("split"), split_seed)
    else:
        train_data = data
        val_data, test_data = (data.subset([]) if d is None else d for d in (validation_data, test_data))
        split_record = fitting.explicit_split(train_data, val_data, test_data)
    min_frequency, max_vocabulary, window = option("min_frequency"), option("max_vocabulary"), option("window")
    stateful = bool(option("stateful"))
    text_options = {**spec.text, **getattr(data, "text_options", {}), **(option("text_options") or {})}
    target_options = {**spec.text.get("target", {}), **getattr(data, "text_options", {}).get("target", {}),
                      **text_options.pop("target", {})}
    encoder = TextEncoder.fit(getattr(train_data, task.text_field), min_frequency=min_frequency,
                              max_size=max_vocabulary, tokenized=task.tokenized, **text_options)
    outputs, fields = task.fit_outputs(train_data, {"min_frequency": min_frequency, "max_size": max_vocabulary,
                                                    "target": target_options})
    build = {**task.head_options(outputs), "vocabulary_size": len(encoder)}
    if callable(config.model.get("embeddings")):  # e.g. vectors learned for this very vocabulary
        build["embeddings"] = config.model["embeddings"](encoder)
    card = ModelCard(model=spec.name, task=task.name, text=encoder.get_config(),
                     data=DataRecord(source=source, fingerprint=data.fingerprint(), examples=len(data)),
                     split=split_record, settings={"window": window, **fields.pop("settings", {})}, **fields,
                     training={"split_seed": split_seed, "min_frequency": min_frequency,
                               "max_vocabulary": max_vocabulary, "stateful": stateful,
                               "model_options": {k: v for k, v in config.model.items() if k != "embeddings"}})
    if stateful and not getattr(task, "stateful_training", False):
        raise ValueError(f"stateful=True is for language models; {spec.name!r} is a {task.name}.")
    if stateful and config.distribution is not None:
        raise ValueError("stateful=True carries one state per stream of a fixed batch, which data-parallel training "
                         "would split across replicas; train the stateless way (stateful=False) with distribution.")
    callbacks = []
    if stateful:
        callbacks.append(ResetStates())
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

    def stateless(trained, rebuild):  # a stateless twin with the same weights serves any batch size and length
        twin = rebuild(**build)
        twin.set_weights(trained.get_weights())
        return twin

    def held_out_metrics(trained):
        test = task.encode(test_data, encoder, outputs, window)
        metrics = evaluate_examples(trained, test, batch_size) if len(test) else {}
        if len(test):
            metrics.update(task.evaluate(TrainedModel(trained, card, task), test_data, metrics,
                                         translation_limit=option("translation_limit")))
        metrics.update(examples={"train": counts[0], "validation": counts[1], "test": len(test)},
                       vocabulary_size=len(encoder))
        return metrics

    return Plan(card=card, train=fit_train, validation=fit_val,
                build={**build, **({"stateful": True, "batch_size": batch_size} if stateful else {})},
                evaluate=held_out_metrics, finalize=stateless if stateful else None, callbacks=callbacks,
                details={"encoder": encoder, "splits": (train_data, val_data, test_data)})
