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

The fitting loop also decides whether the training step compiles with XLA (`xla_training`, recorded as
`card.training["xla"]`): on a CPU, XLA trains float32 models of rnnzoo's LSTM/GRU kernels faster than TensorFlow's
graph mode, while in bfloat16 it is slower (its CPU bfloat16 multiplies run at float32 speed), so bfloat16 trains
without it (`benchmarks/xla_training.py`).

Example:
>>> from rnnzoo.precision import describe_hardware, resolve
>>> resolve("float32")
'float32'
>>> sorted(describe_hardware())  # doctest: +SKIP
['auto_precision', 'backend', 'cpu', 'gpus', 'threads']
"""

import contextlib
import os
import platform

import keras

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
_MIXED = {"bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def cpu_info():
    """The CPU model, core count and the vector extensions that decide float32 / bfloat16 speed.

    Returns:
        dict with `model` (with the family and model numbers, which tell e.g. Zen 3 from Zen 4 where a virtual
        machine only says "AMD EPYC"), `cores`, and booleans `avx2`, `avx512`, `avx512_bf16`, `amx` (AMX tiles
        with bf16) and `avx512_fp16`. Linux reads /proc/cpuinfo; elsewhere the flags are False.
    """
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())  # the first processor's entry
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields:
        model += f" (family {fields['cpu family']}, model {fields.get('model')})"
    flags = set(fields.get("flags", "").split())
    return {"model": model, "cores": os.cpu_count(), "avx2": "avx2" in flags, "avx512": "avx512f" in flags,
            "avx512_bf16": "avx512_bf16" in flags, "amx": {"amx_tile", "amx_bf16"} <= flags,
            "avx512_fp16": "avx512_fp16" in flags}


def describe_cpu(info=None):
    """'AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX': the line printed beside speed figures."""
    info = cpu_info() if info is None else info
    if info.get("avx512"):
        ext = "AVX-512" + (" + AVX512-BF16" if info.get("avx512_bf16") else "")
    else:
        ext = "AVX2, no AVX-512" if info.get("avx2") else "no AVX2"
    return f"{info['model']}, {info['cores']} cores, {ext}, {'AMX' if info.get('amx') else 'no AMX'}"


def _threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count()


def _gpus():
    """[{name, bf16}] for the GPUs the current Keras backend can use (no backend is imported that is not in use)."""
    backend = keras.backend.backend()
    found = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            for device in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(device)
                found.append({"name": details.get("device_name", device.name),
                              "bf16": tuple(details.get("compute_capability", (0, 0))) >= (8, 0)})
        elif backend == "torch":
            import torch

            for k in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
                found.append({"name": torch.cuda.get_device_name(k),
                              "bf16": torch.cuda.get_device_capability(k) >= (8, 0)})
        elif backend == "jax":
            import jax

            for device in jax.devices():
                if device.platform == "gpu":
                    capability = float(getattr(device, "compute_capability", "0") or 0)
                    found.append({"name": device.device_kind, "bf16": capability >= 8.0})
    except Exception:  # noqa: BLE001  (a driver that cannot be queried: no usable GPU)
        return []
    return found


def describe_hardware():
    """What this machine offers for training: the CPU and its extensions, the threads, the GPUs of the current
    backend, and the precision "auto" picks here.

    Example:
    >>> rnnzoo.describe_hardware()["auto_precision"]  # doctest: +SKIP
    'bfloat16'
    """
    info = {"cpu": cpu_info(), "threads": _threads(), "backend": keras.backend.backend(), "gpus": _gpus()}
    info["auto_precision"] = _auto(info)
    return info


def _auto(info):
    if info["gpus"]:
        return "bfloat16" if all(g["bf16"] for g in info["gpus"]) else "float32"
    return "bfloat16" if info["cpu"]["avx512_bf16"] or info["cpu"]["amx"] else "float32"


def resolve(precision):
    """The precision that will run: `precision` itself, or for "auto" bfloat16 where the hardware has fast bf16
    (AVX512-BF16 or AMX on the CPU, bf16 units on every GPU) and float32 elsewhere."""
    name = "float32" if precision is None else str(precision).lower()
    name = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32", "mixed_bfloat16": "bfloat16",
            "mixed_float16": "float16"}.get(name, name)
    if name not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {list(PRECISIONS)} "
                         "(mixed precision: float32 variables, the named dtype for the computations).")
    return _auto(describe_hardware()) if name == "auto" else name


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
    _drop_compiled_functions(model)
    try:
        yield resolved
    finally:
        for layer, policy in changed:
            layer.dtype_policy = policy
        _drop_compiled_functions(model)


XLA_MIN_STEPS = 500  # compiling a 2-layer char LM's step takes ~5 s here; it saves ~25 ms a step


def xla_training(model, precision="float32", data=None, distributed=False, steps=None):
    """Whether training `model` in `precision` on `data` compiles its step with XLA (`rnnzoo.config`'s
    `xla_training`: True, False, or "auto").

    "auto" says yes on TensorFlow on a CPU (Keras' own default there is no), in float32, on one device, for a
    model made only of layers known to compile and run faster under XLA (`_XLA_LAYERS`: its LSTM/GRU layers on
    rnnzoo's kernel, `rnnzoo.layers.kernels`), when every batch of `data` (a `tf.data`
    dataset; None: the caller feeds one shape) has one length, since XLA compiles once per input shape, and the
    training is long enough to repay the compilation (`steps`, the training steps planned, at least
    `XLA_MIN_STEPS`; None: unknown, taken as long enough). The
    kernels' step is laid out for XLA's CPU fusions: the char LM trained 1.2–1.3× faster per token than without
    XLA (benchmarks/RESULTS.md). In bfloat16 XLA's CPU matrix multiplies run at float32 speed while TensorFlow's
    oneDNN ones run about 1.5× faster, so bfloat16 trains without XLA."""
    from rnnzoo import config

    choice = config.settings.xla_training
    if keras.backend.backend() != "tensorflow" or choice is False:
        return False
    from keras.src.trainers.trainer import model_supports_jit

    if not model_supports_jit(model):
        return False
    if choice is True:
        return True
    if resolve(precision) != "float32" or distributed or _gpus() or not _xla_ready(model):
        return False
    if steps is not None and steps < XLA_MIN_STEPS:
        return False
    return data is None or _one_length(data)


# what "auto" compiles with XLA: models made only of these layers (the recurrent ones on rnnzoo's kernel). Others,
# such as the attention decoder, whose loop XLA cannot compile (its gradient's TensorList has no fixed size), or
# layers not yet tried under XLA, train without it.
# A Bidirectional layer trained no faster under XLA here (1.02–1.03× the graph step's time, bilstm classifier and
# tagger, benchmarks/xla_training.py), so it is left out too.
_XLA_LAYERS = {"keras": {"InputLayer", "Embedding", "Dense", "Dropout", "Add", "Concatenate", "Identity",
                         "LSTMCell", "GRUCell"},
               "rnnzoo": {"LSTM", "GRU", "Metadata", "OneHot", "MaskedGlobalPooling1D"}}


def _xla_ready(model):
    """Whether `model` is one "auto" compiles with XLA: an LSTM/GRU layer on rnnzoo's kernel, every recurrent layer
    on it, and only layers from `_XLA_LAYERS`."""
    from rnnzoo.layers import kernels
    from rnnzoo.layers.recurrent import GRU, LSTM

    layers = list(model._flatten_layers(include_self=False))
    recurrent = [layer for layer in layers if isinstance(layer, (LSTM, GRU))]
    known = all(type(layer).__name__ in _XLA_LAYERS.get(type(layer).__module__.split(".")[0], ())
                for layer in layers)
    return known and bool(recurrent) and all(kernels.eligible(layer) for layer in recurrent)


def _one_length(data):
    """Whether every batch of a `tf.data` dataset has the same shape past the batch axis (unknown: no)."""
    import tensorflow as tf

    spec = getattr(data, "element_spec", None)
    if spec is None:
        return False
    inputs = spec[0] if isinstance(spec, tuple) else spec
    return all(s.shape.rank is not None and s.shape[1:].is_fully_defined() for s in tf.nest.flatten(inputs))


@contextlib.contextmanager
def compiled_with_xla(model, on):
    """Inside the block `model`'s train, test and predict steps compile with XLA when `on`; on leaving it the
    model's own setting returns and the compiled steps are dropped. When not `on` the model keeps the setting it was
    compiled with (a user's own `jit_compile=True` included).

    With XLA on, Keras' TensorFlow dropout draws its masks with the Philox generator named explicitly
    (`_philox_dropout`): left to choose, XLA's CPU generator took 362 ms for a 64 × 100 × 256 mask, Philox 3 ms."""
    before = getattr(model, "_jit_compile", None)
    if on:
        model.jit_compile = True
    _drop_compiled_functions(model)
    try:
        with _philox_dropout() if on else contextlib.nullcontext():
            yield bool(on)
    finally:
        model._jit_compile = before
        _drop_compiled_functions(model)


@contextlib.contextmanager
def _philox_dropout():
    """Keras' TensorFlow dropout with `rng_alg="philox"` inside the block (the same Keras seeds and rates)."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    from keras.src.backend.tensorflow import random as tf_random

    keras_dropout = getattr(tf_random, "dropout", None)
    if keras_dropout is None or not hasattr(tf_random, "draw_seed"):  # another Keras layout: leave it alone
        yield
        return
    import tensorflow as tf

    def dropout(inputs, rate, noise_shape=None, seed=None):
        if rate in (0.0, 1.0):
            return keras_dropout(inputs, rate, noise_shape=noise_shape, seed=seed)
        seed = tf_random._cast_seed(tf_random.draw_seed(seed))
        noise_shape = tf_random._get_concrete_noise_shape(inputs, noise_shape)
        return tf.nn.experimental.stateless_dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed,
                                                    rng_alg="philox")

    dropout.rnnzoo_philox = True
    tf_random.dropout = dropout
    try:
        yield
    finally:
        tf_random.dropout = keras_dropout


def _drop_compiled_functions(model):
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
