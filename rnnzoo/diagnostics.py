"""Gradient diagnostics: how the gradient reaching each time step shrinks (vanishing gradients), and how big the
gradients are during training and how often clipping changes them.

Backpropagation through time gives, for the loss at the last step T and the hidden state at step t,
∂L_T/∂h_t = ∂L_T/∂h_T · Π_{j=t+1..T} ∂h_j/∂h_{j−1}. For a tanh RNN each factor is W diag(1 − h_j²); when its
singular values are below 1 the product shrinks exponentially with T − t, and the early inputs cannot be learned
from. Gates give the LSTM/GRU a path (the cell state) whose factor is the forget gate, which can stay near 1.
"""

import keras
import numpy as np
from keras import ops

from rnnzoo.trained import TrainedModel


def _tensorflow_only(what):
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"{what} uses TensorFlow's GradientTape; run with KERAS_BACKEND=tensorflow "
                           f"(this process uses {keras.backend.backend()!r}).")


def hidden_state_gradients(model, x, y, layer="recurrent_1", loss=None):
    """Norms of the gradient of the last step's loss with respect to every hidden state of one recurrent layer.

    The layer is unrolled step by step with its own cell (same weights), the rest of the model runs as trained,
    and the gradient of L_T (the loss of the last step for sequence outputs, the loss for many-to-one models)
    with respect to each h_t is taken.

    Args:
        model: a built rnnzoo model with a unidirectional recurrent layer named `layer`.
        x: a batch of inputs (equal lengths, no padding).
        y: the matching targets.
        layer: str. Name of the recurrent layer to probe.
        loss: a Keras loss or None (the model's task loss).

    Returns:
        float array (T,): the batch mean of ‖∂L_T/∂h_t‖₂ for t = 1..T.

    Examples:
    >>> norms = hidden_state_gradients(model, x, y)  # doctest: +SKIP
    >>> norms[0] / norms[-1]  # how much weaker the signal reaching the first step is  # doctest: +SKIP
    """
    import tensorflow as tf

    _tensorflow_only("hidden_state_gradients")
    recurrent = model.get_layer(layer)
    if isinstance(recurrent, keras.layers.Bidirectional) or not isinstance(recurrent, keras.layers.RNN):
        raise ValueError(f"Layer {layer!r} must be a unidirectional recurrent layer; got {type(recurrent).__name__}.")
    if recurrent.return_state:
        raise ValueError(f"Layer {layer!r} returns its states; probe a model whose recurrent layers do not.")
    task = TrainedModel.of(model).task
    loss = loss or task.loss()
    upstream = keras.Model(model.inputs[0] if len(model.inputs) == 1 else model.inputs, recurrent.input)
    downstream = keras.Model(recurrent.output, model.output)
    xs = upstream(x, training=False)
    xs = tf.convert_to_tensor(xs[0] if isinstance(xs, (list, tuple)) else xs)  # (values, mask) when masked
    y = tf.convert_to_tensor(y)
    cell = recurrent.cell
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    with tf.GradientTape() as tape:
        states = [tf.zeros((xs.shape[0], s), xs.dtype) for s in sizes]
        hidden = []
        for t in range(xs.shape[1]):
            h, states = cell(xs[:, t], states, training=False)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            hidden.append(h)
        out = downstream(tf.stack(hidden, 1) if recurrent.return_sequences else hidden[-1], training=False)
        if task.sequence_output:
            out, y = out[:, -1], y[:, -1]
        value = loss(y, out)
    grads = tape.gradient(value, hidden)
    return np.array([0.0 if g is None else float(tf.reduce_mean(tf.norm(g, axis=-1))) for g in grads])


class GradientNormLogger(keras.callbacks.Callback):
    """Records the global gradient norm of every training batch and whether clipping changed the gradients.

    After `fit`, `norms` holds one norm per batch (before clipping) and `clipped` one flag per batch; each epoch's
    logs (and so the `History`) gain `grad_norm` (mean over the epoch's batches) and `clip_fraction`. Clipping
    "fires" when any weight's gradient norm exceeds the optimizer's `clipnorm`, the global norm exceeds
    `global_clipnorm`, or any entry exceeds `clipvalue`. TensorFlow and PyTorch backends (JAX trains statelessly).

    Examples:
    >>> logger = GradientNormLogger()
    >>> model.fit(x, y, callbacks=[logger])  # doctest: +SKIP
    >>> logger.clipped.mean()  # doctest: +SKIP
    """

    def __init__(self):
        super().__init__()
        self.norms, self.clipped = np.zeros(0), np.zeros(0, bool)

    def on_train_begin(self, logs=None):
        if keras.backend.backend() == "jax":
            raise RuntimeError("GradientNormLogger needs the TensorFlow or PyTorch backend (JAX trains statelessly).")
        optimizer = self.model.optimizer
        self._norm = keras.Variable(0.0, trainable=False, dtype="float32", name="grad_norm")
        self._fired = keras.Variable(0.0, trainable=False, dtype="float32", name="clip_fired")
        self._original = optimizer.apply
        norm_var, fired_var, original = self._norm, self._fired, self._original

        def apply(grads, trainable_variables=None):
            present = [ops.cast(g, "float32") for g in grads if g is not None]
            norms = ops.stack([ops.sqrt(ops.sum(ops.square(g))) for g in present])
            total = ops.sqrt(ops.sum(ops.square(norms)))
            if optimizer.clipnorm:
                fired = ops.any(norms > optimizer.clipnorm)
            elif optimizer.global_clipnorm:
                fired = total > optimizer.global_clipnorm
            elif optimizer.clipvalue:
                fired = ops.any(ops.stack([ops.max(ops.abs(g)) for g in present]) > optimizer.clipvalue)
            else:
                fired = ops.convert_to_tensor(False)
            norm_var.assign(total)
            fired_var.assign(ops.cast(fired, "float32"))
            return original(grads, trainable_variables)

        optimizer.apply = apply
        self.model.make_train_function(force=True)  # trace again so the compiled step records the norms
        self._batch_norms, self._batch_clipped, self._epoch_start = [], [], 0

    def on_train_batch_end(self, batch, logs=None):
        self._batch_norms.append(float(ops.convert_to_numpy(self._norm)))
        self._batch_clipped.append(bool(ops.convert_to_numpy(self._fired) > 0))

    def on_epoch_end(self, epoch, logs=None):
        norms = self._batch_norms[self._epoch_start:]
        clipped = self._batch_clipped[self._epoch_start:]
        self._epoch_start = len(self._batch_norms)
        if logs is not None and norms:
            logs["grad_norm"] = float(np.mean(norms))
            logs["clip_fraction"] = float(np.mean(clipped))

    def on_train_end(self, logs=None):
        self.model.optimizer.__dict__.pop("apply", None)  # back to the class method
        self.model.make_train_function(force=True)
        self.norms = np.array(self._batch_norms)
        self.clipped = np.array(self._batch_clipped, bool)
