"""Recursive (tree-structured) classifiers: a Tree-LSTM or the classic recursive net reads a binary tree
bottom-up and classifies its root (e.g. the value of a nested arithmetic expression).

Inputs (named): "tokens" (batch, nodes) ids, "children" (batch, nodes, 2), "levels" (batch, nodes); see
`rnnzoo.tasks.trees.data.encode_trees`.
"""

import keras
import numpy as np
from keras import layers

from rnnzoo.layers.recurrent import sequence_input
from rnnzoo.layers.tree import TreeRecurrent
from rnnzoo.registry import register_model


def build_tree_classifier(*, name="tree_classifier", vocabulary_size, num_classes, cell="lstm", units=64,
                          embedding_dim=32, max_depth=12, dropout=0.0, metadata=None):
    """Builds a recursive classifier over binary trees.

    Args:
        vocabulary_size: int. Node token ids (0 is padding).
        num_classes: int. Output classes of the root.
        cell: str. "lstm" (Tree-LSTM, Tai et al. 2015) or "rnn" (recursive net, Socher et al. 2011).
        units, embedding_dim: state and token embedding sizes.
        max_depth: int. Highest tree the model composes (one batched step per level).
        dropout: float. Dropout on the root state.
        metadata: dict or None. Carried in the saved model (e.g. the vocabulary).

    Examples:
    >>> model = build_tree_classifier(vocabulary_size=14, num_classes=10, units=8)
    >>> model.output_shape
    (None, 10)
    """
    tokens, x = sequence_input(vocabulary_size=vocabulary_size, embedding_dim=embedding_dim, mask_zero=False,
                               metadata=metadata, name="tokens")
    children = keras.Input(shape=(None, 2), dtype="int32", name="children")
    levels = keras.Input(shape=(None,), dtype="int32", name="levels")
    root = TreeRecurrent(units, cell=cell, max_depth=max_depth, name="tree")([x, children, levels])
    if dropout:
        root = layers.Dropout(dropout, name="dropout")(root)
    outputs = layers.Dense(int(num_classes), activation="softmax", dtype="float32", name="classes")(root)
    return keras.Model([tokens, children, levels], outputs, name=name)


def example_batch(config, batch_size, length, seed):
    from rnnzoo.tasks.trees.data import encode_trees, random_tree

    rng = np.random.default_rng(seed)
    vocabulary_size = config["vocabulary_size"]
    leaves = tuple(str(i) for i in range(1, vocabulary_size // 2))
    ops = tuple(str(i) for i in range(vocabulary_size // 2, vocabulary_size))
    trees = [random_tree(rng, int(rng.integers(1, 4)), leaves, ops) for _ in range(batch_size)]
    trees[0] = random_tree(rng, 3, leaves, ops)
    vocabulary = {str(i): i for i in range(1, vocabulary_size)}
    x = encode_trees(trees, vocabulary)
    y = rng.integers(0, config["num_classes"], batch_size).astype("int32")
    return x, y



_TINY = {"vocabulary_size": 12, "num_classes": 3, "units": 8, "embedding_dim": 4, "max_depth": 4}
register_model("tree_lstm_classifier", build_tree_classifier, task="tree_classifier", defaults={"cell": "lstm"},
               tiny=_TINY, description="Binary Tree-LSTM over trees (Tai et al. 2015), root → class")
register_model("recursive_classifier", build_tree_classifier, task="tree_classifier", defaults={"cell": "rnn"},
               tiny=_TINY, description="Classic recursive net h = tanh(W[x; h_L; h_R]) over trees, root → class")
