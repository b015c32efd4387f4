"""Training precision: float32, or mixed bfloat16 / float16 with float32 variables and a float32 loss.

`rnnzoo.train(..., precision="bfloat16")` (and `fit`, and the CLI's `--precision`) trains with every layer
computing in the low-precision dtype (Keras' `mixed_bfloat16` / `mixed_float16` policies: the variables stay
float32 and are cast on use, so the optimizer updates float32 weights), except the layers that produce the model's
outputs, which compute in float32 so the softmax and the loss see float32 logits, and the layers the task keeps
float32 (`Task.mixed_precision_float32`: a seq2seq model's source side) or, where set, those named in
`rnnzoo.config.settings.float32_layers`. float16 also scales the loss
(`keras.optimizers.LossScaleOptimizer`) against underflowing gradients. rnnzoo's recurrent kernels multiply in
the compute dtype on TensorFlow and on PyTorch (`torch.lstm` / `torch.gru` on bfloat16 tensors reach oneDNN's bf16
path); on TensorFlow they keep their gates and states in float32, as the attention decoder's step and the
parallel cells' scans do on every backend. "auto" picks bfloat16 where the hardware multiplies it fast (a CPU with AVX512-BF16 or AMX, a GPU with
bf16 units) and float32 elsewhere.

The precision is a training setting, not a property of the model: when training ends the layers return to
float32, so the saved model, its evaluation and every export are float32 (a quantized export is asked for
separately). The card records what was asked and what ran (`card.training["precision"]`).

What the hardware offers is `rnnzoo.hardware`'s to say; whether the training step compiles with XLA is
`rnnzoo.xla`'s decision. This module is the precision policy alone.

Examples:
>>> from rnnzoo.precision import resolve
>>> resolve("float32")
'float32'
"""

import contextlib

import keras

from rnnzoo.hardware import describe_cpu, describe_hardware, fast_bfloat16

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
_MIXED = {"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def resolve(precision):
    """The precision that will run: `precision` itself, or for "auto" bfloat16 where the hardware has fast bf16
    (AVX512-BF16 or AMX on the CPU, bf16 units on every GPU) and float32 elsewhere."""
    name = "float32" if precision is None else str(precision).lower()
    name = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32", "mixed_bfloat16": "bfloat16",
            "mixed_float16": "float16"}.get(name, name)
    if name not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {list(PRECISIONS)} "
                         "(mixed precision: float32 variables, the named dtype for the computations).")
    return ("bfloat16" if fast_bfloat16() else "float32") if name == "auto" else name


def _output_layers(model):
    """The layers whose outputs are the model's outputs (they stay float32: logits and the loss in float32)."""
    found = set()
    for tensor in getattr(model, "outputs", None) or []:
        history = getattr(tensor, "_keras_history", None)
        if history is not None:
            found.add(id(history[0]))
    return found


def float32_layer_names(default=(), model=None):
    """The names of the layers kept float32 under mixed precision: `rnnzoo.config.settings.float32_layers`, or,
    where it is None (the default), `default` (the fitting loop passes the task's `mixed_precision_float32`).
    With `model`, only the names of its layers (nested ones included)."""
    from rnnzoo import config

    chosen = config.settings.float32_layers
    names = tuple(default if chosen is None else chosen)
    if model is not None:
        present = {layer.name for layer in _layers(model)}
        names = tuple(name for name in names if name in present)
    return names


def _kept_float32(model, names):
    """The layers named in `names`, and every layer inside them."""
    names = set(names)
    found = set()
    for layer in _layers(model) if names else ():
        if layer.name in names:
            found |= {id(layer)} | {id(inner) for inner in _layers(layer)}
    return found


def _layers(model):
    """Every layer of `model`, nested ones (RNN cells, the two directions of a Bidirectional) included."""
    seen, stack = {}, [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen[id(layer)] = layer
        stack.extend(layer._flatten_layers(include_self=False, recursive=False))
        cell = getattr(layer, "cell", None)
        if isinstance(cell, keras.layers.Layer):
            stack.append(cell)
    return [layer for key, layer in seen.items() if layer is not model]


@contextlib.contextmanager
def training_precision(model, precision, float32_layers=None):
    """Inside the block, `model`'s layers compute in `precision` (mixed, float32 variables); on leaving it they
    are float32 again and the model's compiled train/test/predict functions are dropped, so the next call traces
    a float32 graph. Layers whose policy the user set to something other than float32 are left alone, and so are
    the output layers and the layers named in `float32_layers` (the fitting loop passes what
    `float32_layer_names` chose; None: `rnnzoo.config.settings.float32_layers`, or none).

    Yields the precision that runs ("auto" resolved).
    """
    resolved = resolve(precision)
    if resolved == "float32":
        yield resolved
        return
    names = float32_layer_names() if float32_layers is None else float32_layers
    outputs = _output_layers(model) | _kept_float32(model, names)
    changed = []
    for layer in _layers(model):
        policy = layer.dtype_policy
        if id(layer) in outputs or policy.name != "float32" or getattr(policy, "quantization_mode", None):
            continue
        changed.append((layer, policy))
        layer.dtype_policy = _MIXED[resolved]
    drop_compiled_functions(model)
    try:
        yield resolved
    finally:
        for layer, policy in changed:
            layer.dtype_policy = policy
        drop_compiled_functions(model)


def drop_compiled_functions(model):
    """Forgets `model`'s compiled train/test/predict steps, so the next call compiles them again (after a dtype
    policy or XLA setting changed)."""
    for name in ("train_function", "test_function", "predict_function"):
        if getattr(model, name, None) is not None:
            setattr(model, name, None)


def loss_scaled(optimizer, precision):
    """`optimizer` wrapped in Keras' dynamic loss scaling for float16 (gradients that would underflow in float16
    are scaled up, then down before the update); unchanged for other precisions."""
    if precision != "float16" or isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


def announce(precision, requested=None):
    """The line printed when training starts: which precision runs, and why where "auto" chose it."""
    if precision == "float32":
        text = "float32"
    else:
        text = f"mixed {precision} (float32 variables and loss, {precision} computations)"
    why = ""
    if str(requested).lower() == "auto":
        info = describe_hardware()
        gpus = ", ".join(g["name"] for g in info["gpus"])
        why = f" — chosen by precision='auto' for {gpus or describe_cpu(info['cpu'])}"
    return f"rnnzoo: training in {text}{why}"
