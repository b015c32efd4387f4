"""Losses shared by the tasks: sparse cross-entropy with optional label smoothing.

Keras 3's `SparseCategoricalCrossentropy` has no label smoothing (only the one-hot `CategoricalCrossentropy`
has), and one-hot targets over a sequence cost a [batch, time, vocabulary] tensor. `SparseCrossentropy` smooths
sparse integer targets directly: with smoothing ε the target puts 1 − ε on the true token and ε spread evenly
over the whole vocabulary (Szegedy et al. 2016; the usual seq2seq regulariser), so

    loss = (1 − ε) · (−log p[y]) + ε · mean_k(−log p[k]).

Masks (padded target positions) are honoured as by every Keras loss.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="rnnzoo")
class SparseCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with label smoothing.

    Args:
        from_logits: bool. `y_pred` holds logits (True) or probabilities (False).
        label_smoothing: float in [0, 1). Mass spread evenly over all classes.

    Examples:
    >>> import numpy as np
    >>> loss = SparseCrossentropy(from_logits=True, label_smoothing=0.1)
    >>> round(float(loss(np.array([0]), np.array([[0.0, 0.0]]))), 4)  # log 2 whatever the smoothing
    0.6931
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, name="sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        label_smoothing = float(label_smoothing)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing!r}.")
        self.from_logits = bool(from_logits)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        if self.from_logits:
            log_p = ops.log_softmax(y_pred, axis=-1)
        else:
            log_p = ops.log(ops.clip(y_pred, keras.backend.epsilon(), 1.0))
        y_true = ops.cast(y_true, "int32")
        if len(y_true.shape) == len(y_pred.shape):  # (batch, 1) labels
            y_true = ops.squeeze(y_true, axis=-1)
        nll = -ops.squeeze(ops.take_along_axis(log_p, ops.expand_dims(y_true, -1), axis=-1), axis=-1)
        if not self.label_smoothing:
            return nll
        return (1.0 - self.label_smoothing) * nll - self.label_smoothing * ops.mean(log_p, axis=-1)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "label_smoothing": self.label_smoothing}


def sparse_crossentropy(from_logits=False, label_smoothing=0.0):
    """Keras' own sparse cross-entropy without smoothing (what models were always compiled with); rnnzoo's
    `SparseCrossentropy` with it."""
    if label_smoothing:
        return SparseCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
