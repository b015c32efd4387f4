"""Sequence regression data for `rnnzoo.train`: `SequenceData` from arrays or a name, and the training plan."""

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


def prepare(spec, data, config, validation_data=None, test_data=None):
    """The `Plan` of a sequence regressor (`rnnzoo.train`): arrays split by fractions (or the given validation and
    test data); held-out MSE and MAE."""
    from rnnzoo import fitting
    from rnnzoo.card import DataRecord, ModelCard

    data = sequence_data(data)
    if validation_data is None and test_data is None:
        (train, validation, test), split = fitting.split(data, tuple(config.task["split"]), config.seed)
    else:
        train = data
        validation, test = (None if d is None else sequence_data(d) for d in (validation_data, test_data))
        split = fitting.explicit_split(train, validation, test)
    card = ModelCard(model=spec.name, task=spec.task, split=split,
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
