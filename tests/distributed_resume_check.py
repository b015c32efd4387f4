"""A data-parallel training killed after its second epoch and started again resumes from its backup and ends with
the weights of an uninterrupted run (tests/test_distribute.py runs the three phases in fresh processes):

    python tests/distributed_resume_check.py kill|resume|whole OUT
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import distributed_check as check  # noqa: E402  (2 devices: logical CPU devices on TensorFlow)
import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnnzoo import datasets  # noqa: E402
from rnnzoo.training import train  # noqa: E402

phase, out = sys.argv[1], sys.argv[2]


class DieAfterSecondEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            os._exit(3)  # no clean-up, as a killed worker


class Ran(keras.callbacks.Callback):
    epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        Ran.epochs.append(int(epoch))


def make(texts):
    return datasets.TextClassificationData(texts, ["pos" if "good" in t or "fun" in t else "neg" for t in texts])


train_data, validation, test = check._parts(make, 0)
result = train("gru_classifier", train_data, validation_data=validation, test_data=test, epochs=4, batch_size=16,
               verbose=0, min_frequency=1, patience=10, out=out, distribution=check.DISTRIBUTION,
               callbacks=[Ran()] + ([DieAfterSecondEpoch()] if phase == "kill" else []), **check.TINY)
weights = np.concatenate([w.ravel() for w in result.model.get_weights()])
print(json.dumps({"epochs": len(result.history["loss"]), "ran": Ran.epochs, "weights": weights.tolist()}))
