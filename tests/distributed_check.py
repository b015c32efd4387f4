"""Run by tests/test_distribute.py in a fresh process: the CPU split into 2 devices (TensorFlow: logical devices,
which it allows only before it starts; JAX: XLA host devices), then, for one model of each task family, a few steps
of training on one device and with distribution="mirrored" (or "data_parallel" on JAX) over the two, from the same
weights, on the same data in the same order and with the same global batch. Prints one JSON line: family → the
largest weight difference.

    python tests/distributed_check.py [family ...]
    KERAS_BACKEND=jax python tests/distributed_check.py [family ...]
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
if BACKEND == "jax":  # keras.distribution.DataParallel over 2 host devices
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    DISTRIBUTION = "data_parallel"
else:  # tf.distribute.MirroredStrategy over 2 logical CPU devices
    import tensorflow as tf

    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                               [tf.config.LogicalDeviceConfiguration()] * 2)
    DISTRIBUTION = "mirrored"

import numpy as np  # noqa: E402

from rnnzoo import datasets  # noqa: E402

TINY = dict(units=8, embedding_dim=4)


def _sentences(n, seed=0, words_per_sentence=4):
    """n different sentences of the same length: every batch of a tf.data pipeline is then full and splits evenly
    over the replicas, the condition under which data-parallel training equals one device (rnnzoo.distribute)."""
    rng = np.random.default_rng(seed)
    words = "the a cat dog sat ran on off fun dull good bad film cast".split()
    seen = []
    while len(seen) < n:
        s = " ".join(rng.choice(words, size=words_per_sentence))
        if s not in seen:
            seen.append(s)
    return seen


def _parts(make, seed):
    """64 training, 16 validation and 16 test examples: whole batches of 16."""
    texts = _sentences(96, seed)
    return make(texts[:64]), make(texts[64:80]), make(texts[80:])


def text_classifier(distribution):
    from rnnzoo.training import train

    def make(texts):
        return datasets.TextClassificationData(texts, ["pos" if "good" in t or "fun" in t else "neg" for t in texts])

    train_data, validation, test = _parts(make, 0)
    return train("gru_classifier", train_data, validation_data=validation, test_data=test, epochs=2, batch_size=16,
                 verbose=0, min_frequency=1, distribution=distribution, **TINY).model


def tagger(distribution):
    from rnnzoo.training import train

    def make(texts):
        tokens = [t.split() for t in texts]
        return datasets.TaggedData(tokens, [["DT" if w in ("the", "a") else "X" for w in s] for s in tokens])

    train_data, validation, test = _parts(make, 1)
    return train("gru_tagger", train_data, validation_data=validation, test_data=test, epochs=2, batch_size=16,
                 verbose=0, min_frequency=1, distribution=distribution, **TINY).model


def language_model(distribution):
    from rnnzoo.training import train

    train_data, validation, test = _parts(datasets.TextCorpus, 2)
    return train("lstm_language_model", train_data, validation_data=validation, test_data=test, epochs=2,
                 batch_size=16, verbose=0, min_frequency=1, distribution=distribution, **TINY).model


def seq2seq(distribution):
    from rnnzoo.training import train

    def make(texts):
        words = ["".join(t.split())[:6] for t in texts]
        return datasets.PairData(words, [w[::-1] for w in words])

    train_data, validation, test = _parts(make, 3)
    return train("gru_bahdanau_seq2seq", train_data, validation_data=validation, test_data=test, epochs=2,
                 batch_size=16, verbose=0, translation_limit=4, distribution=distribution, **TINY).model


def forecaster(distribution):
    from rnnzoo.training import train

    series = (np.sin(np.arange(142) / 5.0) * 10 + 20).astype("float32")  # windows: 96 train, 16 validation
    return train("gru_forecaster", series, input_length=12, horizon=2, test_size=16, validation_size=17,
                          epochs=2, batch_size=16, units=8, distribution=distribution).model


def captioner(distribution):
    from rnnzoo.tasks.captioning.caption import scenes
    from rnnzoo.training import train

    # one shape per scene: every caption has three words, so every replica averages its loss over as many tokens
    # as the others (Keras normalizes a masked loss by each replica's own token count)
    def draw(n, seed):
        return scenes(n, seed=seed, two_objects=0.0)

    return train("gru_captioner", draw(96, 0), validation_data=draw(32, 1), test_data=draw(8, 2), epochs=2,
                         batch_size=16, units=8, beam_width=1, distribution=distribution).model


def trees(distribution):
    from rnnzoo.tasks.trees.data import arithmetic_trees
    from rnnzoo.training import train

    ops = ("max", "min")
    return train("tree_lstm_classifier", arithmetic_trees(96, depths=(1, 2), seed=0, operators=ops),
                 validation_data=arithmetic_trees(32, depths=(1, 2), seed=1, operators=ops),
                 test_data={"2": arithmetic_trees(16, depths=(2,), seed=2, operators=ops)}, units=8, epochs=2,
                 batch_size=16, minutes=None, distribution=distribution).model


def speech(distribution):
    from rnnzoo.tasks.speech.recognize import SpeechData
    from rnnzoo.training import train

    rng = np.random.default_rng(5)
    words = ["yes", "no", "up", "down"]

    def make(n, seed):  # log-mel-like frames of one length (the CTC loss is per utterance)
        pick = np.random.default_rng(seed).integers(0, 4, size=n)
        return SpeechData([rng.normal(size=(30, 8)).astype("float32") for _ in range(n)],
                          [words[i] for i in pick], ["v"] * n)

    return train("bigru_ctc", make(64, 0), validation_data=make(16, 1), test_data=make(8, 2), epochs=2, batch_size=16,
                          units=8, num_layers=1, distribution=distribution).model


FAMILIES = {f.__name__: f for f in (text_classifier, tagger, language_model, seq2seq, forecaster, captioner, trees,
                                    speech)}


def main(names):
    report = {}
    for name in names or FAMILIES:
        one = FAMILIES[name](None).get_weights()
        two = FAMILIES[name](DISTRIBUTION).get_weights()
        report[name] = max(float(np.max(np.abs(a - b))) for a, b in zip(one, two))
    from rnnzoo import distribute
    from rnnzoo.trained import card_of

    report["replicas"] = distribute.plan(DISTRIBUTION).replicas
    report["card"] = card_of(FAMILIES["text_classifier"](DISTRIBUTION)).training.get("distribution") if not names \
        else None
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
