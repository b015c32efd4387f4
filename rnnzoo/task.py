"""The task contract: what a task object owns, and the registry of tasks.

A task (classifier, tagger, language model, seq2seq, forecaster, ...) is an object defined next to its builders
(`rnnzoo/tasks/<task>/`). Training, evaluation, serving and export call its methods and never compare task
names, so a new task (even one defined in a user's own file) trains, saves, loads, predicts, evaluates and exports
without an edit to a shared module. Every method has a default that either does the common thing or raises an
error saying what the task does not support.

Examples:
>>> class Echo(Task):
...     name = "echo_example"
...     def loss(self):
...         return "mse"
>>> register_task(Echo()).name
'echo_example'
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class Examples:
    """Encoded examples: variable-length id arrays (or a tuple of such lists) and their targets."""

    inputs: object
    targets: object

    def __len__(self):
        return len(self.targets)


@dataclasses.dataclass
class Verb:
    """A command-line verb a task offers: `rnnzoo NAME MODEL ITEM...` (items from arguments, `--file` or standard
    input, one per line). The CLI builds its subcommands from the verbs of the registered tasks, so a new task's
    verb appears without an edit to `cli.py`.

    Attributes:
        name: str. The subcommand.
        help: str. One line for `rnnzoo --help`.
        run: callable `(trained, items, options) -> list`: one JSON-able result per item (`trained` is the
            `TrainedModel`, `options` the parsed argparse namespace).
        options: tuple of `((flag, ...), {argparse keyword arguments})` pairs.
        render: callable `result -> str` for the human-readable output (default: JSON).
    """

    name: str
    help: str
    run: object
    options: tuple = ()
    render: object = None


TEXT_OPTIONS = {"split": (0.8, 0.1, 0.1), "split_seed": None, "min_frequency": 2, "max_vocabulary": 20000,
                "window": None, "text_options": None, "stateful": False}
"""The training options of text tasks (`Task.train_options`):

    split: tuple. Train/validation/test fractions.
    split_seed: int or None. Seed of the split alone (default: the config's seed).
    min_frequency, max_vocabulary: vocabulary settings; rarer tokens become `[UNK]`.
    window: int or None. Language models: length of training windows.
    text_options: dict or None. Tokenizer options (`level`, `lowercase`, `normalization`, `max_length`).
    stateful: bool. Language models: truncated BPTT over the whole text, the state carried from one window to
        the next (the saved model is the stateless twin).
"""


class Task:
    """Base class of task objects. Subclass it, set `name`, override what the task does differently.

    Attributes:
        name: str. The name models register under (`register_model(..., task=name)`).
        sequence_output: bool. Whether the output has a time axis aligned with the input.
        text_field: str or None. Attribute of the training data the input text pipeline is fitted on
            ("texts", "tokens", "sources"); None for tasks without a text input.
        tokenized: bool. The text field holds token lists rather than strings.

        mixed_precision_float32: tuple of layer names that keep computing in float32 when the model trains in
            mixed precision (besides its output layers), unless `rnnzoo.config.set(float32_layers=...)` names
            others.

    Optional capabilities, read with `getattr(task, name, False)`: `decoder` (an encoder–decoder that
    `Seq2SeqStep` can step), `stateful_training` (`train(..., stateful=True)`), `tree_input` (tree arrays in).
    """

    name = None
    sequence_output = False
    text_field = None
    tokenized = False
    mixed_precision_float32 = ()
    train_defaults = {}  # `TrainConfig` defaults of this task (e.g. more epochs for a small forecaster)

    def trainer(self):
        """The module that prepares this task's training data when it has no text pipeline: it holds `OPTIONS`
        (the task's options with their defaults) and `prepare(spec, data, config, validation_data, test_data)`
        (→ `rnnzoo.fitting.Plan`). None (the default): the shared text pipeline, `rnnzoo.training.prepare_text`."""
        return None

    @property
    def train_options(self):
        """Options of `rnnzoo.train` that only this task has, with their defaults (`TrainConfig.task`)."""
        trainer = self.trainer()
        if trainer is not None:
            return dict(trainer.OPTIONS)
        return dict(TEXT_OPTIONS) if self.text_field else {}

    def __repr__(self):
        return f"<task {self.name}>"

    # -- training -----------------------------------------------------------------------------------------------
    def loss(self):
        """The Keras loss of the model's output. Tasks whose loss can smooth labels take `label_smoothing=`."""
        raise NotImplementedError(f"Task {self.name!r} defines no loss.")

    def metrics(self):
        """Keras metrics compiled with the model."""
        return []

    def example_batch(self, config, batch_size, length, seed):
        """A random `(x, y)` batch for a model built with `config` (used by the shared model tests)."""
        raise NotImplementedError(f"Task {self.name!r} defines no example batch.")

    def fit_outputs(self, train_data, text_options):
        """What the model outputs, learned from the training data: `(outputs, card_fields)`.

        `outputs` is what `encode` needs besides the input encoder (label names, a target `TextEncoder`, or None);
        `card_fields` are `ModelCard` fields to record (e.g. `{"labels": [...]}`)."""
        return None, {}

    def outputs_from_card(self, card):
        """The `outputs` of `fit_outputs`, rebuilt from a saved model's card."""
        return card.labels

    def head_options(self, outputs):
        """Builder options that follow from the outputs (e.g. `num_classes`)."""
        return {}

    def prepare_training(self, spec, data, config, validation_data=None, test_data=None):
        """What `rnnzoo.train` fits: a `rnnzoo.fitting.Plan` (card, batches, builder options from the data,
        held-out evaluation), made by the task's `trainer()`. None: a text task, prepared by
        `rnnzoo.training.prepare_text` through `fit_outputs`, `encode` and `evaluate`."""
        trainer = self.trainer()
        return None if trainer is None else trainer.prepare(spec, data, config, validation_data, test_data)

    def encode(self, data, encoder, outputs, window=None):
        """Turns a dataset into `Examples` (model inputs and targets)."""
        raise ValueError(f"Task {self.name!r} encodes no text data; rnnzoo.train prepares it with the task's "
                         "prepare_training.")

    def evaluate(self, trained, data, examples_metrics, **options):
        """Task metrics beyond the compiled loss and metrics (e.g. decoded exact match) of a `TrainedModel` on a
        dataset; a dict."""
        return {}

    def evaluate_saved(self, trained, data, **options):
        """`rnnzoo evaluate` for a task without a text pipeline (`text_field` None): scores a `TrainedModel` on `data`
        (a dataset name or a file in the task's own format) and returns the metrics with `evaluated_on` and
        `examples`. Tasks with a text pipeline go through `rnnzoo.evaluation` instead."""
        raise ValueError(f"`rnnzoo evaluate` is not available for {self.name} models; score them with their task's "
                         "own functions (see its module docstring).")

    # -- examples: a small dataset of the task's kind (the shared end-to-end test, tutorials) ---------------------
    def example_data(self, seed=0):
        """A small dataset of this task's kind that `rnnzoo.train` takes (tens of examples, learnable in an epoch
        or two by a tiny model): the shared end-to-end test trains one model of every task on it. None: none."""
        return None

    def example_requests(self, data, directory):
        """`(items, evaluation_data)` for a model trained on `example_data`: what the task's first verb takes
        (texts, or files it writes into `directory`) and what `rnnzoo.evaluate` takes. Text tasks: the first
        texts of the data, and the data itself."""
        if not self.text_field:
            raise NotImplementedError(f"Task {self.name!r} defines no example_requests.")
        values = getattr(data, self.text_field)[:3]
        return [" ".join(v) if self.tokenized else v for v in values], data

    # -- command line --------------------------------------------------------------------------------------------
    def verbs(self):
        """The command-line verbs of this task's models (`Verb` objects); none by default."""
        return []

    # -- export -------------------------------------------------------------------------------------------------
    def text_signature(self, trained, kit, max_new_tokens):
        """A raw-string SavedModel signature: `(name, tf.function, description)` or None.

        `kit` is the SavedModel exporter's toolbox (`rnnzoo.export.saved_model.TextKit`): TensorFlow, the in-graph
        source text side, and helpers for target text and detokenization."""
        return None

    def streaming_units(self, trained, sequence_length):
        """Extra TFLite files for on-device decoding of a `TrainedModel`: a list of `(base name, function, input
        specs)` (the step builders are in `rnnzoo.export.streaming`)."""
        return []


TASKS = {}


def register_task(task):
    """Registers a task object under `task.name`; a duplicate name raises ValueError."""
    if not isinstance(task, Task):
        raise ValueError(f"register_task takes a Task instance; got {type(task).__name__}.")
    if not task.name or task.name in TASKS:
        raise ValueError(f"Task name {task.name!r} is empty or already registered.")
    TASKS[task.name] = task
    return task


def get_task(name):
    """The task object registered under `name`."""
    if isinstance(name, Task):
        return name
    if name not in TASKS:
        from rnnzoo.registry import load_builtins

        load_builtins()
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}; registered tasks: {sorted(TASKS)}.")
    return TASKS[name]


def random_token_batch(vocabulary_size, batch_size, length, seed, min_length=None):
    """Random right-padded id sequences in which every non-padding id appears at least once."""
    rng = np.random.default_rng(seed)
    min_length = min_length or max(2, length // 2)
    lengths = rng.integers(min_length, length + 1, size=batch_size)
    lengths[0] = length
    x = np.zeros((batch_size, length), dtype="int32")
    ids = np.concatenate([np.arange(1, vocabulary_size), rng.integers(1, vocabulary_size, batch_size * length)])
    pos = 0
    for i, n in enumerate(lengths):
        x[i, :n] = ids[pos:pos + n]
        pos += n
    if pos < vocabulary_size - 1:
        raise ValueError("Batch too small to contain every token id; raise batch_size or length.")
    return x, lengths
