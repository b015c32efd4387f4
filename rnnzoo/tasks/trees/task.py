"""The tree-classification task: a binary tree → a class at its root."""

from rnnzoo.task import LabelTask, register_task
from rnnzoo.tasks.trees.model import example_batch


class TreeClassifierTask(LabelTask):
    """Recursive nets over binary trees (inputs: tokens, children, levels)."""

    name = "tree_classifier"
    tree_input = True  # inputs are `encode_trees` arrays, not token sequences

    example_batch = staticmethod(example_batch)


TASK = register_task(TreeClassifierTask())
