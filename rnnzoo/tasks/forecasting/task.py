"""The forecasting tasks: the last rows of a series → the next `horizon` values (per window, or per step)."""

from rnnzoo.task import Verb, register_task
from rnnzoo.tasks.forecasting.model import example_batch
from rnnzoo.tasks.regression.task import RegressorTask


class ForecasterTask(RegressorTask):
    """Window → next `horizon` values of the target column (a regressor's mean squared error on scaled values)."""

    name = "forecaster"

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(self.sequence_output)(config, batch_size, length, seed)

    def evaluate_saved(self, trained, data, **options):
        from rnnzoo.tasks.forecasting.forecast import evaluate_saved_forecaster

        return evaluate_saved_forecaster(trained, data)

    def verbs(self):
        def forecast(trained, files, options):
            from rnnzoo.tasks.forecasting.forecast import Forecaster

            forecaster = Forecaster(trained)
            horizon = options.horizon or forecaster.horizon
            if not 1 <= horizon <= forecaster.horizon:
                raise ValueError(f"This model forecasts {forecaster.horizon} steps ahead; pass --horizon between 1 "
                                 f"and {forecaster.horizon}.")
            return [{"file": f, "horizon": horizon,
                     "forecast": [float(v) for v in forecaster.forecast(read_series_csv(f, forecaster.columns))
                                  [:horizon]]} for f in files]

        return [Verb("forecast", "the next values after the end of series in CSV files (one file per item)",
                     forecast, options=((("--horizon",), dict(type=int, help="steps ahead (default: the model's "
                                                                                "horizon)")),),
                     render=lambda r: f"{r['file']}: " + ", ".join(f"{v:.4g}" for v in r["forecast"]))]


def read_series_csv(path, columns=()):
    """Rows × features from a CSV file of numbers (a header row is optional; with one, the model's training
    columns are picked by name when they are all there). Errors say which line and column is not a number."""
    import csv

    import numpy as np

    from rnnzoo.datasets.files import _read

    rows = [r for r in csv.reader(_read(path).splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{path!r} holds no rows; a series file has one row per time step.")
    header = None
    try:
        [float(c) for c in rows[0] if c.strip()]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    pick = [header.index(c) for c in columns] if header and columns and set(columns) <= set(header) else None
    values = []
    for number, row in enumerate(rows, start=2 if header else 1):
        cells = [row[i] for i in pick] if pick else [c for c in row if c.strip()]
        try:
            values.append([float(c) for c in cells])
        except ValueError:
            raise ValueError(f"{path!r} line {number}: {row} is not all numbers; a series file holds numbers, one "
                             "row per time step (a header row first is allowed).") from None
    if len({len(v) for v in values}) > 1:
        raise ValueError(f"{path!r}: rows have different numbers of columns.")
    return np.array(values, "float32")


class SequenceForecasterTask(ForecasterTask):
    """Many-to-many: every step of the window predicts the `horizon` values after it."""

    name = "sequence_forecaster"
    sequence_output = True


FORECASTER = register_task(ForecasterTask())
SEQUENCE_FORECASTER = register_task(SequenceForecasterTask())
TASKS = (FORECASTER, SEQUENCE_FORECASTER)
