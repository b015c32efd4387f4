"""Predictions from raw strings for tasks that label texts or tokens (the task object shapes the results)."""

import os

from rnnzoo.card import card_of
from rnnzoo.saving import task_of, text_encoder


def predict_text(model, texts, batch_size=64):
    """Predicts from raw strings with the text pipeline stored in the model.

    Returns, for a classifier, a list of `{"label", "probability", "probabilities"}` dicts; for a tagger,
    a list of `[(token, tag), ...]` lists. A single string gives a single result.

    Example:
    >>> rnnzoo.predict_text(rnnzoo.load("saved_models/demo_sentiment"), "a gorgeous, witty film")  # doctest: +SKIP
    {'label': 'positive', 'probability': 0.93, ...}
    """
    from rnnzoo.text import as_texts, pad_sequences

    if isinstance(model, (str, os.PathLike)):
        from rnnzoo.saving import load

        model = load(model, compile=False)
    texts, single = as_texts(texts)
    for i, t in enumerate(texts):
        if not t.strip():
            raise ValueError(f"Text {i} is empty; give at least one word to predict from.")
    task = task_of(model)
    encoder = text_encoder(model)
    tokens = encoder.tokenize(texts)
    for i, toks in enumerate(tokens):
        if not toks:
            raise ValueError(f"Text {i} ({texts[i][:80]!r}) has no tokens after normalization (it holds only "
                             "characters the text pipeline drops, such as control characters); give at least one "
                             "word.")
    ids = encoder.encode_tokens(tokens, on_overflow="error", normalized=True)
    probs = model.predict(pad_sequences(ids), batch_size=batch_size, verbose=0)
    labels = card_of(model).labels or [str(i) for i in range(probs.shape[-1])]
    out = task.postprocess(tokens, probs, labels)
    return out[0] if single else out


def compiled_call(model, jit_compile=True):
    """`model`'s forward pass for inference (`training=False`) as one compiled function: the fastest batch
    inference each backend offers here.

    TensorFlow: `tf.function`, with XLA when `jit_compile` (one compilation per input shape: feed fixed-size
    batches; rnnzoo's LSTM/GRU layers run their forward-only loop, `rnnzoo.config.fast_inference`). JAX:
    `jax.jit`. PyTorch: the eager call under `torch.no_grad()`. Outputs stay on the device (backend tensors).

    Example:
    >>> forward = rnnzoo.inference.compiled_call(model)  # doctest: +SKIP
    >>> logits = forward(ids)  # doctest: +SKIP
    """
    import keras

    def forward(*inputs):
        return model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(forward, jit_compile=bool(jit_compile), reduce_retracing=not jit_compile)
    if backend == "jax":
        import jax

        return jax.jit(forward)
    if backend == "torch":
        import torch

        return torch.no_grad()(forward)
    return forward
