"""The tree-classification task: a binary tree → a class at its root."""

import keras

from rnnzoo.task import Task, register_task
from rnnzoo.tasks.trees.model import example_batch


class TreeClassifierTask(Task):
    """Recursive nets over binary trees (inputs: tokens, children, levels)."""

    name = "tree_classifier"
    tree_input = True  # inputs are `encode_trees` arrays, not token sequences

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(config, batch_size, length, seed)


TASK = register_task(TreeClassifierTask())
