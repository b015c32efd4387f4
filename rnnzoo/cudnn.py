"""Which kernel will each recurrent layer run, per backend and device? Decided from the configuration, so it can
be checked on a CPU (`device="gpu"` answers for a GPU).

Keras 3 picks the fused cuDNN kernel for LSTM and GRU only when the arguments allow it, and falls back to a
generic loop (5–7× slower on a GPU) without a warning. The argument conditions (Keras 3.15): tanh activation,
sigmoid recurrent activation, `recurrent_dropout=0`, `unroll=False`, `use_bias=True`, GRU `reset_after=True`,
`use_cudnn` not False. Then the backend decides (Keras 3.15 source, `backend/*/rnn.py`):

- TensorFlow: `CudnnRNNV3` on a GPU, with sequence lengths from a right-padded mask (left padding takes the
  generic loop); on a CPU, rnnzoo's own kernels (`rnnzoo.layers.kernels`).
- PyTorch: Keras' `lstm`/`gru` refuse any mask, and token models always have one (`Embedding(mask_zero=True)`),
  so rnnzoo's layers call `torch.lstm`/`torch.gru` themselves, with lengths for right-padded rows: cuDNN on CUDA,
  oneDNN on a CPU. Other masks take Keras' per-step loop.
- JAX: Keras' `lstm` reaches cuDNN only without a mask, and there is no cuDNN GRU: token models and GRUs run a
  `lax.scan`. The parallel cells' associative scan is the JAX GPU recurrence to use.
"""

import keras

from rnnzoo import config

_REQUIREMENTS = (
    ("activation", lambda c: c.activation in (keras.activations.tanh, keras.ops.tanh), "activation must be tanh"),
    ("recurrent_activation", lambda c: c.recurrent_activation in (keras.activations.sigmoid, keras.ops.sigmoid),
     "recurrent_activation must be sigmoid"),
    ("recurrent_dropout", lambda c: not c.recurrent_dropout, "recurrent_dropout must be 0 (use dropout between layers)"),
    ("use_bias", lambda c: c.use_bias, "use_bias must be True"),
)


def _recurrent_layers(model):
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Bidirectional):
            continue  # its forward and backward layers are visited on their own
        if isinstance(layer, keras.layers.RNN):
            yield layer


def enabled(layer):
    """Whether `layer` may use one of rnnzoo's fast kernels: its own `fast_kernel` argument, else `rnnzoo.config`."""
    own = getattr(layer, "fast_kernel", None)
    return config.settings.fast_kernels if own is None else bool(own)


def argument_reasons(layer):
    """Which arguments of an LSTM/GRU layer keep it off the fused path (cuDNN, and rnnzoo's CPU kernels)."""
    cell = layer.cell
    reasons = [why for _, ok, why in _REQUIREMENTS if not ok(cell)]
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after must be True (cuDNN's GRU convention)")
    if layer.unroll:
        reasons.append("unroll must be False")
    return reasons


def _machine_device():
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"
        if backend == "torch":
            import torch

            return "gpu" if torch.cuda.is_available() else "cpu"
        if backend == "jax":
            import jax

            return "gpu" if any(d.platform == "gpu" for d in jax.devices()) else "cpu"
    except Exception:  # a backend that cannot list its devices here: report for a CPU
        pass
    return "cpu"


def _masked(model):
    """Whether the model's recurrent layers receive a mask: token models (an embedding or one-hot input with
    `mask_zero`, always on in rnnzoo) and models with a Masking layer."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if getattr(layer, "mask_zero", False) or isinstance(layer, keras.layers.Masking):
            return True
    return False


def kernel_for(layer, backend, device, masked, enabled=True):
    """(kernel, why) for an LSTM/GRU layer whose arguments allow the fused path: the one decision `cudnn_report`
    and the layers' `loop_used` share."""
    kind = "lstm" if isinstance(layer, keras.layers.LSTM) else "gru"
    if backend == "tensorflow":
        if device == "gpu":
            return ("cuDNN", "Keras runs CudnnRNNV3" + (" with lengths from the mask (right padding only; left "
                                                         "padding takes the generic loop)" if masked else ""))
        if enabled:
            return "rnnzoo TensorFlow kernel", "rnnzoo's fused-projection loop (rnnzoo.layers.kernels)"
        return "Keras generic loop", "rnnzoo's kernels are switched off (fast_kernels=False)"
    if backend == "torch":
        if not enabled:
            return "Keras generic loop", "rnnzoo's kernels are switched off, and Keras' torch rnn refuses masks" \
                if masked else "Keras' own torch path (cuDNN on CUDA without a mask)"
        route = f"torch.{kind}"
        if device == "gpu":
            return "cuDNN", f"rnnzoo calls {route} on CUDA" + (" with each row's length (right padding; other "
                                                                "masks take the generic loop)" if masked else "")
        return "oneDNN", f"rnnzoo calls {route} on the CPU" + (" with each row's length" if masked else "")
    if backend == "jax":
        if device == "gpu" and kind == "lstm" and not masked:
            return "cuDNN", "Keras' JAX lstm reaches cuDNN for unmasked input"
        why = ("Keras' JAX lstm refuses masks (token models always have one)" if kind == "lstm"
               else "JAX has no cuDNN GRU in Keras")
        return "Keras generic loop", why + ": a lax.scan runs; the parallel cells' associative scan is the JAX " \
                                           "recurrence to use on a GPU"
    return "Keras generic loop", f"backend {backend!r}"


def layer_report(layer, backend=None, device=None, masked=False):
    """The verdict for one Keras recurrent layer: `{"layer", "cell", "cudnn", "kernel", "why", "reasons"}`:
    `cudnn` whether it runs cuDNN on a GPU with `backend`, `kernel` what runs on `device`."""
    backend = backend or keras.backend.backend()
    device = device or _machine_device()
    kind = type(layer).__name__
    name = layer.path if hasattr(layer, "path") else layer.name
    where = {"backend": backend, "device": device}
    reasons = []
    if hasattr(layer.cell, "parallel"):  # rnnzoo.layers.parallel: nothing for cuDNN to fuse
        return {"layer": name, "cell": kind, "cudnn": False, "needs_cudnn": False, "kernel": "parallel scan",
                "why": f"one matrix multiply and a linear scan (mode={layer.mode!r})", **where,
                "reasons": [f"{kind} needs no cuDNN: its gates read only the input, so it runs as one matrix "
                            f"multiply and a linear scan (mode={layer.mode!r})"]}
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        reasons += argument_reasons(layer)
        if getattr(layer, "use_cudnn", "auto") is False:
            reasons.append("use_cudnn=False forces the generic loop")
    else:
        reasons.append(f"{kind} has no cuDNN kernel in Keras (only LSTM and GRU do)")
    if reasons:
        return {"layer": name, "cell": kind, "cudnn": False, "needs_cudnn": True, "kernel": "Keras generic loop",
                "why": "; ".join(reasons), **where, "reasons": reasons}
    on_gpu, why_on_gpu = kernel_for(layer, backend, "gpu", masked, enabled(layer))
    kernel, why = kernel_for(layer, backend, device, masked, enabled(layer))
    if on_gpu != "cuDNN":
        reasons.append(why_on_gpu)
    return {"layer": name, "cell": kind, "cudnn": on_gpu == "cuDNN", "needs_cudnn": True, "kernel": kernel,
            "why": why, **where, "reasons": reasons}


def cudnn_report(model, strict=False, backend=None, device=None, dtype=None):
    """Reports, for every recurrent layer of `model`, the kernel it will run and whether it runs cuDNN on a GPU.

    Args:
        model: keras.Model.
        strict: bool. Raise ValueError when any LSTM/GRU layer would miss cuDNN on a GPU with `backend`.
        backend: "tensorflow", "torch" or "jax"; default: the current Keras backend.
        device: "cpu" or "gpu"; default: this machine's (a GPU visible to the backend). `device="gpu"` answers
            for a GPU from a CPU machine.
        dtype: the compute dtype to report for (default: the model's); recorded in each entry.

    Returns:
        A list of dicts, one per recurrent layer (the two directions of a Bidirectional layer are listed
        separately): `layer`, `cell`, `backend`, `device`, `dtype`, `masked` (token models always are), `kernel`
        ("cuDNN", "oneDNN" (torch.lstm / torch.gru on a CPU), "rnnzoo TensorFlow kernel", "Keras generic loop" or
        "parallel scan") with `why`, `cudnn` (whether it runs cuDNN on a GPU with this backend) and `reasons`
        (why not, if not). Masked inputs must be right-padded at run time for cuDNN.

    Examples:
    >>> cudnn_report(rnnzoo.build("bigru_classifier", vocabulary_size=100))[0]["cudnn"]  # doctest: +SKIP
    True
    """
    if device not in (None, "cpu", "gpu"):
        raise ValueError(f"device must be 'cpu' or 'gpu' (or None for this machine's); got {device!r}.")
    if backend not in (None, "tensorflow", "torch", "jax"):
        raise ValueError(f"backend must be 'tensorflow', 'torch' or 'jax' (or None for Keras' current one); got "
                         f"{backend!r}.")
    masked = _masked(model)
    dtype = dtype or getattr(getattr(model, "dtype_policy", None), "compute_dtype", None) or "float32"
    report = [{**layer_report(layer, backend, device, masked), "masked": masked, "dtype": str(dtype)}
              for layer in _recurrent_layers(model)]
    if strict:
        bad = [r for r in report if not r["cudnn"] and r["cell"] in ("LSTM", "GRU")]
        if bad:
            lines = "; ".join(f"{r['layer']}: {', '.join(r['reasons'])}" for r in bad)
            raise ValueError(f"{len(bad)} recurrent layer(s) would miss cuDNN: {lines}.")
    return report
