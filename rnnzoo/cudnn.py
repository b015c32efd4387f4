"""Will each recurrent layer run on cuDNN? Decided from the configuration, so it can be checked on a CPU.

Keras 3 picks the fused cuDNN kernel for LSTM and GRU only when the arguments allow it, and falls back to a
generic loop (5–7× slower on a GPU) without a warning. These are Keras 3.15's conditions (TensorFlow backend;
the JAX and PyTorch backends use the same argument checks): tanh activation, sigmoid recurrent activation,
`recurrent_dropout=0`, `unroll=False`, `use_bias=True`, GRU `reset_after=True`, `use_cudnn` not False. At run
time the mask must also be right-padded with no fully masked row, and a GPU must be visible.
"""

import keras

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


def argument_reasons(layer):
    """Which arguments of an LSTM/GRU layer keep it off the fused path (cuDNN, and rnnzoo's CPU kernels)."""
    cell = layer.cell
    reasons = [why for _, ok, why in _REQUIREMENTS if not ok(cell)]
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after must be True (cuDNN's GRU convention)")
    if layer.unroll:
        reasons.append("unroll must be False")
    return reasons


def layer_report(layer):
    """The cuDNN verdict for one Keras recurrent layer: `{"layer", "cell", "cudnn", "reasons"}`."""
    kind = type(layer).__name__
    reasons = []
    if hasattr(layer.cell, "parallel"):  # rnnzoo.layers.parallel: nothing for cuDNN to fuse
        return {"layer": layer.path if hasattr(layer, "path") else layer.name, "cell": kind, "cudnn": False,
                "needs_cudnn": False,
                "reasons": [f"{kind} needs no cuDNN: its gates read only the input, so it runs as one matrix "
                            f"multiply and a linear scan (mode={layer.mode!r})"]}
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        reasons += argument_reasons(layer)
        if getattr(layer, "use_cudnn", "auto") is False:
            reasons.append("use_cudnn=False forces the generic loop")
    else:
        reasons.append(f"{kind} has no cuDNN kernel in Keras (only LSTM and GRU do)")
    return {"layer": layer.path if hasattr(layer, "path") else layer.name, "cell": kind, "cudnn": not reasons,
            "needs_cudnn": True, "reasons": reasons}


def cudnn_report(model, strict=False):
    """Reports, for every recurrent layer of `model`, whether it will run on cuDNN and, if not, why.

    Args:
        model: keras.Model.
        strict: bool. Raise ValueError when any LSTM/GRU layer would fall back to the generic loop.

    Returns:
        A list of dicts `{"layer", "cell", "cudnn", "reasons"}`, one per recurrent layer (the two directions of
        a Bidirectional layer are listed separately). Inputs must also be right-padded at run time.

    Examples:
    >>> cudnn_report(rnnzoo.build("bigru_classifier", vocabulary_size=100))[0]["cudnn"]  # doctest: +SKIP
    True
    """
    report = [layer_report(layer) for layer in _recurrent_layers(model)]
    if strict:
        bad = [r for r in report if not r["cudnn"] and r["cell"] in ("LSTM", "GRU")]
        if bad:
            lines = "; ".join(f"{r['layer']}: {', '.join(r['reasons'])}" for r in bad)
            raise ValueError(f"{len(bad)} recurrent layer(s) would miss cuDNN: {lines}.")
    return report
