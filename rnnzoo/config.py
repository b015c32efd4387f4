"""Library-wide settings, set explicitly (never read from the environment at import).

Examples:
>>> from rnnzoo import config
>>> with config.using(fast_kernels=False):  # Keras' own recurrent loop inside this block
...     config.settings.fast_kernels
False
"""

import contextlib
import dataclasses
import os

_FALSE = ("0", "false", "no", "off")


@dataclasses.dataclass
class Settings:
    """Attributes:
        fast_kernels: bool. LSTM/GRU layers train on rnnzoo's fast CPU kernels where they apply
            (`rnnzoo.layers.kernels`); False runs Keras' own loop everywhere. A layer's `fast_kernel` argument
            overrides this for that layer.
        fast_inference: bool. On TensorFlow, inference calls (`predict`, `evaluate`, a model called with
            training=False) of those layers also run a fast loop (`kernels.tf_forward_sequence`: the input projection
            of all steps before the loop). Exports trace with it off, so SavedModel and TFLite keep Keras' graph.
        scan: str. How the parallel cells (minGRU, minLSTM, QRNN, LRU) run their linear recurrence in
            parallel mode: "auto" (the step loop with a hand-written gradient on TensorFlow, the associative
            scan elsewhere), "loop", "blocked" or "associative" (see `rnnzoo.layers.scan`).
        float32_layers: None, or a tuple of layer names. Under mixed precision (`precision="bfloat16"` or
            "float16") these layers, and every layer inside them, keep computing in float32, as the output layers
            do (`rnnzoo.precision`). None (the default): the task's choice (`Task.mixed_precision_float32`; the
            seq2seq task keeps its source side, `("embedding", "encoder_1")`, which narrows bfloat16's WER gap
            to float32 on G2P). A tuple, even an empty one, names them exactly.
        xla_training: "auto", True or False. Whether `fit` compiles the training step with XLA
            (`rnnzoo.xla.xla_training`). "auto": on TensorFlow on a CPU, in float32, for a model of
            layers known to run faster under XLA (LSTM/GRU on rnnzoo's kernel; not the attention decoder or
            `Bidirectional`), batches of one length (XLA compiles once per input shape) and at least 500 steps;
            Keras' own default is never on a CPU.
    """

    fast_kernels: bool = True
    fast_inference: bool = True
    scan: str = "auto"
    float32_layers: object = None
    xla_training: object = "auto"


settings = Settings()


def set(**changes):  # noqa: A001  (the verb users expect: rnnzoo.config.set(fast_kernels=False))
    """Changes settings; unknown names raise ValueError."""
    fields = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(changes.keys() - fields)
    if unknown:
        raise ValueError(f"Unknown settings {unknown}; rnnzoo.config has {sorted(fields)}.")
    if "scan" in changes and changes["scan"] not in ("auto", "loop", "blocked", "associative"):
        raise ValueError(f"Unknown scan {changes['scan']!r}; use 'auto', 'loop', 'blocked' or 'associative'.")
    names = changes.get("float32_layers")
    if names is not None:  # None: the task's choice
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"float32_layers takes a list of layer names, e.g. ['embedding', 'encoder_1'] ([] for "
                             f"none, None for the task's choice); got {names!r}.")
        changes = {**changes, "float32_layers": tuple(names)}
    if "xla_training" in changes and changes["xla_training"] not in ("auto", True, False):
        raise ValueError(f"xla_training takes 'auto', True or False; got {changes['xla_training']!r}.")
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


@contextlib.contextmanager
def using(**changes):
    """Settings changed inside a `with` block only."""
    before = dataclasses.replace(settings)
    set(**changes)
    try:
        yield settings
    finally:
        set(**dataclasses.asdict(before))


def from_environment(environ=None):
    """Applies `RNNZOO_FAST_KERNELS=0` (or false/no/off) from the environment. Entry points (the CLI, benchmark
    workers) call this in their `main`; importing rnnzoo never reads the environment."""
    value = (os.environ if environ is None else environ).get("RNNZOO_FAST_KERNELS")
    if value is not None:
        set(fast_kernels=value.lower() not in _FALSE)
    return settings
