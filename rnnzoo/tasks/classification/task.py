"""The classifier task: texts → one label each."""

import numpy as np

from rnnzoo.task import Examples, register_task
from rnnzoo.tasks.labels import LabelTask
from rnnzoo.tasks.classification.model import example_batch


class ClassifierTask(LabelTask):
    """Many-to-one classification of texts (e.g. sentiment). Outputs are class probabilities."""

    name = "classifier"
    text_field = "texts"

    example_batch = staticmethod(example_batch)

    def head_options(self, labels):
        return {"num_classes": len(labels)}

    def example_data(self, seed=0):
        from rnnzoo.datasets import TextClassificationData

        rng = np.random.default_rng(seed)
        good, bad, plain = ["good", "great", "fine"], ["bad", "poor", "dull"], ["the", "film", "was", "very", "a"]
        texts, labels = [], []
        for i in range(80):
            label = "pos" if i % 2 else "neg"
            words = list(rng.choice(plain, 3)) + list(rng.choice(good if label == "pos" else bad, 2))
            texts.append(" ".join(rng.permutation(words)))
            labels.append(label)
        return TextClassificationData(texts, labels, name="example_sentiment")

    def encode(self, data, encoder, labels, window=None):
        index = {name: i for i, name in enumerate(labels)}
        unknown = sorted({str(y) for y in data.labels} - set(index))
        if unknown:
            raise ValueError(f"Labels {unknown[:5]} were not seen in training; the model knows {labels}.")
        inputs = encoder.encode(data.texts)
        keep = [i for i, x in enumerate(inputs) if len(x)]
        return Examples([inputs[i] for i in keep], np.array([index[str(data.labels[i])] for i in keep], "int32"))

    def postprocess(self, tokens, probs, labels):
        return [{"label": labels[int(np.argmax(p))], "probability": float(np.max(p)),
                 "probabilities": {labels[j]: float(p[j]) for j in range(len(labels))}} for p in probs]

    def text_signature(self, trained, kit, max_new_tokens):
        tf = kit.tf
        model, labels = trained.model, tf.constant(trained.card.labels or [], tf.string)

        @tf.function(input_signature=kit.text_spec)
        def predict_text(texts):
            ids, _ = kit.source.ids(texts)
            probs = model(ids, training=False)
            best = tf.argmax(probs, axis=-1, output_type=tf.int32)
            return {"label": tf.gather(labels, best), "probabilities": probs,
                    "probability": tf.reduce_max(probs, axis=-1)}

        return "predict_text", predict_text, "raw strings → classifier output"


TASK = register_task(ClassifierTask())
