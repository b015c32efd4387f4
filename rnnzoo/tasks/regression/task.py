"""The regressor task: a sequence of feature vectors → numbers."""

import keras

from rnnzoo.task import Task, register_task
from rnnzoo.tasks.regression.model import example_batch


class RegressorTask(Task):
    """Many-to-one regression (mean squared error)."""

    name = "regressor"

    def loss(self):
        return keras.losses.MeanSquaredError()

    def metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    example_batch = staticmethod(example_batch)


TASK = register_task(RegressorTask())
