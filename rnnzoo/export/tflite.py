"""TFLite (LiteRT) conversion with builtin ops only, quantized variants, op reports, and an interpreter helper.

Keras 3 recurrent layers convert to builtin ops when every shape is static (TensorFlow's TensorList ops need a
static element shape), so each export fixes the batch to 1 and the sequence length to `sequence_length`; apps
right-pad with id 0 (the graph computes the mask, so padding does not change the outputs). Variables are frozen
into constants first: a graph that still reads resource variables converts but fails in the interpreter.
"""

import numpy as np

from rnnzoo.quiet import tensorflow_log_level

QUANTIZATIONS = ("float32", "dynamic", "float16", "int8")


def device_neutral(model):
    """A copy of `model` whose LSTM/GRU layers never take the cuDNN path (`use_cudnn=False`), same weights.

    Whether a Keras LSTM uses cuDNN is decided when it is traced; exporting from a process that sees a GPU would
    bake `CudnnRNNV3` into the artefact. The copy's graph is the portable one wherever it is traced. Parallel-scan
    layers (minGRU, minLSTM, QRNN, LRU) run in `mode="sequential"` in the copy: the device runs them as an RNN,
    a WHILE loop of small element-wise steps with builtin ops, with the same outputs as the parallel mode.
    """
    import keras

    config = model.get_config()

    def walk(node):
        if isinstance(node, dict):
            if node.get("class_name") in ("LSTM", "GRU") and isinstance(node.get("config"), dict):
                node["config"]["use_cudnn"] = False
            if isinstance(node.get("config"), dict) and node["config"].get("mode") == "parallel":
                node["config"]["mode"] = "sequential"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    clone = model.__class__.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def convert(fn, input_specs, quantization="float32", representative=None):
    """Converts the function `fn` (traced with `input_specs`) to a TFLite flatbuffer using builtin ops only.

    The function's variables are folded into constants first (a graph that still reads resource variables in a
    WHILE body converts but fails in the interpreter); the frozen function is saved as a SavedModel with one
    static signature and converted from there, which keeps the input names (from the specs) and output names
    (`fn` returns a dict).

    Args:
        fn: callable on tensors returning a dict of named outputs.
        input_specs: list of named `tf.TensorSpec` with static shapes.
        quantization: "float32", "dynamic" (int8 weights, float activations), "float16" (float16 weights) or
            "int8" (int8 weights and activations calibrated on `representative`, float where an op has no
            integer kernel).
        representative: list of {input name: array} samples (needed for "int8"); calibration runs in a child
            process, so a crash of TensorFlow's calibrator is reported as a RuntimeError.

    Returns:
        bytes: the .tflite file content. Raises RuntimeError if the converter needs ops outside the builtins.
    """
    # TensorFlow's notes while freezing, writing and converting the temporary SavedModel ("Assets written to", the
    # table-initializer serialization warning) concern rnnzoo's intermediate file, not the user's
    with tensorflow_log_level():
        return _convert(fn, input_specs, quantization, representative)


def _convert(fn, input_specs, quantization, representative):
    import tempfile

    import tensorflow as tf

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"Unknown quantization {quantization!r}; use one of {QUANTIZATIONS}.")
    if quantization == "int8" and representative is None:
        raise ValueError("int8 quantization needs representative inputs to calibrate the activations.")
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    from rnnzoo import config

    # Freeze first: variables read inside WHILE bodies would stay READ_VARIABLE ops, which fail at run time.
    # Traced with Keras' own recurrent graph (not the fast inference loop), the form the converter knows.
    with config.using(fast_inference=False):
        concrete = tf.function(fn).get_concrete_function(*input_specs)
    names = sorted(concrete.structured_outputs)  # the frozen function returns them flat, in this order
    frozen = convert_variables_to_constants_v2(concrete)

    def named(*args):
        outputs = frozen(*args)
        return dict(zip(names, outputs if isinstance(outputs, (list, tuple)) else [outputs]))

    module = tf.Module()
    module.fn = tf.function(named, input_signature=list(input_specs))
    with tempfile.TemporaryDirectory(prefix="rnnzoo-tflite-") as path:
        tf.saved_model.save(module, path, signatures={"serving_default": module.fn})
        if quantization == "int8":
            content = _convert_in_child(path, representative)
        else:
            content = _convert_saved_model(path, quantization)
    flex = [op for op in op_names(content) if op.startswith("Flex") or not op.isupper()]
    if flex:
        raise RuntimeError(f"The TFLite model needs non-builtin ops {flex}; it would not run on a device.")
    return content


def _convert_saved_model(path, quantization, representative=None):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(path, signature_keys=["serving_default"])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # never SELECT_TF_OPS (Flex)
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        converter.representative_dataset = lambda: iter(representative)
    try:
        return converter.convert()
    except Exception as e:  # ConverterError names the ops it could not lower
        raise RuntimeError(f"TFLite conversion with builtin ops only failed: {str(e)[:2000]}") from e


_CHILD = """
import sys, numpy as np
from rnnzoo.export.tflite import _convert_saved_model
data = np.load(sys.argv[2])
names = sorted({k.split("/", 1)[1] for k in data.files})
count = len({k.split("/", 1)[0] for k in data.files})
samples = [{n: data[f"{i}/{n}"] for n in names} for i in range(count)]
open(sys.argv[3], "wb").write(_convert_saved_model(sys.argv[1], "int8", samples))
"""


def _convert_in_child(path, representative):
    """int8 calibration runs the float model in TensorFlow's calibrator, which crashes the process (SIGSEGV)
    on some recurrent graphs; a child process turns that crash into an error this process can report."""
    import os
    import subprocess
    import sys

    samples = os.path.join(path, "representative.npz")
    np.savez(samples, **{f"{i}/{n}": np.asarray(v) for i, s in enumerate(representative) for n, v in s.items()})
    out = os.path.join(path, "int8.tflite")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, path, samples, out], capture_output=True, text=True,
                          env=env, timeout=900)
    if proc.returncode != 0:
        cause = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else proc.stderr.strip()[-1500:]
        raise RuntimeError(f"Full-integer (int8) conversion failed in TensorFlow's calibrator: {cause}")
    with open(out, "rb") as f:
        return f.read()


def op_names(content):
    """Every operator a .tflite model uses, across all subgraphs (builtin names, or custom codes)."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAsModel(content, 0)
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    out = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        custom = code.CustomCode()
        out.add(custom.decode() if custom else names.get(builtin, str(builtin)))
    return sorted(out)


def recurrent_ops(content):
    """How the recurrence was converted: "fused LSTM", "WHILE loop", or "none"."""
    ops = op_names(content)
    if any(op.endswith("SEQUENCE_LSTM") for op in ops):
        return "fused LSTM"
    return "WHILE loop" if "WHILE" in ops else "none"


class TFLiteModel:
    """Runs a .tflite model with the LiteRT interpreter (`ai-edge-litert`), inputs and outputs by name.

    Examples:
    >>> runner = TFLiteModel("export/model.tflite")  # doctest: +SKIP
    >>> runner(tokens=ids)["logits"]  # doctest: +SKIP
    """

    def __init__(self, content, num_threads=1):
        from ai_edge_litert.interpreter import Interpreter

        if isinstance(content, str):
            with open(content, "rb") as f:
                content = f.read()
        self.interpreter = Interpreter(model_content=content, num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner()
        details = self.runner.get_input_details()
        self.inputs = {name: (tuple(d["shape"]), np.dtype(d["dtype"])) for name, d in details.items()}
        self.outputs = sorted(self.runner.get_output_details())

    def __call__(self, **inputs):
        missing = set(self.inputs) - set(inputs)
        if missing:
            raise ValueError(f"Missing inputs {sorted(missing)}; this model takes {self.inputs}.")
        cast = {}
        for name, value in inputs.items():
            if name not in self.inputs:
                raise ValueError(f"Unknown input {name!r}; this model takes {sorted(self.inputs)}.")
            shape, dtype = self.inputs[name]
            value = np.asarray(value)
            if value.shape != shape:
                raise ValueError(f"Input {name!r} must have shape {shape} (pad with 0 to the exported length); "
                                 f"got {value.shape}.")
            cast[name] = value.astype(dtype)
        out = self.runner(**cast)
        # A fused UNIDIRECTIONAL_SEQUENCE_LSTM keeps its state in variable tensors that survive the call: without a
        # reset the next sequence would start where this one ended (apps must reset too). A no-op for WHILE loops.
        self.interpreter.reset_all_variables()
        return out
