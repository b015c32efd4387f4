"""The captioning task: an image → a caption (one-to-many), decoded greedily or by beam."""

from rnnzoo.task import register_task
from rnnzoo.tasks.captioning.model import example_batch
from rnnzoo.tasks.seq2seq.task import DecoderTask


class CaptionerTask(DecoderTask):
    """Teacher-forced image → text decoder."""

    name = "captioner"

    def example_batch(self, config, batch_size, length, seed):
        return example_batch(config, batch_size, length, seed)


TASK = register_task(CaptionerTask())
