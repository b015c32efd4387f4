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

    Example:
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
            return tf.function(forward, input_signature=input_signature, jit_compile=bool(jit_compile))
        return tf.function(forward, jit_compile=bool(jit_compile), reduce_retracing=not jit_compile)
    if backend == "jax":
        import jax

        return jax.jit(forward)
    if backend == "torch":
        import torch

        return torch.no_grad()(forward)
    return forward
