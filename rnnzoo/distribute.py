"""Data-parallel training on the backends' own engines: `tf.distribute` on TensorFlow, `keras.distribution` on JAX.

`rnnzoo.fitting.fit(..., distribution=NAME)` (and so `rnnzoo.train` for every task, CLI `rnnzoo train
--distribute NAME`) trains one model on several devices:

- "mirrored" (TensorFlow): `tf.distribute.MirroredStrategy` over the local GPUs, or over the logical CPU devices
  where there are no GPUs (`tf.config.set_logical_device_configuration` splits a CPU, as the tests do).
- "multi_worker" (TensorFlow): `tf.distribute.MultiWorkerMirroredStrategy`, configured by the standard `TF_CONFIG`
  environment variable; only the chief writes the model, card, metrics and history.
- "data_parallel" (JAX): `keras.distribution.DataParallel` over `jax.devices()`; several hosts join through
  `jax.distributed.initialize` before rnnzoo is imported. A `keras.distribution.Distribution` object (e.g. a
  `ModelParallel` with your `DeviceMesh` and `LayoutMap`) is used as given.
- A `tf.distribute.Strategy` object is used as given.

The batch size a user asks for is the global batch: every replica gets `batch_size / replicas` examples of each
step, so a run on N devices takes the same steps, on the same data, as a run on one device (the tests check the
weights agree to 1e-5). PyTorch: not supported; an error says so.
"""

import dataclasses
import json
import os

import keras

NAMES = ("mirrored", "multi_worker", "data_parallel")


@dataclasses.dataclass
class Plan:
    """How a training run is distributed.

    Attributes:
        name: str. "mirrored", "multi_worker", "data_parallel", or the class name of a strategy passed in.
        replicas: int. Number of replicas a global batch is split over.
        engine: object. The `tf.distribute.Strategy` or `keras.distribution.Distribution`.
        chief: bool. Whether this process writes the output files (the others keep only a resumable backup, in
            `out/.worker-K`, removed when training finishes).
        processes: int. Processes (hosts) taking part: JAX's process count.
        index: int. This process's index among them.
    """

    name: str
    replicas: int
    engine: object
    chief: bool = True
    processes: int = 1
    index: int = 0

    def scope(self):
        """Where the model's variables are created and the model compiled (a strategy's or distribution's scope)."""
        return self.engine.scope()

    def record(self, global_batch):
        """What the model card keeps of this run's distribution."""
        return {"strategy": self.name, "replicas": int(self.replicas), "global_batch": global_batch,
                "per_replica_batch": None if global_batch is None else global_batch // self.replicas}


def _tf_config():
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise ValueError("distribution='multi_worker' reads the cluster from the TF_CONFIG environment variable, "
                         'which is not set. Set it on every worker, e.g. TF_CONFIG=\'{"cluster": {"worker": '
                         '["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}\'.')
    try:
        config = json.loads(text)
        workers = config["cluster"]["worker"]
        task = config["task"]
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"TF_CONFIG is malformed ({type(e).__name__}: {e}); it must be JSON with cluster.worker (a "
                         "list of host:port) and task.type / task.index, e.g. "
                         '{"cluster": {"worker": ["localhost:12345", "localhost:12346"]}, '
                         '"task": {"type": "worker", "index": 0}}.') from None
    if kind not in ("worker", "chief") or not isinstance(workers, list) or not workers:
        raise ValueError(f"TF_CONFIG: task.type must be 'worker' or 'chief' and cluster.worker a non-empty list; "
                         f"got type {kind!r} and workers {workers!r}.")
    if kind == "worker" and not 0 <= index < len(workers):
        raise ValueError(f"TF_CONFIG: task.index {index} is not one of the {len(workers)} workers.")
    return config, kind, index


_STARTED = {}  # plans by name: a multi-worker strategy can be made once per process, and only at its start


def start(distribution):
    """Makes the plan for `distribution` now, at the start of a program, and keeps it for the training that
    follows. `multi_worker` needs this: TensorFlow configures its collective ops only before it runs anything, so
    call `rnnzoo.distribute.start("multi_worker")` first thing in a training script (the CLI does it for
    `--distribute multi_worker`)."""
    return plan(distribution)


def plan(distribution):
    """The `Plan` for a `distribution` argument (None: one device, no plan)."""
    if distribution is None:
        return None
    if isinstance(distribution, str) and distribution in _STARTED:
        return _STARTED[distribution]
    made = _plan(distribution)
    if isinstance(distribution, str):
        _STARTED[distribution] = made
    return made


def _plan(distribution):
    backend = keras.backend.backend()
    if isinstance(distribution, str):
        if distribution not in NAMES:
            raise ValueError(f"Unknown distribution {distribution!r}; use one of {', '.join(NAMES)} (or pass a "
                             "tf.distribute.Strategy or keras.distribution.Distribution object).")
        wanted = "jax" if distribution == "data_parallel" else "tensorflow"
        if backend != wanted:
            hint = ("on TensorFlow use 'mirrored' or 'multi_worker'" if backend == "tensorflow" else
                    "on JAX use 'data_parallel'" if backend == "jax" else
                    "the torch backend has no distributed training in rnnzoo; train on the TensorFlow or JAX backend "
                    "(KERAS_BACKEND=tensorflow or jax)")
            raise ValueError(f"distribution={distribution!r} needs the {wanted} backend, and Keras runs on {backend}: "
                             f"{hint}.")
    if backend == "jax":
        if isinstance(distribution, str):
            distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        mesh = getattr(distribution, "device_mesh", None)
        replicas = int(mesh.shape[0]) if mesh is not None else 1
        import jax

        return Plan("data_parallel" if isinstance(distribution, keras.distribution.DataParallel)
                    else type(distribution).__name__, replicas, distribution,
                    chief=jax.process_index() == 0, processes=jax.process_count(), index=jax.process_index())
    if backend != "tensorflow":
        raise ValueError(f"Distributed training is not supported on the {backend} backend in rnnzoo; use TensorFlow "
                         "('mirrored', 'multi_worker') or JAX ('data_parallel').")
    import tensorflow as tf

    if distribution == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
        return Plan("mirrored", strategy.num_replicas_in_sync, strategy)
    if distribution == "multi_worker":
        _, kind, index = _tf_config()
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as e:
            raise RuntimeError(f"{e}: TensorFlow makes a multi-worker strategy only before it runs anything. Call "
                               "rnnzoo.distribute.start('multi_worker') first thing in the training script (the "
                               "rnnzoo command does it for --distribute multi_worker).") from None
        return Plan("multi_worker", strategy.num_replicas_in_sync, strategy,
                    chief=kind == "chief" or (kind == "worker" and index == 0), index=index)
    if isinstance(distribution, tf.distribute.Strategy):
        resolver = getattr(distribution, "cluster_resolver", None)
        chief = resolver is None or resolver.task_type in (None, "chief") or (
            resolver.task_type == "worker" and resolver.task_id == 0)
        return Plan(type(distribution).__name__, distribution.num_replicas_in_sync, distribution, chief=chief,
                    index=0 if resolver is None or resolver.task_id is None else int(resolver.task_id))
    raise ValueError(f"distribution must be one of {', '.join(NAMES)}, a tf.distribute.Strategy or a "
                     f"keras.distribution.Distribution; got {type(distribution).__name__}.")


def check_batch(plan_, batch_size):
    """A global batch must split evenly over the replicas."""
    if plan_ is None or batch_size is None:
        return
    if batch_size % plan_.replicas:
        raise ValueError(f"The global batch size {batch_size} does not split over {plan_.replicas} replicas; use a "
                         f"multiple of {plan_.replicas} (e.g. {batch_size - batch_size % plan_.replicas or plan_.replicas}"
                         ").")


def replicate(model, plan_):
    """A copy of `model` whose variables live under the plan's scope, with the same weights (the task entry points
    build their models before training; the copy is what trains on several devices)."""
    with plan_.scope():
        twin = keras.models.clone_model(model)
        twin.set_weights(model.get_weights())
    return twin


def clip_after_sum(optimizer):
    """Makes a Keras optimizer on a tf.distribute strategy clip the summed gradient, as on one device.

    Keras (3.15, TensorFlow backend) clips each replica's gradient (`clipnorm`, `clipvalue`, `global_clipnorm`)
    before the replicas' gradients are summed, so while clipping is active N devices take a different step than
    one. Here the sum comes first (the same all-reduce Keras would run), then the clipping, and Keras' own
    all-reduce, now with nothing left to sum, passes the gradients through. Returns False (nothing changed) where
    that Keras internal is not there."""
    reduce_sum = getattr(optimizer, "_all_reduce_sum_gradients", None)
    clip = getattr(optimizer, "_clip_gradients", None)
    if reduce_sum is None or clip is None:
        return False

    def summed_then_clipped(grads):
        return clip([g for g, _ in reduce_sum([(g, None) for g in grads])])

    optimizer._clip_gradients = summed_then_clipped
    optimizer._all_reduce_sum_gradients = lambda grads_and_vars: list(grads_and_vars)
    return True


def gather(model):
    """A one-device copy of a model trained under a plan, with its weights: what is evaluated, saved and returned,
    so that what comes after training (held-out metrics, predictions, export) is the same as for one device."""
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    return twin


def shard(dataset, plan_, batch_size=None):
    """Prepares a tf.data pipeline for a plan: the auto-shard policy DATA (each worker takes every N-th batch of the
    same order), stated rather than left to AUTO, which would try files first; and every batch made a multiple of
    the replicas. A batch that does not split evenly (the last of a length bucket) is cut to the largest multiple,
    losing at most `replicas - 1` examples, different ones each epoch as the order is reshuffled; one smaller than
    the number of replicas has its examples repeated to fill one row per replica. Keras averages the loss per
    replica, so an uneven split would weight examples unequally, and sparse embedding gradients of replicas of
    different sizes cannot be summed. Batches that already split evenly are unchanged, so a run whose batches all
    split evenly is the same as on one device."""
    if plan_ is None or not hasattr(dataset, "with_options"):
        return dataset
    import tensorflow as tf

    replicas = int(plan_.replicas)

    def even(*batch):
        structure = batch if len(batch) > 1 else batch[0]
        size = tf.shape(tf.nest.flatten(structure)[0])[0]
        keep = size - size % replicas
        rows = tf.cond(keep > 0, lambda: tf.range(keep), lambda: tf.range(replicas) % tf.maximum(size, 1))
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), structure)

    def exactly(*batch):  # several JAX processes: Keras splits each batch between them by its static size
        structure = batch if len(batch) > 1 else batch[0]
        size = tf.shape(tf.nest.flatten(structure)[0])[0]
        rows = tf.range(batch_size) % size  # a short batch (the last of a bucket) repeats its examples
        return tf.nest.map_structure(lambda t: tf.ensure_shape(tf.gather(t, rows), [batch_size] + t.shape[1:]),
                                     structure)

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    if plan_.processes > 1 and batch_size:
        dataset = dataset.map(exactly)
    elif replicas > 1:
        dataset = dataset.map(even)  # one batch in, one batch out: the cardinality Keras reads stays known
    return dataset.with_options(options)
