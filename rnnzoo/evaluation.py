"""Honest evaluation: which examples are fair to score a trained model on, and the scoring itself.

`held_out` rebuilds the held-out split recorded in a model card (checked against its fingerprint) and never
scores training examples as if they were held out; `evaluate_trained` scores a trained-model object on a data
source (`rnnzoo.evaluate`, `TrainedModel.evaluate`). The functions here take the resolved object; making one
from a path or a preset name is `rnnzoo.trained`'s job.
"""

import os

from rnnzoo import datasets
from rnnzoo.card import DataRecord
from rnnzoo.task import get_task
from rnnzoo.text import make_dataset


def resolve_data(data, task):
    """Loads `data` when it is a name or path; returns (dataset, source name) after checking it fits `task`."""
    task = get_task(task)
    source = data if isinstance(data, str) else getattr(data, "name", "data")
    if isinstance(data, str):
        data = datasets.load(data, task=task.name)
    kind = getattr(data, "task", None)
    if kind != task.name:
        raise ValueError(
            f"Data {source!r} is for a {kind or type(data).__name__} but the model is a {task.name}; "
            f"pick a matching model (rnnzoo list) or data source."
        )
    data.check_not_empty()
    return data, source


def evaluate_examples(model, examples, batch_size=64):
    """Evaluates `model` on encoded examples with its compiled loss and metrics."""
    if not getattr(model, "compiled", False):  # e.g. a stateless twin made after training, or a shipped model
        from rnnzoo.saving import compile_model

        compile_model(model)
    ds = make_dataset(examples.inputs, examples.targets, batch_size)
    metrics = model.evaluate(ds, return_dict=True, verbose=0)
    return {k: float(v) for k, v in metrics.items()}


def held_out(card, data, source):
    """The part of `data` that is fair to score a model with `card` on, and a sentence saying what it is.

    - `data` is the training source (same fingerprint): the recorded split is rebuilt, checked against the
      held-out fingerprint, and its held-out part returned.
    - `data` is the model's held-out data itself (a split passed in explicitly): all of it.
    - `data` has the training source's name but different content: refused (a rebuilt split would mix training
      examples into the "held-out" part).
    - Any other data: all of it, said so.
    """
    recorded = card.data or DataRecord()
    rule = card.split
    mine = data.fingerprint()
    if recorded.fingerprint and mine == recorded.fingerprint:
        if rule is not None and rule.method == "characters":
            return _held_out_characters(rule, data, source)
        if rule is None or rule.method != "fractions":
            raise ValueError(
                f"{source!r} is the data this model was trained on (its validation and test data were passed "
                "separately, so they cannot be rebuilt from it). Evaluate on the held-out data instead.")
        parts = data.split(tuple(rule.fractions), seed=rule.seed)
        part = parts[2] if rule.held_out == "test" else parts[1]
        if rule.held_out_fingerprint and part.fingerprint() != rule.held_out_fingerprint:
            raise ValueError(
                f"Rebuilding the split of {source!r} (fractions {rule.fractions}, seed {rule.seed}) gave different "
                "held-out examples than the model card records; the split rule changed. Evaluate on a file of the "
                "held-out examples instead.")
        return part, (f"held-out {rule.held_out} split of {source} ({len(part)} of {len(data)} examples; split "
                      f"{rule.fractions}, seed {rule.seed})")
    if rule is not None and rule.held_out_fingerprint and mine == rule.held_out_fingerprint:
        return data, f"{source}: the model's held-out {rule.held_out} data ({len(data)} examples)"
    if recorded.source is not None and _same_source(recorded.source, source):
        if recorded.fingerprint is None:  # a hand-made card: nothing to check a rebuilt split against
            raise ValueError(f"{source!r} is this model's training source, and its card records no fingerprint to "
                             "check a rebuilt split against; evaluate on other data.")
        raise ValueError(
            f"{source!r} is the name of this model's training source, but its content differs from what the "
            f"model was trained on (fingerprint {mine}, the card has {recorded.fingerprint}), so its held-out "
            "split cannot be rebuilt and would mix in training examples. Evaluate on the original data, or on a "
            "file of new examples.")
    return data, f"all of {source} ({len(data)} examples): not this model's training source"


def _same_source(recorded, source):
    """Whether `source` names the card's training source: the same name, or a path to a file of the recorded
    file name (cards record a file's base name, so the model card stays the same wherever the file lives)."""
    return source == recorded or (isinstance(source, str) and os.path.basename(source) == recorded)


def _held_out_characters(rule, data, source):
    """The held-out end of a text split by characters (a char LM trained on the first `counts["train"]`
    characters of a file): re-read from the file, checked against the card's fingerprint, as one running text."""
    from rnnzoo.datasets.base import TextCorpus
    from rnnzoo.datasets.files import _read

    if not (isinstance(source, str) and os.path.isfile(source)):
        raise ValueError(f"This model was trained on the first {rule.counts.get('train')} characters of a text file; "
                         "evaluate it on that file's path so its held-out end can be rebuilt.")
    text = _read(source)
    cut = int(rule.counts["train"])
    validation = int(rule.counts.get("validation") or 0)
    # train | validation | test, in that order: the held-out part is the test end when there is one
    start, end = (cut + validation, len(text)) if rule.held_out == "test" else (cut, cut + validation or len(text))
    held = TextCorpus([line for line in text[start:end].splitlines() if line.strip()])
    if rule.held_out_fingerprint and held.fingerprint() != rule.held_out_fingerprint:
        raise ValueError(f"Characters {start}–{end} of {source!r} are not the held-out text the model card records; "
                         "evaluate on the original file.")
    return (TextCorpus([text[start:end]], name=f"{os.path.basename(source)}[{start}:{end}]"),
            f"held-out {rule.held_out} text of {source}: characters {start}–{end} of {len(text)} (the model "
            f"trained on the first {cut})")


def evaluate_trained(trained, data, batch_size=64, beam_width=1, translation_limit=None):
    """Evaluates a `TrainedModel` on a data source (see `rnnzoo.evaluate`)."""
    card, task = trained.card, trained.task
    if task.text_field is None:  # forecasters, speech, captioners, trees: the task reads and scores its own data
        return task.evaluate_saved(trained, data, batch_size=batch_size, beam_width=beam_width,
                                   limit=translation_limit)
    data, source = resolve_data(data, task)
    data, described = held_out(card, data, source)
    examples = task.encode(data, trained.encoder, trained.outputs, card.get("window"))
    if not len(examples):
        raise ValueError(f"No examples to evaluate in {source!r}.")
    metrics = {"evaluated_on": described, "examples": len(examples)}
    trained.ensure_compiled()
    scores = evaluate_examples(trained.model, examples, batch_size)
    metrics.update(scores)
    metrics.update(task.evaluate(trained, data, scores, beam_width=beam_width, translation_limit=translation_limit))
    return metrics
