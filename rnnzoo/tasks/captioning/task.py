"""The captioning task: an image → a caption (one-to-many), decoded greedily or by beam."""

from rnnzoo.task import register_task
from rnnzoo.tasks.captioning.model import example_batch
from rnnzoo.tasks.seq2seq.task import DecoderTask


class CaptionerTask(DecoderTask):
    """Teacher-forced image → text decoder."""

    name = "captioner"

    example_batch = staticmethod(example_batch)


TASK = register_task(CaptionerTask())
