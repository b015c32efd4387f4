"""Fused-LSTM TFLite export: `UNIDIRECTIONAL_SEQUENCE_LSTM` instead of a WHILE loop, through a tf-keras twin.

Keras 3 LSTM layers convert only as WHILE loops (tensorflow#73254 → LiteRT#41). The converter still fuses the
LSTM functions that tf-keras (Keras 2, PyPI `tf-keras`) emits, so this module rebuilds a model's graph with
tf-keras layers, copies the weights, and converts that twin. What the fused form is for: runtimes that cannot
run or delegate a WHILE loop (TFLite Micro, NNAPI/GPU delegates, full-integer int8). On XNNPACK CPUs the WHILE
form is often faster; `benchmarks/export.py` measures both.

The fused op has no mask (tensorflow#49936): the twin drops masking, so it equals the Keras model exactly for
inputs that fill the whole export length (no padding), and always for models without a mask (real-valued
inputs: forecasters, CTC acoustic models). `mask_free(model)` says which case a model is; unidirectional
per-step outputs (language models, taggers) are also unaffected at the real positions, because padding only
comes after them.
"""

import numpy as np

from rnnzoo.names import EMBEDDING, ONE_HOT

# Layers that are the identity at inference, or only carry the mask
_PASS = {"Metadata", "Dropout", "Identity"}
_MASK_OPS = {"NotEqual", "Equal", "LogicalOr", "LogicalAnd", "LogicalNot"}  # keras.ops building the mask
_RECURRENT = {"LSTM", "GRU", "SimpleRNN"}


def _history(arg):
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        return [arg["config"]["keras_history"][0]]
    if isinstance(arg, (list, tuple)):
        return [name for a in arg for name in _history(a)]
    return []


def _recurrent(k2, layer):
    config = layer.get_config()
    common = dict(units=config["units"], activation=config["activation"], use_bias=config["use_bias"],
                  return_sequences=config["return_sequences"], go_backwards=config["go_backwards"],
                  name=config["name"])
    if type(layer).__name__ == "SimpleRNN":
        return k2.layers.SimpleRNN(**common)
    common["recurrent_activation"] = config["recurrent_activation"]
    if type(layer).__name__ == "GRU":
        return k2.layers.GRU(reset_after=config["reset_after"], **common)
    return k2.layers.LSTM(**common)


def _twin_layer(k2, layer):
    kind = type(layer).__name__
    config = layer.get_config()
    if kind == "Embedding":
        return k2.layers.Embedding(config["input_dim"], config["output_dim"], name=layer.name)
    if kind == "OneHot":
        import tensorflow as tf

        depth = layer.num_tokens
        return k2.layers.Lambda(lambda ids: tf.one_hot(ids, depth), name=layer.name)
    if kind in _RECURRENT:
        if config.get("return_state") or config.get("stateful"):
            raise ValueError(f"Layer {layer.name!r} returns states or is stateful; export its step model instead.")
        return _recurrent(k2, layer)
    if kind == "Bidirectional":
        return k2.layers.Bidirectional(_recurrent(k2, layer.forward_layer), merge_mode=config["merge_mode"],
                                       backward_layer=_recurrent(k2, layer.backward_layer), name=layer.name)
    if kind == "Dense":
        return k2.layers.Dense(config["units"], activation=config["activation"], use_bias=config["use_bias"],
                               name=layer.name)
    if kind == "Add":
        return k2.layers.Add(name=layer.name)
    if kind == "Concatenate":
        return k2.layers.Concatenate(axis=config["axis"], name=layer.name)
    if kind == "MaskedGlobalPooling1D":
        pooling = k2.layers.GlobalMaxPooling1D if layer.mode == "max" else k2.layers.GlobalAveragePooling1D
        return pooling(name=layer.name)
    raise ValueError(f"The fused export does not handle layer {layer.name!r} ({kind}); use the WHILE-loop export.")


def has_lstm(model):
    """Whether `model` has an LSTM layer (the only cell TFLite has a fused op for)."""
    return any(type(l).__name__ == "LSTM" or (type(l).__name__ == "Bidirectional" and
                                              type(l.forward_layer).__name__ == "LSTM") for l in model.layers)


def mask_free(model):
    """True when the model computes no mask (real-valued inputs): the fused twin then equals it for any input."""
    return not any(type(layer).__name__ in _MASK_OPS or getattr(layer, "mask_zero", False) for layer in model.layers)


def fused_twin(model, sequence_length):
    """A tf-keras model with the same graph (masks dropped) and weights, batch 1 and `sequence_length` steps."""
    import tf_keras as k2

    k2.backend.clear_session()  # twins share layer names; a fresh graph keeps their fused functions apart
    config = model.get_config()
    tensors = {}
    for spec in config["layers"]:
        if spec["class_name"] in _MASK_OPS:  # keras.ops calls in the graph (the mask), not layers
            continue
        try:
            layer = model.get_layer(spec["name"])
        except ValueError:
            raise ValueError(f"The fused export does not handle the operation {spec['name']!r} "
                             f"({spec['class_name']}); use the WHILE-loop export.") from None
        kind = type(layer).__name__
        if kind == "InputLayer":
            shape = [sequence_length if d is None else int(d) for d in layer.batch_shape[1:]]
            tensors[layer.name] = k2.Input(shape=shape, batch_size=1, dtype=layer.dtype, name=layer.name)
            continue
        node = spec["inbound_nodes"][0]
        inputs = [tensors[name] for name in _history(node["args"]) if name in tensors]
        if kind in _PASS:
            tensors[layer.name] = inputs[0]
            continue
        twin = _twin_layer(k2, layer)
        tensors[layer.name] = twin(inputs if kind in ("Add", "Concatenate") else inputs[0])
        twin.set_weights(layer.get_weights())
    def twins(keras_tensors):  # the twin tensors standing for the model's inputs / outputs
        found = [tensors[t._keras_history[0].name] for t in keras_tensors]
        return found[0] if len(found) == 1 else found

    return k2.Model(twins(model.inputs), twins(model.outputs), name=f"{model.name}_fused")


def convert_fused(model, sequence_length, quantization="float32", representative=None):
    """TFLite flatbuffer of the fused twin (builtin ops only).

    quantization: "float32", "dynamic" (int8 weights), "float16", or "int8" (full-integer: every op, the fused
    LSTM included, runs in int8; calibrated on `representative`, a list of input arrays, default random
    full-length inputs). Full-integer int8 works here because the fused op has a quantized kernel; the WHILE
    form's calibration crashes TensorFlow 2.21.
    """
    import tensorflow as tf

    if quantization not in ("float32", "dynamic", "float16", "int8"):
        raise ValueError(f"The fused export supports float32, dynamic, float16 and int8; got {quantization!r}.")
    twin = fused_twin(model, sequence_length)
    converter = tf.lite.TFLiteConverter.from_keras_model(twin)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        samples = representative if representative is not None else full_length_samples(model, sequence_length, 32)
        converter.representative_dataset = lambda: ([np.asarray(s)] for s in samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert(), twin


def full_length_samples(model, sequence_length, count=4, seed=0):
    """Inputs with no padding (every position a real token, or real-valued noise) for checking the fused twin."""
    rng = np.random.default_rng(seed)
    tensor = model.inputs[0]
    shape = [1] + [sequence_length if d is None else int(d) for d in tensor.shape[1:]]
    if "float" in str(tensor.dtype):
        return [rng.normal(size=shape).astype("float32") for _ in range(count)]
    layers = {layer.name: layer for layer in model.layers}
    vocabulary = layers[EMBEDDING].input_dim if EMBEDDING in layers else layers[ONE_HOT].num_tokens
    return [rng.integers(4 if vocabulary > 4 else 1, vocabulary, size=shape).astype("int32") for _ in range(count)]
