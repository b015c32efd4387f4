"""What every task model shares: the input block plus the recurrent stack (the trunk), and task definitions."""

import dataclasses
import inspect

import numpy as np

from rnnzoo.layers.recurrent import recurrent_stack, sequence_input

_INPUT_OPTIONS = [p for p in inspect.signature(sequence_input).parameters if p not in ("name",)]
_STACK_OPTIONS = [
    p for p in inspect.signature(recurrent_stack).parameters
    if p not in ("x", "name", "return_sequences", "return_state", "layer_options")
]
TRUNK_OPTIONS = tuple(_INPUT_OPTIONS + _STACK_OPTIONS)


def trunk(options, return_sequences, **layer_options):
    """Builds input + recurrent stack from `options` (a dict of `TRUNK_OPTIONS`). Returns (inputs, x).

    `layer_options` go to every Keras recurrent layer (e.g. `activation`, `recurrent_initializer`)."""
    unknown = set(options) - set(TRUNK_OPTIONS)
    if unknown:
        raise ValueError(f"Unknown options {sorted(unknown)}; valid trunk options: {', '.join(TRUNK_OPTIONS)}.")
    inputs, x = sequence_input(**{k: v for k, v in options.items() if k in _INPUT_OPTIONS})
    x = recurrent_stack(
        x, return_sequences=return_sequences, **{k: v for k, v in options.items() if k in _STACK_OPTIONS},
        **layer_options,
    )
    return inputs, x


@dataclasses.dataclass(frozen=True)
class Task:
    """How a family of models is trained and checked.

    Attributes:
        name: str. Task name used by the registry.
        loss: callable returning a Keras loss for the model's output.
        metrics: callable returning a list of Keras metrics.
        example_batch: callable `(config, batch_size, length, seed) -> (x, y)` producing a random batch that
            uses every token id, so one training step touches every weight (used by the shared tests).
        sequence_output: bool. Whether the output has a time axis aligned with the input.
    """

    name: str
    loss: object
    metrics: object
    example_batch: object
    sequence_output: bool


TASKS = {}


def register_task(task):
    if task.name in TASKS:
        raise ValueError(f"Task {task.name!r} is already registered.")
    TASKS[task.name] = task
    return task


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
