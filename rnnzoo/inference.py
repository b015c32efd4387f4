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
