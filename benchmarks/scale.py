"""Data-parallel scaling: training tokens/s on 1 and on N devices, and the scaling efficiency
(N-device throughput ÷ (N × 1-device throughput)), for the char LM, the word LM and the G2P model's shapes.

On a machine without GPUs the CPU is split into N devices (TensorFlow logical devices, or XLA host devices on
JAX); they share the same cores, so the figures only show that the script and the strategy run (efficiency near
1/N is expected there). With GPUs the N devices are real:

    python benchmarks/scale.py --devices 2                              # CPU split: a smoke run
    python benchmarks/scale.py --devices 8 --steps 50                   # TensorFlow, a host with 8 GPUs
    KERAS_BACKEND=jax python benchmarks/scale.py --devices 8 --steps 50 # JAX, e.g. the lent GPU machine

On the lent GPU machine (PyTorch and JAX, no TensorFlow, no registry) carry the keras wheel as for
`benchmarks/speed.py --gpu`, and run with KERAS_BACKEND=jax; the benchmark needs rnnzoo's builders only.

Writes benchmarks/results/scale.json (with the machine and the command).
"""

import argparse
import contextlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import provenance, write_json  # noqa: E402

CONFIGS = {  # the shapes of the reference models (benchmarks/char_lm.py, word_lm.py, g2p.py)
    "char_lm": dict(model="char_lstm_language_model", vocabulary=65, length=100, batch=64,
                    options=dict(units=256, num_layers=2, embedding_dim=64)),
    "word_lm": dict(model="lstm_language_model", vocabulary=5000, length=30, batch=64,
                    options=dict(units=128, embedding_dim=128)),
    "g2p": dict(model="bahdanau_seq2seq", vocabulary=30, length=12, batch=64, target_vocabulary=43,
                options=dict(units=128, embedding_dim=64)),
}


def _batches(config, steps, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    n = config["batch"] * steps
    ids = rng.integers(1, config["vocabulary"], size=(n, config["length"])).astype("int32")
    if "target_vocabulary" in config:
        target = rng.integers(4, config["target_vocabulary"], size=(n, config["length"])).astype("int32")
        return (ids, target), target
    return ids, rng.integers(1, config["vocabulary"], size=(n, config["length"])).astype("int32")


def _build(config):
    import rnnzoo

    extra = {"target_vocabulary_size": config["target_vocabulary"]} if "target_vocabulary" in config else {}
    return rnnzoo.build(config["model"], vocabulary_size=config["vocabulary"], **extra, **config["options"])


def throughput(config, steps, plan):
    """Training tokens/s over `steps` steps (after one warm-up epoch), on one device or under `plan`."""
    import keras

    from rnnzoo import distribute
    from rnnzoo.saving import compile_model

    keras.utils.set_random_seed(0)
    model = _build(config)
    if plan is not None:
        model = distribute.replicate(model, plan)
    with plan.scope() if plan is not None else contextlib.nullcontext():
        compile_model(model, _task(config))
    x, y = _batches(config, steps)
    model.fit(x, y, batch_size=config["batch"], epochs=1, verbose=0)  # warm-up: tracing and compilation
    start = time.perf_counter()
    model.fit(x, y, batch_size=config["batch"], epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return config["batch"] * steps * config["length"] / seconds


def _task(config):
    return "seq2seq" if "target_vocabulary" in config else "language_model"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed training steps per configuration")
    ap.add_argument("--models", default=",".join(CONFIGS))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "scale.json"))
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("KERAS_BACKEND") == "jax":  # keras.distribution.DataParallel (the GPU machine has no TF)
        if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                       f" --xla_force_host_platform_device_count={args.devices}")
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        name = "data_parallel"
    else:  # tf.distribute.MirroredStrategy
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if len(gpus) < args.devices:  # no GPUs to speak of: N logical CPU devices (a smoke run, not a measurement)
            tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                                       [tf.config.LogicalDeviceConfiguration()] * args.devices)
        name = "mirrored"
    from rnnzoo import distribute

    plan = distribute.plan(name)
    kind = "GPU" if len(gpus) >= args.devices else "CPU (split)"
    rows = []
    for name in args.models.split(","):
        config = CONFIGS[name]
        one = throughput(config, args.steps, None)
        many = throughput(config, args.steps, plan)
        rows.append({"model": name, "devices": plan.replicas, "device_kind": kind, "tokens_per_second_1": one,
                     f"tokens_per_second_{plan.replicas}": many, "efficiency": many / (plan.replicas * one)})
        print(f"{name:8s} 1 device {one:10.0f} tok/s   {plan.replicas} {kind} devices {many:10.0f} tok/s   "
              f"efficiency {many / (plan.replicas * one):.2f}", flush=True)
    write_json({"results": rows, **provenance("scale.py", argv)}, args.out)


if __name__ == "__main__":
    main()
