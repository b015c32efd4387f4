"""The regressor task: a sequence of feature vectors → numbers."""

import keras
import numpy as np

from rnnzoo.task import Task, Verb, register_task
from rnnzoo.tasks.regression.model import example_batch

class RegressorTask(Task):
    """Many-to-one regression (mean squared error)."""

    name = "regressor"

    def loss(self):
        return keras.losses.MeanSquaredError()

    def metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    example_batch = staticmethod(example_batch)

    def trainer(self):
        import rnnzoo.tasks.regression.sequences as trainer

        return trainer

    def example_data(self, seed=0):
        from rnnzoo.datasets import SequenceData
        from rnnzoo.datasets.synthetic import adding_problem

        return SequenceData(*adding_problem(96, 12, seed), name="example_adding")

    def example_requests(self, data, directory):
        import os

        path = os.path.join(directory, "sequence.csv")
        with open(path, "w") as f:
            f.write("".join(",".join(f"{v:.5f}" for v in row) + "\n" for row in data.inputs[0]))
        return [path], data

    def evaluate_saved(self, trained, data, batch_size=64, **options):
        """MSE and MAE on sequences: the held-out split recorded in the card when `data` is the training data,
        else all of it."""
        from rnnzoo.evaluation import held_out
        from rnnzoo.tasks.regression.sequences import sequence_data

        data = sequence_data(data)
        part, described = held_out(trained.card, data, data.name)
        trained.ensure_compiled()
        scores = trained.model.evaluate(part.inputs, part.targets, batch_size=batch_size, return_dict=True, verbose=0)
        return {"evaluated_on": described, "examples": len(part), **{k: float(v) for k, v in scores.items()}}

    def verbs(self):
        def predict(trained, files, options):
            from rnnzoo.datasets.files import read_numbers_csv

            out = []
            for f in files:
                rows = read_numbers_csv(f)
                y = trained.predict(rows[None].astype("float32"))[0]
                out.append({"file": f, "prediction": [float(v) for v in np.ravel(y)]})
            return out

        return [Verb("predict", "the outputs of a sequence regressor for CSV files of feature rows (one sequence "
                                "per file)", predict,
                     render=lambda r: f"{r['file']}: " + ", ".join(f"{v:.4g}" for v in r["prediction"]))]


TASK = register_task(RegressorTask())
