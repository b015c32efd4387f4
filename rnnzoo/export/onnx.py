"""ONNX export with ONNX's own recurrent operators: Keras `LSTM`, `GRU` and `SimpleRNN` layers (and
`Bidirectional` around them) become single `LSTM` / `GRU` / `RNN` nodes, never an unrolled graph or a
`Loop` / `Scan`. Batch and time axes stay dynamic.

The graph is built from the Keras functional graph with `onnx.helper` (opset 18), one converter per layer type.
Token models take int64 ids, right-padded with 0; the graph computes each row's `sequence_lens` from the ids that
are not padding, so padded steps are skipped exactly as Keras' mask skips them (outputs at padded positions may
differ: ONNX writes zeros where Keras repeats the last output). Models of real-valued sequences (forecasters,
regressors, CTC speech models) take float32 `(batch, time, features)`.

What converts: the full-sequence models of the classifier, tagger, language-model, regressor, forecaster and CTC
families, and a language model's one-step file (ids and every layer's state in, logits and the new states out).
A layer ONNX cannot express here (the parallel cells, tree recurrences, the attention decoder of seq2seq and
captioning models, convolutions) raises `OnnxExportError` naming it.

Weight layouts (LEADS: ONNX recurrent operators): Keras' LSTM kernel holds the gates i, f, c, o in columns; ONNX's
`W` is `[directions, 4*hidden, input]` in the order i, o, f, c, and `B` is `[directions, 8*hidden]` (input biases,
then recurrence biases, zero here). GRU gates are z, r, h in both; Keras' `reset_after=True` is
`linear_before_reset=1` with its `(2, 3*units)` bias split into the input and recurrence halves.

Examples:
>>> graph = to_onnx(rnnzoo.build("bilstm_classifier", vocabulary_size=50, num_classes=2, units=8))  # doctest: +SKIP
>>> sorted({n.op_type for n in graph.graph.node} & {"LSTM", "Loop", "Scan"})  # doctest: +SKIP
['LSTM']
"""

from __future__ import annotations

from typing import Any

import numpy as np

OPSET = 18  # the first opset whose every Reduce* takes its axes as an input
RECURRENT_OPS = ("LSTM", "GRU", "RNN")
LOOP_OPS = ("Loop", "Scan")
TOKENS, INPUTS = "tokens", "inputs"
_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}
_DENSE_ACTIVATIONS = {"linear": None, "softmax": "Softmax", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}


class OnnxExportError(ValueError):
    """A model (or one of its layers) that this exporter cannot write as ONNX; the message names the layer."""


def _onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise OnnxExportError("ONNX export needs the `onnx` package: pip install 'rnnzoo[export]'.") from None
    return onnx, TensorProto, helper, numpy_helper


def _name(activation: Any) -> str:
    return getattr(activation, "__name__", str(activation))


class _Graph:
    """The ONNX graph under construction: nodes, initializers and unique names."""

    def __init__(self) -> None:
        self.onnx, self.TensorProto, self.helper, self.numpy_helper = _onnx()
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self.outputs: list = []
        self._used: set = set()

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self._used:
            i += 1
            name = f"{base}_{i}"
        self._used.add(name)
        return name

    def const(self, base: str, value: Any, dtype: str = "float32") -> str:
        name = self.fresh(base)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list, base: str, outputs: int = 1, **attributes: Any) -> Any:
        names = [self.fresh(f"{base}_{op_type.lower()}" + (f"_{k}" if outputs > 1 else "")) for k in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, inputs, names, name=self.fresh(f"{base}/{op_type}"),
                                                **attributes))
        return names if outputs > 1 else names[0]


class _Context:
    """What the converters share: the graph, the rows' lengths (token models) and the step mode's states."""

    def __init__(self, graph: _Graph, step: bool) -> None:
        self.graph = graph
        self.step = step
        self.lengths: str | None = None  # int32 [batch]: non-padding ids per row
        self.mask: str | None = None  # float32 [batch, time, 1]
        self.states: list = []  # step mode: (input name, output name, shape) per recurrent state


# -- layers --------------------------------------------------------------------------------------------------------
def _identity(ctx: _Context, layer: Any, x: list) -> list:
    return x


def _embedding(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    table = g.const(f"{layer.name}_table", layer.get_weights()[0])
    if getattr(layer, "mask_zero", False):
        _token_mask(ctx, x[0])
    return [g.op("Gather", [table, x[0]], layer.name)]


def _one_hot(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    depth = g.const(f"{layer.name}_depth", [layer.num_tokens], "int64")
    values = g.const(f"{layer.name}_values", [0.0, 1.0])
    if layer.mask_zero:
        _token_mask(ctx, x[0])
    return [g.op("OneHot", [x[0], depth, values], layer.name, axis=-1)]


def _token_mask(ctx: _Context, ids: str) -> None:
    if ctx.lengths is not None or ctx.step:
        return
    g = ctx.graph
    valid = g.op("Not", [g.op("Equal", [ids, g.const("zero_id", 0, "int64")], "mask")], "mask")
    ctx.mask = g.op("Unsqueeze", [g.op("Cast", [valid], "mask", to=g.TensorProto.FLOAT),
                                  g.const("last_axis", [-1], "int64")], "mask")
    counts = g.op("ReduceSum", [g.op("Cast", [valid], "lengths", to=g.TensorProto.INT32),
                                g.const("time_axis", [1], "int64")], "lengths", keepdims=0)
    # a row of padding only has no steps; ONNX runtimes refuse a zero length, so such rows read one step
    ctx.lengths = g.op("Max", [counts, g.const("one_step", [1], "int32")], "lengths")


def _dense(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    activation = _name(layer.activation)
    if activation not in _DENSE_ACTIVATIONS:
        raise OnnxExportError(f"Layer {layer.name!r}: Dense with activation {activation!r} has no ONNX converter "
                              f"here (known: {sorted(_DENSE_ACTIVATIONS)}).")
    weights = layer.get_weights()
    y = g.op("MatMul", [x[0], g.const(f"{layer.name}_kernel", weights[0])], layer.name)
    if layer.use_bias:
        y = g.op("Add", [y, g.const(f"{layer.name}_bias", weights[1])], layer.name)
    op = _DENSE_ACTIVATIONS[activation]
    if op == "Softmax":
        y = g.op("Softmax", [y], layer.name, axis=-1)
    elif op:
        y = g.op(op, [y], layer.name)
    return [y]


def _add(ctx: _Context, layer: Any, x: list) -> list:
    y = x[0]
    for other in x[1:]:
        y = ctx.graph.op("Add", [y, other], layer.name)
    return [y]


def _concatenate(ctx: _Context, layer: Any, x: list) -> list:
    return [ctx.graph.op("Concat", x, layer.name, axis=int(layer.axis))]


def _pooling(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    axis = g.const("time_axis_pool", [1], "int64")
    if ctx.mask is None:
        return [g.op("ReduceMax" if layer.mode == "max" else "ReduceMean", [x[0], axis], layer.name, keepdims=0)]
    if layer.mode == "max":
        masked = g.op("Where", [g.op("Greater", [ctx.mask, g.const("zero", 0.0)], layer.name), x[0],
                                g.const("very_negative", -1e9)], layer.name)
        return [g.op("ReduceMax", [masked, axis], layer.name, keepdims=0)]
    total = g.op("ReduceSum", [g.op("Mul", [x[0], ctx.mask], layer.name), axis], layer.name, keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [ctx.mask, axis], layer.name, keepdims=0), g.const("one", 1.0)],
                 layer.name)
    return [g.op("Div", [total, count], layer.name)]


def _to_channels_first(ctx: _Context, layer: Any, x: str) -> str:
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise OnnxExportError(f"Layer {layer.name!r}: only channels_last images convert to ONNX here.")
    return ctx.graph.op("Transpose", [x], layer.name, perm=[0, 3, 1, 2])


def _conv2d(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    activation = _name(layer.activation)
    if activation not in _DENSE_ACTIVATIONS or activation == "softmax" or tuple(layer.dilation_rate) != (1, 1) \
            or getattr(layer, "groups", 1) != 1:
        raise OnnxExportError(f"Layer {layer.name!r}: Conv2D with activation {activation!r}, dilation "
                              f"{layer.dilation_rate} or groups has no ONNX converter here.")
    weights = layer.get_weights()
    kernel = np.transpose(weights[0], (3, 2, 0, 1))  # Keras (kh, kw, in, out) → ONNX (out, in, kh, kw)
    inputs = [_to_channels_first(ctx, layer, x[0]), g.const(f"{layer.name}_kernel", kernel)]
    if layer.use_bias:
        inputs.append(g.const(f"{layer.name}_bias", weights[1]))
    y = g.op("Conv", inputs, layer.name, kernel_shape=list(kernel.shape[2:]), strides=list(layer.strides),
             auto_pad="SAME_UPPER" if layer.padding == "same" else "VALID")
    op = _DENSE_ACTIVATIONS[activation]
    y = g.op(op, [y], layer.name) if op else y
    return [g.op("Transpose", [y], layer.name, perm=[0, 2, 3, 1])]


def _max_pooling2d(ctx: _Context, layer: Any, x: list) -> list:
    g = ctx.graph
    y = g.op("MaxPool", [_to_channels_first(ctx, layer, x[0])], layer.name, kernel_shape=list(layer.pool_size),
             strides=list(layer.strides), auto_pad="SAME_UPPER" if layer.padding == "same" else "VALID")
    return [g.op("Transpose", [y], layer.name, perm=[0, 2, 3, 1])]


def _flatten(ctx: _Context, layer: Any, x: list) -> list:  # channels-last order, as Keras flattens
    return [ctx.graph.op("Reshape", [x[0], ctx.graph.const(f"{layer.name}_shape", [0, -1], "int64")], layer.name)]


# -- recurrent layers ----------------------------------------------------------------------------------------------
def _gates(layer: Any) -> tuple:
    """(ONNX op, W, R, B, attributes) of one Keras LSTM / GRU / SimpleRNN layer, one direction."""
    kind = type(layer).__name__.removesuffix("Cell")  # a layer, or the cell a decoder steps
    kernel, recurrent, *rest = [np.asarray(w, "float32") for w in layer.get_weights()]
    units = int(layer.units)
    bias = rest[0] if rest else None
    if kind == "LSTM":
        order = [0, 3, 1, 2]  # Keras i, f, c, o → ONNX i, o, f, c

        def reorder(m):
            return np.concatenate([m[..., k * units:(k + 1) * units] for k in order], axis=-1)

        w, r = reorder(kernel).T, reorder(recurrent).T
        b = np.concatenate([reorder(bias) if bias is not None else np.zeros(4 * units, "float32"),
                            np.zeros(4 * units, "float32")])
        activations = [layer.recurrent_activation, layer.activation, layer.activation]
        return "LSTM", w, r, b, activations, {}
    if kind == "GRU":
        w, r = kernel.T, recurrent.T
        if bias is None:
            b = np.zeros(6 * units, "float32")
        elif bias.ndim == 2:  # reset_after: input and recurrence biases
            b = np.concatenate([bias[0], bias[1]])
        else:
            b = np.concatenate([bias, np.zeros(3 * units, "float32")])
        activations = [layer.recurrent_activation, layer.activation]
        return "GRU", w, r, b, activations, {"linear_before_reset": int(bool(layer.reset_after))}
    if kind == "SimpleRNN":
        b = np.concatenate([bias if bias is not None else np.zeros(units, "float32"), np.zeros(units, "float32")])
        return "RNN", kernel.T, recurrent.T, b, [layer.activation], {}
    raise OnnxExportError(f"Layer {layer.name!r} ({kind}) has no ONNX recurrent operator: LSTM, GRU and SimpleRNN "
                          "export as ONNX LSTM / GRU / RNN; the parallel cells (minGRU, minLSTM, QRNN, LRU) and tree "
                          "recurrences do not export to ONNX.")


def _check_recurrent(layer: Any, bidirectional: bool = False) -> None:
    if getattr(layer, "stateful", False):
        raise OnnxExportError(f"Layer {layer.name!r} is stateful; export its stateless twin (rnnzoo saves models "
                              "stateless).")
    if getattr(layer, "go_backwards", False) and not bidirectional:  # the backward half: ONNX reverses it
        raise OnnxExportError(f"Layer {layer.name!r} runs backwards on its own (go_backwards=True outside "
                              "Bidirectional); ONNX export handles that only inside Bidirectional.")


def _activation_names(layer: Any, activations: list) -> list:
    names = []
    for a in activations:
        n = _name(a)
        if n not in _ACTIVATIONS:
            raise OnnxExportError(f"Layer {layer.name!r} uses activation {n!r}, which ONNX's recurrent operators "
                                  f"do not take here (known: {sorted(_ACTIVATIONS)}).")
        names.append(_ACTIVATIONS[n])
    return names


def _recurrent(ctx: _Context, layer: Any, x: list, directions: list | None = None, merge: str | None = None,
               return_sequences: bool | None = None) -> list:
    """One ONNX LSTM/GRU/RNN node for a layer (or the two directions of a Bidirectional)."""
    g = ctx.graph
    directions = directions or [layer]
    for d in directions:
        _check_recurrent(d, bidirectional=len(directions) == 2)
    parts = [_gates(d) for d in directions]
    op = parts[0][0]
    units = int(directions[0].units)
    w = g.const(f"{layer.name}_W", np.stack([p[1] for p in parts]))
    r = g.const(f"{layer.name}_R", np.stack([p[2] for p in parts]))
    b = g.const(f"{layer.name}_B", np.stack([p[3] for p in parts]))
    activations = sum((_activation_names(d, p[4]) for d, p in zip(directions, parts)), [])
    attributes = {"hidden_size": units, "activations": activations, **parts[0][5]}
    if len(directions) == 2:
        attributes["direction"] = "bidirectional"
    time_major = g.op("Transpose", [x[0]], layer.name, perm=[1, 0, 2])
    inputs = [time_major, w, r, b, "" if ctx.step or ctx.lengths is None else ctx.lengths]
    states_in = []
    if ctx.step:
        if len(directions) == 2:
            raise OnnxExportError(f"Layer {layer.name!r} is bidirectional: a step file (one token at a time) needs "
                                  "a causal model.")
        for kind in (["h", "c"] if op == "LSTM" else ["h"]):
            name = g.fresh(f"{layer.name}_{kind}")
            g.inputs.append(g.helper.make_tensor_value_info(name, g.TensorProto.FLOAT, ["batch", units]))
            states_in.append(g.op("Unsqueeze", [name, g.const("axis0", [0], "int64")], f"{layer.name}_{kind}"))
        inputs += states_in
    outputs = g.op(op, inputs, layer.name, outputs=3 if op == "LSTM" else 2, **attributes)
    y, y_h = outputs[0], outputs[1]
    final = []  # return_state: in Keras' order, each direction's h (and c), forward first
    if getattr(layer, "return_state", False):
        for d in range(len(directions)):
            index = g.const(f"direction_{d}", d, "int64")
            final += [g.op("Gather", [state, index], layer.name, axis=0) for state in outputs[1:]]
    if ctx.step:
        for kind, state in zip(["h", "c"], outputs[1:]):
            out = g.fresh(f"{layer.name}_{kind}_out")
            g.nodes.append(g.helper.make_node("Squeeze", [state, g.const("axis0", [0], "int64")], [out]))
            g.outputs.append(g.helper.make_tensor_value_info(out, g.TensorProto.FLOAT, ["batch", units]))
    sequences = layer.return_sequences if return_sequences is None else return_sequences
    if sequences:  # Y: [time, directions, batch, units] → [batch, time, directions, units]
        out = g.op("Transpose", [y], layer.name, perm=[2, 0, 1, 3])
        result = _merge(ctx, layer, out, len(directions), merge, axis=2, shape=[0, 0, -1])
    else:  # Y_h: [directions, batch, units] → [batch, directions, units]
        out = g.op("Transpose", [y_h], layer.name, perm=[1, 0, 2])
        result = _merge(ctx, layer, out, len(directions), merge, axis=1, shape=[0, -1])
    return [result] + final


def _merge(ctx: _Context, layer: Any, y: str, directions: int, merge: str | None, axis: int, shape: list) -> str:
    g = ctx.graph
    if directions == 1 or merge in (None, "concat"):
        return g.op("Reshape", [y, g.const(f"{layer.name}_shape", shape, "int64")], layer.name)
    axes = g.const(f"{layer.name}_dir_axis", [axis], "int64")
    if merge == "sum":
        return g.op("ReduceSum", [y, axes], layer.name, keepdims=0)
    if merge == "ave":
        return g.op("ReduceMean", [y, axes], layer.name, keepdims=0)
    if merge == "mul":
        return g.op("ReduceProd", [y, axes], layer.name, keepdims=0)
    raise OnnxExportError(f"Layer {layer.name!r}: merge_mode {merge!r} has no ONNX converter (concat, sum, ave, mul).")


def _bidirectional(ctx: _Context, layer: Any, x: list) -> list:
    forward, backward = layer.forward_layer, layer.backward_layer
    if type(forward).__name__ != type(backward).__name__:
        raise OnnxExportError(f"Layer {layer.name!r}: the two directions are different layer types.")
    return _recurrent(ctx, layer, x, [forward, backward], layer.merge_mode,
                      return_sequences=layer.return_sequences)


CONVERTERS = {
    "InputLayer": _identity, "Metadata": _identity, "Dropout": _identity, "Identity": _identity,
    "Embedding": _embedding, "OneHot": _one_hot, "Dense": _dense, "Add": _add, "Concatenate": _concatenate,
    "MaskedGlobalPooling1D": _pooling, "Bidirectional": _bidirectional,
    "LSTM": _recurrent, "GRU": _recurrent, "SimpleRNN": _recurrent,
    "Conv2D": _conv2d, "MaxPooling2D": _max_pooling2d, "Flatten": _flatten,
}


# -- the graph walk -------------------------------------------------------------------------------------------------
def _positional(node: Any) -> list:
    """The KerasTensors a node takes as data (positional arguments), leaving out masks and flags."""
    import keras

    found = []

    def visit(value):
        if isinstance(value, keras.KerasTensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)

    for arg in node.arguments.args:
        visit(arg)
    return found


def _declare_source(g: _Graph, source: Any, name: str | None = None) -> str:
    """Declares the graph input of a Keras input: int64 ids (batch, time), float32 (batch, time, features), or
    an image (batch, height, width, channels); returns its name."""
    if "int" in str(source.dtype):
        name = name or TOKENS
        g.inputs.append(g.helper.make_tensor_value_info(name, g.TensorProto.INT64, ["batch", "time"]))
    elif len(source.shape) == 3:
        name = name or INPUTS
        g.inputs.append(g.helper.make_tensor_value_info(name, g.TensorProto.FLOAT,
                                                        ["batch", "time", int(source.shape[-1])]))
    else:
        name = name or INPUTS
        g.inputs.append(g.helper.make_tensor_value_info(name, g.TensorProto.FLOAT,
                                                        ["batch"] + [int(d) for d in source.shape[1:]]))
    return name


def _walker(model: Any, ctx: _Context, names: dict) -> Any:
    """value(tensor) → the ONNX name of a Keras tensor, converting the layers it depends on (once each)."""
    import keras

    def value(tensor: Any) -> str:
        if id(tensor) in names:
            return names[id(tensor)]
        history = tensor._keras_history
        operation, node = history.operation, history.operation._inbound_nodes[history.node_index]
        kind = type(operation).__name__
        if kind not in CONVERTERS:
            what = ("tree recurrence" if kind == "TreeRecurrent" else "parallel cell (minGRU, minLSTM, QRNN, LRU)"
                    if kind in ("MinGRU", "MinLSTM", "QRNN", "LRU") else "layer")
            raise OnnxExportError(f"Model {model.name!r}: {what} {getattr(operation, 'name', kind)!r} ({kind}) has "
                                  f"no ONNX converter. Exportable layers: {', '.join(sorted(CONVERTERS))}.")
        inputs = [value(t) for t in _positional(node)]
        outputs = CONVERTERS[kind](ctx, operation, inputs)
        for t, n in zip(keras.tree.flatten(node.output_tensors), outputs):
            names[id(t)] = n
        return names[id(tensor)]

    return value


def _output(g: _Graph, name: str, value: str, shape: list, at: int | None = None) -> None:
    """Declares graph output `name` (float32, `shape`) holding `value`, appended or inserted at position `at`."""
    g.nodes.append(g.helper.make_node("Identity", [value], [name]))
    info = g.helper.make_tensor_value_info(name, g.TensorProto.FLOAT, shape)
    g.outputs.insert(len(g.outputs) if at is None else at, info)


def _finish(g: _Graph, name: str, opset: int) -> Any:
    graph = g.helper.make_graph(g.nodes, name, g.inputs, g.outputs, g.initializers)
    proto = g.helper.make_model(graph, opset_imports=[g.helper.make_opsetid("", int(opset))],
                                producer_name="rnnzoo")
    proto.ir_version = min(proto.ir_version, 9)  # readable by ONNX Runtime releases of the last two years
    g.onnx.checker.check_model(proto)
    return proto


def _refuse_trees(model: Any) -> None:
    trees = [layer.name for layer in model.layers if type(layer).__name__ == "TreeRecurrent"]
    if trees:
        raise OnnxExportError(f"Model {model.name!r}: tree recurrence {trees[0]!r} (TreeRecurrent) has no ONNX "
                              "converter: its step follows each input's tree, which ONNX's recurrent operators "
                              "cannot express.")


def to_onnx(model: Any, step: bool = False, opset: int = OPSET) -> Any:
    """The ONNX `ModelProto` of a Keras model built by rnnzoo (see the module docstring for what converts).

    Args:
        model: keras.Model with one input (encoder–decoders: `seq2seq_to_onnx`).
        step: bool. The one-step file of a causal language model: every recurrent layer takes its state as an
            input (`{layer}_h`, `{layer}_c`) and returns the new one (`{layer}_h_out`, ...), with no padding
            (each call reads all its ids, e.g. a prompt, then one token at a time).
        opset: int. The ONNX opset (18 or later).

    Raises:
        OnnxExportError: a layer or a model shape this exporter cannot write, named.
    """
    _refuse_trees(model)
    if len(model.inputs) != 1:
        raise OnnxExportError(f"Model {model.name!r} has {len(model.inputs)} inputs (an encoder–decoder): export "
                              "it as encoder + decoder step files with seq2seq_to_onnx (export(..., onnx=True) "
                              "does this for seq2seq and captioning models).")
    g = _Graph()
    ctx = _Context(g, step)
    source = model.inputs[0]
    value = _walker(model, ctx, {id(source): _declare_source(g, source)})
    results = [value(t) for t in model.outputs]
    for i, (tensor, name) in enumerate(zip(model.outputs, results)):
        shape = ["batch"] + (["time"] if len(tensor.shape) == 3 else []) + [int(tensor.shape[-1])]
        _output(g, "output" if len(results) == 1 else f"output_{i}", name, shape, at=i)  # before any step states
    return _finish(g, f"{model.name}{'_step' if step else ''}", opset)


# -- encoder–decoders: encoder.onnx + decoder_step.onnx ----------------------------------------------------------
TOKEN = "token"
FIXED = ("memory", "keys", "mask")  # what the encoder computes once per source and every step reads
STEP_OUT = "_out"  # the decoder step returns state `state_0` as `state_0_out` (ONNX names are defined once)


def _cell_step(g: _Graph, cell: Any, x: str, states: list, base: str) -> tuple:
    """One step of a Keras LSTM/GRU/SimpleRNN cell as an ONNX recurrent node over one time step:
    x (batch, in), states [(batch, units), ...] → (h, new states)."""
    op, w, r, b, activations, extra = _gates(cell)
    axis0 = g.const("axis0", [0], "int64")
    inputs = [g.op("Unsqueeze", [x, axis0], base), g.const(f"{base}_W", w[None]), g.const(f"{base}_R", r[None]),
              g.const(f"{base}_B", b[None]), ""] + [g.op("Unsqueeze", [s, axis0], base) for s in states]
    outputs = g.op(op, inputs, base, outputs=3 if op == "LSTM" else 2, hidden_size=int(cell.units),
                   activations=_activation_names(cell, activations), **extra)
    new = [g.op("Squeeze", [state, axis0], base) for state in outputs[1:]]
    return new[0], new


def _attend(g: _Graph, attention: Any, query: str, keys: str, memory: str, mask: str, query_size: int) -> tuple:
    """(context (batch, memory_dim), weights (batch, source)) of `rnnzoo.layers.attention` for one query."""
    base = attention.name
    last = g.const("axis_last", [-1], "int64")
    if type(attention).__name__ == "BahdanauAttention":
        q = g.op("Unsqueeze", [g.op("MatMul", [query, g.const(f"{base}_query_kernel", attention.query_kernel)],
                                    base), g.const("axis1", [1], "int64")], base)
        hidden = g.op("Add", [keys, q], base)
        v = np.asarray(attention.v, "float32")
        if attention.normalize:
            hidden = g.op("Add", [hidden, g.const(f"{base}_b", attention.b)], base)
            v = float(np.asarray(attention.g)) * v / np.sqrt(np.sum(np.square(v)))
        scores = g.op("MatMul", [g.op("Tanh", [hidden], base), g.const(f"{base}_v", v[:, None])], base)
    else:  # Luong: keys (batch, source, query_dim) · query
        scores = g.op("MatMul", [keys, g.op("Unsqueeze", [query, last], base)], base)
        if attention.score_mode == "scaled_dot":
            scores = g.op("Div", [scores, g.const(f"{base}_scale", np.sqrt(query_size))], base)
    scores = g.op("Squeeze", [scores, last], base)
    scores = g.op("Where", [g.op("Greater", [mask, g.const("half", 0.5)], base), scores,
                            g.const("very_negative", -1e9)], base)
    weights = g.op("Softmax", [scores], base, axis=-1)
    context = g.op("MatMul", [g.op("Unsqueeze", [weights, g.const("axis1", [1], "int64")], base), memory], base)
    return g.op("Squeeze", [context, g.const("axis1", [1], "int64")], base), weights


def seq2seq_to_onnx(model: Any, opset: int = OPSET) -> tuple:
    """(encoder, decoder step) ONNX `ModelProto`s of a seq2seq model or captioner, the pair an app steps with
    `rnnzoo.export.onnx_decoder.OnnxDecoder` (greedy or beam search on ONNX Runtime).

    encoder: `source` int64 (batch, time), right-padded ids (or `image` float32 for a captioner) → the decoder's
    starting states: `state_0` (h), `state_1` (c, LSTM), and for attention models `weights` (zeros), `feed`
    (Luong with input feeding, zeros), `memory`, `keys` and `mask` (1.0 at real source ids).
    decoder_step: `token` int64 (batch,), the states and the fixed `memory`, `keys`, `mask` → `logits` (batch, target
    vocabulary) and the new states as `state_0_out`, ..., `weights_out` (the attention over the source) and
    `feed_out`.

    The recurrent layers of the encoder and the decoder's cell are native `LSTM` / `GRU` / `RNN` nodes (the step
    runs one over one time step).
    """
    from rnnzoo.layers.attention import AttentionDecoder
    from rnnzoo.names import DECODER, DECODER_INIT, LOGITS, MEMORY, TARGET_EMBEDDING

    _refuse_trees(model)
    layers = {layer.name for layer in model.layers}
    if not {DECODER, LOGITS, TARGET_EMBEDDING} <= layers or len(model.inputs) != 2:
        raise OnnxExportError(f"Model {model.name!r} is not an rnnzoo encoder–decoder (seq2seq or captioner): it "
                              f"needs two inputs and the layers {DECODER!r}, {TARGET_EMBEDDING!r}, {LOGITS!r}.")
    decoder = model.get_layer(DECODER)
    attention = isinstance(decoder, AttentionDecoder)
    cell = decoder.cell
    kind = type(cell).__name__
    if kind not in ("LSTMCell", "GRUCell", "SimpleRNNCell"):
        raise OnnxExportError(f"Model {model.name!r}: decoder cell {kind} has no ONNX recurrent operator.")
    init = [model.get_layer(DECODER_INIT.format(i)).output for i in (1, 2) if DECODER_INIT.format(i) in layers]
    units = int(cell.units)

    # encoder
    g = _Graph()
    ctx = _Context(g, False)
    source = model.inputs[0]
    source_name = _declare_source(g, source, name=source.name)
    value = _walker(model, ctx, {id(source): source_name})
    states = [value(t) for t in init]
    outputs: list = [(f"state_{i}", s, ["batch", units]) for i, s in enumerate(states)]
    if attention:
        if "int" not in str(source.dtype):
            raise OnnxExportError(f"Model {model.name!r}: attention over a non-token source has no ONNX export.")
        memory = value(model.get_layer(MEMORY).output)
        valid = g.op("Not", [g.op("Equal", [source_name, g.const("zero_id", 0, "int64")], "mask")], "mask")
        mask = g.op("Cast", [valid], "mask", to=g.TensorProto.FLOAT)
        att = decoder.attention
        kernel = getattr(att, "memory_kernel", None) if type(att).__name__ == "BahdanauAttention" else \
            getattr(att, "kernel", None)
        keys = g.op("MatMul", [memory, g.const("keys_kernel", kernel)], "keys") if kernel is not None else memory
        zero = g.const("zero", 0.0)
        outputs.append(("weights", g.op("Mul", [mask, zero], "weights"), ["batch", "source"]))
        if decoder.attention_type == "luong":
            outputs.append(("feed", g.op("Mul", [states[0], zero], "feed"), ["batch", units]))
        memory_size, key_size = int(decoder._memory_dim), int(kernel.shape[-1]) if kernel is not None else \
            int(decoder._memory_dim)
        outputs += [("memory", memory, ["batch", "source", memory_size]),
                    ("keys", keys, ["batch", "source", key_size]), ("mask", mask, ["batch", "source"])]
    for name, v, shape in outputs:
        _output(g, name, v, shape)
    encoder = _finish(g, f"{model.name}_encoder", opset)

    # decoder step
    g = _Graph()
    ctx = _Context(g, True)
    g.inputs.append(g.helper.make_tensor_value_info(TOKEN, g.TensorProto.INT64, ["batch"]))
    read = [o for o in outputs if o[0] != "weights" and (o[0] != "feed" or decoder.input_feeding)]
    for name, _, shape in read:  # what the step reads (not the last weights, nor h̃ without input feeding)
        g.inputs.append(g.helper.make_tensor_value_info(name, g.TensorProto.FLOAT, shape))
    table = g.const("target_embedding_table", model.get_layer(TARGET_EMBEDDING).get_weights()[0])
    x = g.op("Gather", [table, TOKEN], "target_embedding")
    states = [name for name, _, _ in outputs if name.startswith("state_")]
    changed: dict = {}
    if not attention:
        output, new = _cell_step(g, cell, x, states, "decoder")
    elif decoder.attention_type == "bahdanau":
        context, changed["weights"] = _attend(g, decoder.attention, states[0], "keys", "memory", "mask", units)
        h, new = _cell_step(g, cell, g.op("Concat", [x, context], "decoder", axis=-1), states, "decoder")
        output = g.op("Concat", [h, context], "decoder", axis=-1)
    else:
        cell_input = g.op("Concat", [x, "feed"], "decoder", axis=-1) if decoder.input_feeding else x
        h, new = _cell_step(g, cell, cell_input, states, "decoder")
        context, changed["weights"] = _attend(g, decoder.attention, h, "keys", "memory", "mask", units)
        combined = g.op("Concat", [context, h], "combine", axis=-1)
        output = g.op("Tanh", [g.op("MatMul", [combined, g.const("combine_kernel", decoder.combine.kernel)],
                                    "combine")], "combine")
        changed["feed"] = output
    logits = _dense(ctx, model.get_layer(LOGITS), [output])[0]
    _output(g, "logits", logits, ["batch", int(model.get_layer(LOGITS).units)])
    changed.update({f"state_{i}": s for i, s in enumerate(new)})
    for name, _, shape in outputs:
        if name in changed:
            _output(g, name + STEP_OUT, changed[name], shape)
    step = _finish(g, f"{model.name}_decoder_step", opset)
    from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

    g.helper.set_model_props(step, {"pad_id": str(PAD_ID), "start_id": str(START_ID), "end_id": str(END_ID),
                                    "suppress": f"{PAD_ID},{UNK_ID},{START_ID}"})  # what OnnxDecoder reads
    return encoder, step


def seq2seq_parity_inputs(model: Any, seed: int = 0) -> tuple:
    """(source, target) for an encoder–decoder: right-padded source ids as `parity_inputs` (or normal-noise
    images), and a batch of 3 target rows of 6, 4 and 2 ids."""
    rng = np.random.default_rng(seed)
    source = model.inputs[0]
    if "int" in str(source.dtype):
        x = parity_inputs(model, seed)
    else:
        x = rng.normal(size=(PARITY_BATCH,) + tuple(int(d) for d in source.shape[1:])).astype("float32")
    from rnnzoo.names import LOGITS

    y = rng.integers(4, max(int(model.get_layer(LOGITS).units), 5), size=(PARITY_BATCH, 6))
    y[1, 4:] = 0
    y[2, 2:] = 0
    return x, y


def teacher_forced_difference(model: Any, encoder: Any, step: Any, x: np.ndarray, y: np.ndarray) -> float:
    """max |ONNX Runtime − Keras| of an encoder–decoder's logits at the valid target positions: the encoder file,
    then the step file fed the target ids one at a time, against the Keras training model on (source, target)."""
    from rnnzoo.export.onnx_decoder import OnnxDecoder

    expected = keras_outputs(model, [x, y])
    runner = OnnxDecoder(encoder.SerializeToString(), step.SerializeToString())
    states = runner.encode(x)
    got = []
    for t in range(y.shape[1]):
        logits, states = runner.step(y[:, t], states)
        got.append(logits)
    return float(np.abs(np.stack(got, 1) - expected)[y > 0].max())


def keras_outputs(model: Any, x: np.ndarray) -> np.ndarray:
    """The Keras model's inference output as float64 NumPy, on any backend."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), "float64")


def op_types(proto: Any) -> list[str]:
    """The sorted operator types of an ONNX model."""
    return sorted({node.op_type for node in proto.graph.node})


def session(proto_or_path: Any) -> Any:
    """An ONNX Runtime CPU session for a ModelProto or a file."""
    import onnxruntime as ort

    content = proto_or_path.SerializeToString() if hasattr(proto_or_path, "SerializeToString") else proto_or_path
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])


def max_valid_difference(model: Any, proto: Any, x: np.ndarray) -> float:
    """max |ONNX Runtime − Keras| over the valid positions of `x` (ids > 0 for token models; every position of a
    per-sequence output)."""
    expected = keras_outputs(model, x)
    feed = {proto.graph.input[0].name: x.astype("int64") if x.dtype.kind in "iu" else x.astype("float32")}
    got = np.asarray(session(proto).run(None, feed)[0], "float64")
    if expected.shape != got.shape:
        raise OnnxExportError(f"ONNX output shape {got.shape} differs from Keras' {expected.shape}.")
    if expected.ndim == 3 and x.dtype.kind in "iu" and x.ndim == 2:
        valid = x > 0
        return float(np.abs(expected - got)[valid].max()) if valid.any() else 0.0
    return float(np.abs(expected - got).max())


# -- files for an export ---------------------------------------------------------------------------------------------
PARITY_BATCH, PARITY_LENGTH = 3, 11  # a padded batch at a length no export fixes (the axes are dynamic)


def parity_inputs(model: Any, seed: int = 0) -> np.ndarray:
    """A batch of 3 at length 11: token rows right-padded to 11, 7 and 4 ids; or normal noise for real inputs."""
    rng = np.random.default_rng(seed)
    source = model.inputs[0]
    if "int" not in str(source.dtype):
        return rng.normal(size=(PARITY_BATCH, PARITY_LENGTH, int(source.shape[-1]))).astype("float32")
    layers = {layer.name: layer for layer in model.layers}
    ids = int(getattr(layers.get("embedding"), "input_dim", 0) or getattr(layers.get("one_hot"), "num_tokens", 0))
    x = rng.integers(1 if ids <= 4 else 4, max(ids, 2), size=(PARITY_BATCH, PARITY_LENGTH))
    x[1, 7:] = 0
    x[2, 4:] = 0
    return x


def step_difference(model: Any, proto: Any, x: np.ndarray) -> float:
    """max |step file fed one id at a time − Keras on the whole sequence| (full-length rows only)."""
    runner = session(proto)
    states = {i.name: np.zeros((x.shape[0], int(i.type.tensor_type.shape.dim[1].dim_value)), "float32")
              for i in proto.graph.input[1:]}
    full = x[:1].repeat(x.shape[0], 0)  # the unpadded row for every batch slot
    steps = []
    for k in range(full.shape[1]):
        out = runner.run(None, {TOKENS: full[:, k:k + 1].astype("int64"), **states})
        steps.append(out[0][:, 0])
        states = {i.name: value for i, value in zip(proto.graph.input[1:], out[1:])}
    expected = keras_outputs(model, full)
    return float(np.abs(np.stack(steps, 1) - expected).max())


def dynamic_int8(proto: Any) -> Any:
    """ONNX Runtime's dynamic int8 quantization of a model (weights int8, activations quantized per call)."""
    import os
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs a pre-processing hint on the root logger on every call
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source, target = os.path.join(tmp, "model.onnx"), os.path.join(tmp, "model_dynamic.onnx")
            onnx.save(proto, source)
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
            return onnx.load(target)
    finally:
        root.setLevel(level)
