"""The tagger task: token sequences → one tag per token."""

import numpy as np

from rnnzoo.task import Examples, register_task
from rnnzoo.tasks.labels import LabelTask
from rnnzoo.tasks.tagging.model import example_batch


class TaggerTask(LabelTask):
    """Aligned many-to-many tagging (part-of-speech, named entities). Outputs are per-token tag probabilities."""

    name = "tagger"
    sequence_output = True
    text_field = "tokens"
    tokenized = True

    example_batch = staticmethod(example_batch)

    def head_options(self, labels):
        return {"num_tags": len(labels)}

    def example_data(self, seed=0):
        from rnnzoo.datasets import TaggedData

        rng = np.random.default_rng(seed)
        words = {"the": "DT", "a": "DT", "cat": "NN", "dog": "NN", "mat": "NN", "sat": "VB", "ran": "VB", "on": "IN"}
        tokens = [[str(w) for w in rng.choice(list(words), int(rng.integers(3, 7)))] for _ in range(80)]
        return TaggedData(tokens, [[words[w] for w in sentence] for sentence in tokens], name="example_tags")

    def encode(self, data, encoder, labels, window=None):
        index = {name: i for i, name in enumerate(labels)}
        inputs = encoder.encode_tokens(data.tokens)
        targets = [np.array([index.get(t, 0) for t in tags[: len(x)]], "int32") for tags, x in zip(data.tags, inputs)]
        return Examples(inputs, targets)

    def postprocess(self, tokens, probs, labels):
        return [[(tok, labels[int(j)]) for tok, j in zip(toks, np.argmax(p[: len(toks)], -1))]
                for toks, p in zip(tokens, probs)]

    def text_signature(self, trained, kit, max_new_tokens):
        tf = kit.tf
        model, labels = trained.model, tf.constant(trained.card.labels or [], tf.string)

        @tf.function(input_signature=kit.text_spec)
        def predict_text(texts):
            ids, pieces = kit.source.ids(texts)
            best = tf.argmax(model(ids, training=False), axis=-1, output_type=tf.int32)
            return {"tokens": pieces.to_tensor(default_value=""),
                    "tags": tf.where(ids > 0, tf.gather(labels, best), tf.constant("", tf.string))}

        return "predict_text", predict_text, "raw strings → tagger output"


TASK = register_task(TaggerTask())
