"""Tasks whose models output probabilities over label names (classifiers, taggers, tree classifiers), and
`predict_text`, their verb on raw strings (the task object shapes the results)."""

from rnnzoo.task import Task, Verb
from rnnzoo.text import as_texts, pad_sequences
from rnnzoo.trained import TrainedModel


class LabelTask(Task):
    """A task whose model outputs probabilities over label names learned from the training data (`label_names`)."""

    def loss(self, label_smoothing=0.0):
        from rnnzoo.losses import sparse_crossentropy

        return sparse_crossentropy(label_smoothing=label_smoothing)

    def metrics(self):
        import keras

        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def fit_outputs(self, train_data, options):
        labels = list(train_data.label_names)
        return labels, {"labels": labels}

    def postprocess(self, tokens, outputs, labels):
        """Model outputs for raw texts → user-facing results (labels, tags)."""
        raise ValueError(f"predict_text supports tasks that label texts or tokens; this model is a {self.name}.")

    def verbs(self):
        def run(trained, items, options):
            return [{"text": t, "prediction": r} for t, r in zip(items, predict_text(trained, items))]

        return [Verb("predict", "predict labels (classifiers) or tags (taggers) for texts", run)] if self.text_field \
            else []


def predict_text(model, texts, batch_size=64):
    """Predicts from raw strings with the text pipeline stored in the model (any task with a text pipeline that
    shapes its outputs with `postprocess`: classifiers, taggers, a user's own).

    Returns, for a classifier, a list of `{"label", "probability", "probabilities"}` dicts; for a tagger,
    a list of `[(token, tag), ...]` lists. A single string gives a single result.

    Examples:
    >>> rnnzoo.predict_text("sentiment_bilstm", "a gorgeous, witty film")  # doctest: +SKIP
    {'label': 'positive', 'probability': 0.93, ...}
    """
    trained = TrainedModel.of(model)
    if trained.task.text_field is None or not hasattr(trained.task, "postprocess"):
        raise ValueError(f"predict_text supports tasks that label texts or tokens; this model is a "
                         f"{trained.task.name}. Use its own verb (rnnzoo --help lists them).")
    texts, single = as_texts(texts)
    for i, t in enumerate(texts):
        if not t.strip():
            raise ValueError(f"Text {i} is empty; give at least one word to predict from.")
    task, encoder = trained.task, trained.encoder
    tokens = encoder.tokenize(texts)
    for i, toks in enumerate(tokens):
        if not toks:
            raise ValueError(f"Text {i} ({texts[i][:80]!r}) has no tokens after normalization (it holds only "
                             "characters the text pipeline drops, such as control characters); give at least one "
                             "word.")
    ids = encoder.encode_tokens(tokens, on_overflow="error", normalized=True)
    probs = trained.predict(pad_sequences(ids), batch_size=batch_size)
    labels = trained.card.labels or [str(i) for i in range(probs.shape[-1])]
    out = task.postprocess(tokens, probs, labels)
    return out[0] if single else out
