"""The forecasting tasks: the last rows of a series → the next `horizon` values (per window, or per step)."""

from rnnzoo.task import register_task
from rnnzoo.tasks.forecasting.model import example_batch
from rnnzoo.tasks.regression.task import RegressorTask


class ForecasterTask(RegressorTask):
    """Window → next `horizon` values of the target column (a regressor's mean squared error on scaled values)."""

    name = "forecaster"

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(self.sequence_output)(config, batch_size, length, seed)


class SequenceForecasterTask(ForecasterTask):
    """Many-to-many: every step of the window predicts the `horizon` values after it."""

    name = "sequence_forecaster"
    sequence_output = True


FORECASTER = register_task(ForecasterTask())
SEQUENCE_FORECASTER = register_task(SequenceForecasterTask())
TASKS = (FORECASTER, SEQUENCE_FORECASTER)
