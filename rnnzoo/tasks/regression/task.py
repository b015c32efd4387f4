"""The regressor task: a sequence of feature vectors → numbers."""

import keras
import numpy as np

from rnnzoo.task import Task, Verb, register_task
from rnnzoo.tasks.regression.model import example_batch

OPTIONS = {"split": (0.8, 0.1, 0.1)}
"""A regressor's training options (`rnnzoo.train`): `split`, the train/validation/test fractions when no
validation_data is given."""


def sequence_data(data):
    """`SequenceData` from a `SequenceData`, an `(inputs, targets)` pair of arrays or an embedded name
    ("adding_problem")."""
    from rnnzoo import datasets

    if isinstance(data, str):
        data = datasets.load(data)
    if isinstance(data, tuple) and len(data) == 2:
        data = datasets.SequenceData(*data)
    if not isinstance(data, datasets.SequenceData):
        raise ValueError(f"A regressor trains on SequenceData, an (inputs, targets) pair of arrays or "
                         f"'adding_problem'; got {type(data).__name__}.")
    return data


class RegressorTask(Task):
    """Many-to-one regression (mean squared error)."""

    name = "regressor"

    def loss(self):
        return keras.losses.MeanSquaredError()

    def metrics(self):
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    example_batch = staticmethod(example_batch)

    @property
    def train_options(self):
        return dict(OPTIONS)

    def prepare_training(self, spec, data, config, validation_data=None, test_data=None):
        """Arrays split by fractions (or the given validation and test data); held-out MSE and MAE."""
        from rnnzoo import fitting
        from rnnzoo.card import DataRecord, ModelCard

        data = sequence_data(data)
        if validation_data is None and test_data is None:
            (train, validation, test), split = fitting.split(data, tuple(config.task["split"]), config.seed)
        else:
            train = data
            validation, test = (None if d is None else sequence_data(d) for d in (validation_data, test_data))
            split = fitting.explicit_split(train, validation, test)
        card = ModelCard(model=spec.name, task=self.name, split=split,
                         data=DataRecord(source=data.name, fingerprint=data.fingerprint(), examples=len(data)),
                         training={"model_options": dict(config.model)})

        def held_out_metrics(model):
            if test is None or not len(test):
                return {}
            scores = model.evaluate(test.inputs, test.targets, batch_size=config.batch_size, return_dict=True,
                                    verbose=0)
            return {**{k: float(v) for k, v in scores.items()}, "test": len(test)}

        return fitting.Plan(card=card, train=(train.inputs, train.targets),
                            validation=None if validation is None or not len(validation) else
                            (validation.inputs, validation.targets),
                            build={"num_features": data.inputs.shape[-1], "num_outputs": data.targets.shape[-1]},
                            evaluate=held_out_metrics, shuffle=True, details={"splits": (train, validation, test)})

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
