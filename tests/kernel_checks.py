"""Equivalence of rnnzoo's fast training kernels with Keras' own LSTM/GRU loop, on the current backend.

Used by tests/test_kernels.py on TensorFlow (in process) and on PyTorch (in a subprocess)."""

import json

import keras
import numpy as np

from rnnzoo.layers import recurrent

CASES = [dict(return_sequences=True), dict(return_sequences=False), dict(go_backwards=True),
         dict(return_sequences=True, padded=True), dict(return_sequences=True, all_ones_mask=True),
         dict(return_sequences=False, initial_state=True), dict(bidirectional=True),
         dict(return_sequences=False, padded=True, initial_state=True), dict(go_backwards=True, padded=True),
         dict(return_sequences=True, padded=True, left_padded=True, initial_state=True),
         dict(bidirectional=True, padded=True), dict(return_sequences=True, padded=True, no_state=True),
         dict(go_backwards=True, padded=True, empty_row=True, no_state=True, initial_state=True),
         dict(return_sequences=False, padded=True, empty_row=True, no_state=True, initial_state=True),
         dict(return_sequences=True, padded=True, empty_row=True, initial_state=True)]


def kernel_expected(backend, cell, case):
    """Whether the fast kernel must run: always on TensorFlow; on PyTorch for unpadded and right-padded batches,
    except an LSTM whose final cell state is returned (a packed sequence) when a row has no valid step."""
    if backend == "tensorflow" or not case.get("padded"):
        return True
    returns_state = not (case.get("no_state") or case.get("bidirectional"))
    return not case.get("left_padded") and not (cell == "LSTM" and returns_state and case.get("empty_row"))


def _grads(backend, fn, tensors):
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(tensors)
            loss, outs = fn()
        return [np.asarray(o) for o in outs], [np.asarray(g) for g in tape.gradient(loss, tensors)]
    import torch

    loss, outs = fn()
    grads = torch.autograd.grad(loss, tensors)
    return [o.detach().cpu().numpy() for o in outs], [g.detach().cpu().numpy() for g in grads]


def check(cell, case, seed=0, training=True):
    """Max abs differences (outputs, gradients) between the rnnzoo layer and Keras' layer on one case (a training
    call, or with `training=False` an inference call: TensorFlow's forward-only loop)."""
    backend = keras.backend.backend()
    rng = np.random.default_rng(seed)
    batch, steps, features, units = 3, 6, 5, 4
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    mask = np.ones((batch, steps), bool)
    if case.get("padded"):
        mask[1, 4:] = False
        mask[2, 2:] = False
    if case.get("left_padded"):
        mask[0, :2] = False
    if case.get("empty_row"):
        mask[0, :] = False
    options = dict(return_sequences=case.get("return_sequences", True), return_state=not case.get("no_state"),
                   go_backwards=case.get("go_backwards", False), bias_initializer="random_normal")
    pair = []
    for cls in (getattr(recurrent, cell), getattr(keras.layers, cell)):
        layer = cls(units, **options)
        if case.get("bidirectional"):
            layer = keras.layers.Bidirectional(cls(units, return_sequences=True, bias_initializer="random_normal"))
        pair.append(layer)
    pair[0].build(x.shape)
    pair[1].build(x.shape)
    pair[1].set_weights(pair[0].get_weights())
    n_states = 2 if cell == "LSTM" else 1
    state0 = [rng.normal(size=(batch, units)).astype("float32") for _ in range(n_states)]
    results = []
    for layer in pair:
        xt = keras.ops.convert_to_tensor(x)
        weights = [w.value for w in layer.weights]
        if backend == "torch":
            xt.requires_grad_(True)
        tensors = [xt] + weights

        def fn():
            kwargs = {"training": training}
            if case.get("padded") or case.get("all_ones_mask"):
                kwargs["mask"] = keras.ops.convert_to_tensor(mask)
            if case.get("initial_state"):
                kwargs["initial_state"] = [keras.ops.convert_to_tensor(s) for s in state0]
            out = layer(xt, **kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            probe = keras.ops.convert_to_tensor(np.sin(np.arange(outs[0].shape[-1])).astype("float32"))
            loss = sum(keras.ops.sum(o * probe[: o.shape[-1]] * (k + 1)) for k, o in enumerate(outs))
            return loss, outs

        results.append(_grads(backend, fn, tensors))
        if layer is pair[0]:
            used = any((getattr(r, "loop_used", None) or "").startswith("rnnzoo kernel") for r in _recurrent(layer))
    (o1, g1), (o2, g2) = results
    return (max(float(np.max(np.abs(a - b))) for a, b in zip(o1, o2)),
            max(float(np.max(np.abs(a - b))) for a, b in zip(g1, g2)), used)


def _recurrent(layer):
    """The rnnzoo LSTM/GRU layers of `layer` (itself, or a Bidirectional's two directions)."""
    return [layer.forward_layer, layer.backward_layer] if isinstance(layer, keras.layers.Bidirectional) else [layer]


def run_all():
    """{"cell/case index": (output difference, gradient difference, fast kernel ran, fast kernel expected)}."""
    backend = keras.backend.backend()
    return {f"{cell}/{i}": (*check(cell, case), kernel_expected(backend, cell, case))
            for cell in ("LSTM", "GRU") for i, case in enumerate(CASES)}


def main():
    """Prints the differences of every case, and which kernels ran, as one JSON line after "RESULTS"."""
    results = run_all()
    used = {}
    for key, (_, _, took, _) in results.items():
        cell = f"{keras.backend.backend()}/{key.split('/')[0].lower()}"
        used[cell] = used.get(cell, 0) + int(took)
    print("RESULTS" + json.dumps({"backend": keras.backend.backend(), "results": results, "used": used}))
