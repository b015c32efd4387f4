"""The CTC recognition task: frames of audio features → a word sequence (no alignment needed)."""

import keras

from rnnzoo.task import Task, register_task
from rnnzoo.tasks.speech.model import example_batch


class CTCTask(Task):
    """Connectionist temporal classification: per-frame logits over the labels plus the blank (id 0)."""

    name = "ctc"
    sequence_output = True

    def loss(self):
        return keras.losses.CTC()

    example_batch = staticmethod(example_batch)


TASK = register_task(CTCTask())
