"""The forecasting tasks: the last rows of a series → the next `horizon` values (per window, or per step)."""

from rnnzoo.task import Verb, register_task
from rnnzoo.tasks.forecasting.model import example_batch
from rnnzoo.tasks.regression.task import RegressorTask


class ForecasterTask(RegressorTask):
    """Window → next `horizon` values of the target column (a regressor's mean squared error on scaled values)."""

    name = "forecaster"
    train_defaults = {"epochs": 300, "patience": 25, "verbose": 0}  # a small series: many short epochs

    def trainer(self):
        import rnnzoo.tasks.forecasting.forecast as trainer

        return trainer

    def example_data(self, seed=0):
        import numpy as np

        from rnnzoo.datasets import SeriesData

        t = np.arange(240)
        values = (np.sin(t / 6.0) * 10 + 20 + np.random.default_rng(seed).normal(0, 0.3, len(t)))[:, None]
        return SeriesData(values.astype("float32"), t, ["value"], name="example_wave")

    def example_requests(self, data, directory):
        import os

        path = os.path.join(directory, "tail.csv")
        with open(path, "w") as f:
            f.write("value\n" + "".join(f"{v:.5f}\n" for v in data.values[-40:, 0]))
        return [path], data

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(self.sequence_output)(config, batch_size, length, seed)

    def evaluate_saved(self, trained, data, **options):
        from rnnzoo.tasks.forecasting.forecast import evaluate_saved_forecaster

        return evaluate_saved_forecaster(trained, data)

    def verbs(self):
        def forecast(trained, files, options):
            from rnnzoo.datasets.files import read_numbers_csv
            from rnnzoo.tasks.forecasting.forecast import Forecaster

            forecaster = Forecaster(trained)
            horizon = options.horizon or forecaster.horizon
            if not 1 <= horizon <= forecaster.horizon:
                raise ValueError(f"This model forecasts {forecaster.horizon} steps ahead; pass --horizon between 1 "
                                 f"and {forecaster.horizon}.")
            return [{"file": f, "horizon": horizon,
                     "forecast": [float(v) for v in forecaster.forecast(read_numbers_csv(f, forecaster.columns))
                                  [:horizon]]} for f in files]

        return [Verb("forecast", "the next values after the end of series in CSV files (one file per item)",
                     forecast, options=((("--horizon",), dict(type=int, help="steps ahead (default: the model's "
                                                                                "horizon)")),),
                     render=lambda r: f"{r['file']}: " + ", ".join(f"{v:.4g}" for v in r["forecast"]))]


class SequenceForecasterTask(ForecasterTask):
    """Many-to-many: every step of the window predicts the `horizon` values after it."""

    name = "sequence_forecaster"
    sequence_output = True


FORECASTER = register_task(ForecasterTask())
SEQUENCE_FORECASTER = register_task(SequenceForecasterTask())
TASKS = (FORECASTER, SEQUENCE_FORECASTER)
