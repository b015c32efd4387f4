"""One of two JAX processes on 127.0.0.1 joined by `jax.distributed.initialize` (tests/test_distribute.py starts
both): the multi-host route. Trains a small classifier with distribution="data_parallel" over the two processes'
devices, and on its own, and prints the largest weight difference and whether it wrote the output directory.

    python tests/jax_process_check.py INDEX PORT OUT [kill|resume]

`kill`: both processes die after the second epoch (as a job whose host failed); `resume`: the same job started
again continues from its backups (each process ran only the missing epochs).
"""

import json
import os
import sys

index, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
phase = sys.argv[4] if len(sys.argv) > 4 else "compare"
os.environ["KERAS_BACKEND"] = "jax"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402

jax.distributed.initialize(coordinator_address=f"127.0.0.1:{port}", num_processes=2, process_id=index)

import numpy as np  # noqa: E402

from rnnzoo import datasets  # noqa: E402
from rnnzoo.training import train  # noqa: E402


import keras  # noqa: E402


class Phase(keras.callbacks.Callback):
    ran = []

    def on_epoch_begin(self, epoch, logs=None):
        Phase.ran.append(int(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if phase == "kill" and epoch == 1:
            os._exit(3)


def make(texts):
    return datasets.TextClassificationData(texts, ["pos" if "good" in t or "fun" in t else "neg" for t in texts])


def run(distribution, out=None, callbacks=None):
    words = "the a cat dog sat ran on off fun dull good bad film cast".split()
    rng = np.random.default_rng(0)
    texts = list(dict.fromkeys(" ".join(rng.choice(words, size=4)) for _ in range(400)))[:96]
    return train("gru_classifier", make(texts[:64]), validation_data=make(texts[64:80]), test_data=make(texts[80:]),
                 epochs=2 if phase == "compare" else 4, batch_size=16, verbose=0, min_frequency=1, units=8,
                 embedding_dim=4, patience=10, out=out, distribution=distribution, callbacks=callbacks)


one = run(None).model.get_weights()
many = run("data_parallel", out, callbacks=[Phase()]).model.get_weights()
print(json.dumps({"index": index, "devices": len(jax.devices()), "processes": jax.process_count(),
                  "wrote": os.path.exists(os.path.join(out, "model.keras")), "ran": Phase.ran,
                  "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, many))}))
