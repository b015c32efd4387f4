"""What every task model shares: the input block plus the recurrent stack (the trunk)."""

import inspect

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
