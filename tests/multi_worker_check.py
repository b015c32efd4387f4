"""One worker of a two-process MultiWorkerMirroredStrategy run on 127.0.0.1 (tests/test_distribute.py starts two):

    python tests/multi_worker_check.py INDEX PORT0 PORT1 OUT

Trains a small classifier with distribution="multi_worker" for two epochs and prints the largest weight
difference from the same training in one process."""

import json
import os
import sys

index, ports, out = int(sys.argv[1]), sys.argv[2:4], sys.argv[4]
os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                      "task": {"type": "worker", "index": index}})
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rnnzoo import distribute  # noqa: E402

distribute.start("multi_worker")  # before TensorFlow runs anything

import numpy as np  # noqa: E402

from rnnzoo import datasets  # noqa: E402
from rnnzoo.training import train  # noqa: E402


def make(texts):
    return datasets.TextClassificationData(texts, ["pos" if "good" in t or "fun" in t else "neg" for t in texts])


def run(distribution, out=None):
    words = "the a cat dog sat ran on off fun dull good bad film cast".split()
    rng = np.random.default_rng(0)
    texts = list(dict.fromkeys(" ".join(rng.choice(words, size=4)) for _ in range(400)))[:96]
    return train("gru_classifier", make(texts[:64]), validation_data=make(texts[64:80]), test_data=make(texts[80:]),
                 epochs=2, batch_size=16, verbose=0, min_frequency=1, units=8, embedding_dim=4, out=out,
                 distribution=distribution)


one = run(None).model.get_weights()
many = run("multi_worker", out).model.get_weights()
print(json.dumps({"index": index, "wrote": os.path.exists(os.path.join(out, "model.keras")),
                  "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, many))}))
