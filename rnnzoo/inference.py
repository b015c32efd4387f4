"""A model's forward pass as one compiled function, per backend (for benchmarks and batch inference on a bare
`keras.Model`; a trained-model object has its own, `TrainedModel.predict`)."""


def compiled_call(model, jit_compile=True, input_signature=None, on_trace=None):
    """`model`'s forward pass for inference (`training=False`) as one compiled function: the fastest batch
    inference each backend offers here.

    TensorFlow: `tf.function`, with XLA when `jit_compile` (one compilation per input shape: feed fixed-size
    batches; rnnzoo's LSTM/GRU layers run their forward-only loop, `rnnzoo.config.fast_inference`). JAX:
    `jax.jit`. PyTorch: the eager call under `torch.no_grad()`. Outputs stay on the device (backend tensors).
    `input_signature` (TensorFlow, without XLA): `tf.TensorSpec`s, e.g. with a free batch axis, so one trace serves
    every batch size. `on_trace`: called each time the function is traced (every call on PyTorch).

    Examples:
    >>> forward = rnnzoo.inference.compiled_call(model)  # doctest: +SKIP
    >>> logits = forward(ids)  # doctest: +SKIP
    """
    import keras

    def forward(*inputs):
        if on_trace is not None:
            on_trace()
        return model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if input_signature is not None:
            return tf.function(OwnFunction(forward), input_signature=input_signature, jit_compile=bool(jit_compile))
        return tf.function(OwnFunction(forward), jit_compile=bool(jit_compile), reduce_retracing=not jit_compile)
    if backend == "jax":
        import jax

        return jax.jit(forward)
    if backend == "torch":
        import torch

        return torch.no_grad()(forward)
    return forward


class OwnFunction:
    """`fn` as a callable object, for `tf.function`.

    TensorFlow keys its retracing statistics by a function's code object, so the many compiled functions rnnzoo
    makes from one closure (a forward pass per model, a decoding loop per sampler and output length) counted as one
    function being retraced, and TensorFlow warned about "retracing" after five of them, though none had retraced.
    An object without `__code__` is keyed by itself: the warning still comes when one of them really retraces.
    """

    def __init__(self, fn):
        import inspect

        self.fn = fn
        self.__signature__ = inspect.signature(fn)
        self.__name__ = getattr(fn, "__name__", "function")

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def length_bucket(length: int, smallest: int = 16) -> int:
    """The padded length a token input of `length` is compiled at: the next of 1, 1.25, 1.5 or 1.75 × a power of
    two, at least `smallest` (at most 25% padding, and a handful of compiled shapes up to any length).

    Examples:
    >>> [length_bucket(n) for n in (3, 16, 17, 21, 100, 10001)]
    [16, 16, 20, 24, 112, 10240]
    """
    length = max(int(length), 1)
    if length <= smallest:
        return smallest
    power = 1 << (length - 1).bit_length() - 1  # the largest power of two below length
    for step in (1.25, 1.5, 1.75, 2.0):
        if length <= int(power * step):
            return int(power * step)
    return 2 * power
