"""Export for edge devices: SavedModel (numeric and raw-string signatures) and builtins-only TFLite (float32 and
quantized), plus streaming step models for on-device generation and translation.

`export(model, directory)` takes a trained model in any form (`TrainedModel`, preset name, path, keras.Model
built by rnnzoo) and writes the files (`rnnzoo.export.writer`: atomic, strict parity checks, `export.json`).
The writers below take the resolved object; this package's front door is the one place here that resolves it.

Example:
>>> rnnzoo.export.export("g2p_bahdanau_cmudict", "exports/g2p", quantize=["dynamic"])  # doctest: +SKIP
"""

from rnnzoo.export.tflite import QUANTIZATIONS, TFLiteModel, convert, device_neutral, op_names, recurrent_ops
from rnnzoo.export.writer import DEFAULT_LENGTH, TOLERANCES, ExportError, describe_files, failures

__all__ = ["export", "ExportError", "TOLERANCES", "TFLiteModel", "convert", "device_neutral", "op_names",
           "recurrent_ops", "QUANTIZATIONS", "DEFAULT_LENGTH", "describe_files", "failures"]


def export(model, directory, **options):
    """Exports a trained model (any form `rnnzoo.TrainedModel.of` takes) for serving and devices; the options are
    those of `rnnzoo.export.writer.export_trained` (`saved_model`, `tflite`, `quantize`, `sequence_length`,
    `overwrite`, `strict`, `parity_data`, ...). Returns the export.json content as a dict."""
    from rnnzoo.trained import TrainedModel

    return TrainedModel.of(model).export(directory, **options)
