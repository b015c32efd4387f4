"""Export for edge devices: SavedModel (numeric and raw-string signatures) and builtins-only TFLite (float32 and
quantized), plus streaming step models for on-device generation and translation.

`export(model, directory)` takes a trained model in any form (`TrainedModel`, preset name, path, keras.Model
built by rnnzoo) and writes the files (`rnnzoo.export.writer`: atomic, strict parity checks, `export.json`).
The writers below take the resolved object; this package's front door is the one place here that resolves it.

Examples:
>>> rnnzoo.export.export("g2p_bahdanau_cmudict", "exports/g2p", quantize=["dynamic"])  # doctest: +SKIP
"""

import importlib

# Loaded on first use, so that `rnnzoo.export.onnx_decoder` (NumPy and ONNX Runtime only) imports without
# TensorFlow on a server.
_LAZY = {name: "rnnzoo.export.tflite" for name in ("QUANTIZATIONS", "TFLiteModel", "convert", "device_neutral",
                                                    "op_names", "recurrent_ops")}
_LAZY.update({name: "rnnzoo.export.writer" for name in ("DEFAULT_LENGTH", "TOLERANCES", "ExportError",
                                                         "describe_files", "failures")})

__all__ = ["export", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rnnzoo.export' has no attribute {name!r}")


def export(model, directory, **options):
    """Exports a trained model (any form `rnnzoo.TrainedModel.of` takes) for serving and devices; the options are
    those of `rnnzoo.export.writer.export_trained` (`saved_model`, `tflite`, `quantize`, `sequence_length`,
    `overwrite`, `strict`, `parity_data`, ...). Returns the export.json content as a dict."""
    from rnnzoo.trained import TrainedModel

    return TrainedModel.of(model).export(directory, **options)
