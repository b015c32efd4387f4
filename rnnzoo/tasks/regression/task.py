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

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(config, batch_size, length, seed)


TASK = register_task(RegressorTask())
