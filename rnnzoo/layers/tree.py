"""Recursive (tree-structured) networks: children are composed bottom-up into their parent's state.

Trees arrive as three aligned arrays per example (see `rnnzoo.tasks.trees.data.encode_trees`), nodes in pre-order so the
root is node 0:
- `x` (batch, nodes, features): the node's input (the embedding of its token: a digit, an operator, a word);
- `children` (batch, nodes, 2): indices of the left and right child, −1 for none (leaves, padding);
- `levels` (batch, nodes): the node's height (leaves 0, their parents 1, ...), −1 for padding.

All nodes of one height are computed together, so a tree costs `height + 1` batched steps, not one per node.

Cells:
- "lstm": the binary Tree-LSTM of Tai, Socher & Manning (2015), one forget gate per child:
    i = σ(W_i x + U_i [h_L; h_R] + b_i)          f_k = σ(W_f x + U_fk [h_L; h_R] + b_f),  k ∈ {L, R}
    o = σ(W_o x + U_o [h_L; h_R] + b_o)          u = tanh(W_u x + U_u [h_L; h_R] + b_u)
    c = i ⊙ u + f_L ⊙ c_L + f_R ⊙ c_R            h = o ⊙ tanh(c)
- "rnn": the classic recursive net (Socher et al. 2011): h = tanh(W [x; h_L; h_R] + b).
A missing child contributes zeros, so leaves are h = cell(x, 0, 0).
"""

import keras
from keras import layers, ops

TREE_CELLS = ("lstm", "rnn")


@keras.saving.register_keras_serializable(package="rnnzoo")
class TreeRecurrent(layers.Layer):
    """Composes binary trees bottom-up and returns the root state (node 0), or every node's state.

    Args:
        units: int. State size.
        cell: str. "lstm" (Tree-LSTM) or "rnn" (tanh recursive net).
        max_depth: int. Largest tree height the layer computes (the number of batched steps); deeper nodes keep
            zero states, so encode trees with `rnnzoo.tasks.trees.data.encode_trees(max_depth=...)`, which refuses them.
        return_nodes: bool. Return (batch, nodes, units) instead of the root's (batch, units).

    Examples:
    >>> layer = TreeRecurrent(8)
    >>> # x: (batch, nodes, features), children: (batch, nodes, 2), levels: (batch, nodes)
    """

    def __init__(self, units, cell="lstm", max_depth=16, return_nodes=False, kernel_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        if cell not in TREE_CELLS:
            raise ValueError(f"Unknown tree cell {cell!r}; use one of {TREE_CELLS}.")
        if int(units) < 1 or int(max_depth) < 1:
            raise ValueError(f"units and max_depth must be positive; got units={units}, max_depth={max_depth}.")
        self.units, self.cell, self.max_depth, self.return_nodes = int(units), cell, int(max_depth), return_nodes
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        gates = 5 if cell == "lstm" else 1
        self.transform = layers.Dense(gates * self.units, kernel_initializer=self.kernel_initializer,
                                      bias_initializer=self._bias_initializer, name="transform")

    def _bias_initializer(self, shape, dtype=None):
        if self.cell != "lstm":
            return ops.zeros(shape, dtype=dtype)
        u = self.units  # forget gates start at 1 (as in Keras' unit_forget_bias) so child memories pass through
        return ops.cast(ops.concatenate([ops.zeros((u,)), ops.ones((2 * u,)), ops.zeros((2 * u,))]), dtype or "float32")

    def build(self, input_shape):
        x_shape = input_shape[0]
        self.transform.build((None, x_shape[-1] + 2 * self.units))
        self.built = True

    def _gather(self, states, index):
        """states (batch, nodes + 1, units), index (batch, nodes) → (batch, nodes, units)."""
        index = ops.repeat(ops.expand_dims(index, -1), self.units, axis=-1)
        return ops.take_along_axis(states, index, axis=1)

    def call(self, inputs):
        x, children, levels = inputs
        children = ops.cast(children, "int32")
        levels = ops.cast(levels, "int32")
        nodes = ops.shape(x)[1]
        null = ops.cast(nodes, "int32")  # index of an extra all-zero slot: "no child"
        valid = ops.logical_and(children >= 0, children < null)
        children = ops.where(valid, children, null)
        left, right = children[..., 0], children[..., 1]
        h = ops.zeros((ops.shape(x)[0], nodes, self.units), dtype=x.dtype)
        c = ops.zeros_like(h)
        pad = ops.zeros_like(h[:, :1])
        for level in range(self.max_depth + 1):
            h_all, c_all = ops.concatenate([h, pad], axis=1), ops.concatenate([c, pad], axis=1)
            h_left, h_right = self._gather(h_all, left), self._gather(h_all, right)
            z = self.transform(ops.concatenate([x, h_left, h_right], axis=-1))
            if self.cell == "lstm":
                i, f_left, f_right, o, u = ops.split(z, 5, axis=-1)
                c_new = (ops.sigmoid(i) * ops.tanh(u) + ops.sigmoid(f_left) * self._gather(c_all, left)
                         + ops.sigmoid(f_right) * self._gather(c_all, right))
                h_new = ops.sigmoid(o) * ops.tanh(c_new)
                c = ops.where(ops.expand_dims(levels == level, -1), c_new, c)
            else:
                h_new = ops.tanh(z)
            h = ops.where(ops.expand_dims(levels == level, -1), h_new, h)
        return h if self.return_nodes else h[:, 0]

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0]
        return (x_shape[0], x_shape[1], self.units) if self.return_nodes else (x_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "cell": self.cell, "max_depth": self.max_depth,
                "return_nodes": self.return_nodes,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
