"""Using a trained seq2seq model: string in → string out, with greedy, sampled or beam-search decoding,
attention weights, and the task metrics (exact match, word and token error rates).

The decoder step and the decode loops (greedy, sampled, beam search) are `rnnzoo.decoding`'s, shared with
captioning and the streaming export; the metrics are `rnnzoo.metrics`'.
"""

import dataclasses
import functools
import sys

import keras

import numpy as np

from rnnzoo.decoding import DEFAULT_ALPHA, decode_ids, decode_length, step_of
from rnnzoo.metrics import error_rates
from rnnzoo.text.vocabulary import END_ID
from rnnzoo.trained import TrainedModel


class Ensemble:
    """Several trained seq2seq models decoded as one: every step averages their log-probabilities.

    The members must share the source and target text pipelines (e.g. the same data split, different seeds or
    architectures); `translate`, `decode_ids` and `evaluate_translations` accept an `Ensemble` (or a list of
    models or paths) wherever they accept a model. Attention weights, when recorded, are the members' mean.

    Examples:
    >>> rnnzoo.translate([model_a, model_b], "pronunciation", beam_width=5)  # doctest: +SKIP
    """

    def __init__(self, models):
        members = [TrainedModel.of(m) for m in models]
        if not members:
            raise ValueError("An ensemble needs at least one seq2seq model; got none.")
        texts = [(m.card.text, m.card.target_text) for m in members]
        for m, text in zip(members[1:], texts[1:]):
            if text != texts[0]:
                raise ValueError(f"Model {m.model.name!r} reads or writes a different vocabulary than "
                                 f"{members[0].model.name!r}; an ensemble needs members trained on the same text "
                                 "pipelines (same data split).")
        self.members = members
        self.models = [m.model for m in members]
        self.name = "ensemble(" + ", ".join(m.name for m in self.models) + ")"
        self.card, self.task = members[0].card, members[0].task  # shared by every member

    @property
    def encoder(self):
        return self.members[0].encoder

    @property
    def target_encoder(self):
        return self.members[0].target_encoder


def resolve(model):
    """A `TrainedModel` (any form `TrainedModel.of` takes), or an `Ensemble` for a list of them; checked to be an
    encoder–decoder model."""
    trained = Ensemble(model) if isinstance(model, (list, tuple)) else TrainedModel.of(model)
    if not getattr(trained.task, "decoder", False):
        raise ValueError(f"Model {trained.name!r} is not a seq2seq model; translate needs one (rnnzoo list "
                         "'*seq2seq').")
    return trained


@dataclasses.dataclass
class Translation:
    """One decoded output with what it was decoded from.

    Attributes:
        text: str. The best output.
        tokens: list of str. Its tokens ([END] excluded).
        score: float or None. Beam search: log-probability divided by the length penalty.
        source_tokens: list of str. The source as the model read it.
        attention: array (len(tokens) + 1, len(source_tokens)) or None: row t holds the weights the decoder
            put on each source token while producing token t (the last row produced [END]).
        n_best: list of (text, score): the other beams, best first (beam search only).
    """

    text: str
    tokens: list
    score: float = None
    source_tokens: list = None
    attention: np.ndarray = None
    n_best: list = None


def translate(model, texts, beam_width=1, sampler="greedy", alpha=DEFAULT_ALPHA, max_length=None, seed=None,
              details=False, on_unknown="error", batch_size=64, attention=True):
    """Turns source strings into target strings with a trained seq2seq model (string in → string out).

    Args:
        model: a trained rnnzoo seq2seq model (or the path of one); it carries both text pipelines. A list of
            models (or paths) decodes them as an `Ensemble`.
        texts: str or list of str.
        beam_width: int. 1 decodes with `sampler`; > 1 runs beam search.
        sampler: "greedy" (default), "random", "top_k" or "top_p" (beam_width 1 only).
        alpha: float. Beam-search length penalty exponent (GNMT); 0 ranks by total log-probability.
        max_length: int or None. Most output tokens; default: twice the longest training target + 10.
        seed: int or None. Sampling seed.
        details: bool. Return `Translation` objects (tokens, scores, attention weights, n-best list).
        on_unknown: "error" (default) raises on source tokens the model never saw; "unk" reads them as [UNK].
        batch_size: int. Texts decoded per batch.
        attention: bool. With `details=True`, also record the attention weights (attention models only).

    Returns:
        A string per text (a single string for a single text), or `Translation` objects with `details=True`.

    Examples:
    >>> rnnzoo.translate(model, "the 3rd of March 1999", beam_width=5)  # doctest: +SKIP
    '1999-03-03'
    """
    from rnnzoo.progress import Progress
    from rnnzoo.text import as_texts, pad_sequences

    trained = resolve(model)
    owner = trained if isinstance(trained, Ensemble) else trained.model  # what the decoder step is made of
    onnx = getattr(trained, "_decoder", None)  # TrainedModel.with_onnx: the exported files decode
    step = onnx or step_of(owner)
    texts, single = as_texts(texts)
    source_encoder, out_encoder = trained.encoder, trained.target_encoder
    for i, text in enumerate(texts):
        if not text.strip():
            raise ValueError(f"Text {i} ({text!r}) is empty; give something to translate.")
    tokens = source_encoder.tokenize(texts)
    if on_unknown == "error":
        for i, toks in enumerate(tokens):
            unknown = sorted({t for t in toks if t not in source_encoder.vocabulary})
            if unknown:
                raise ValueError(f"Text {i} ({texts[i]!r}) has tokens this model never saw in training: {unknown}. "
                                 "Remove them, or pass on_unknown='unk' to read them as [UNK].")
    ids = source_encoder.encode_tokens(tokens, on_overflow="error", normalized=True)
    if max_length is None:
        max_length = decode_length(trained.card, [len(s) for s in ids])
    results = []
    bar = Progress(len(ids) if len(ids) > batch_size else None, "translating", enabled=None if len(ids) > batch_size
                   else False)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        out = (trained.decode_ids if onnx else functools.partial(decode_ids, owner))(
            pad_sequences(chunk), max_length, beam_width=beam_width, sampler=sampler, alpha=alpha,
            seed=chunk_seed(seed, start), attention=details and attention and step.attention)
        bar.add(len(chunk))
        for row in range(len(chunk)):
            beams = []
            for k in range(out["tokens"].shape[1]):
                n = int(out["lengths"][row, k])
                ids_k = out["tokens"][row, k, :n]
                ids_k = ids_k[:-1] if n and ids_k[-1] == END_ID else ids_k
                score = None if out["scores"] is None else float(out["scores"][row, k])
                beams.append((out_encoder.decode(ids_k), out_encoder.vocabulary.decode(ids_k), score, n))
            text, toks, score, n = beams[0]
            if not details:
                results.append(text)
                continue
            weights = None
            if out["attention"] is not None:
                weights = out["attention"][row, 0, :n, : len(chunk[row])]
            results.append(Translation(text, toks, score, tokens[start + row], weights,
                                       [(b[0], b[2]) for b in beams] if out["scores"] is not None else None))
    bar.close()
    return results[0] if single else results


def chunk_seed(seed, start):
    """The sampling seed of the batch of texts from index `start`: `seed` for the first, a distinct seed derived
    from `(seed, start)` for each later one (so text i and text i + batch_size do not get the same draws)."""
    if seed is None or start == 0:
        return seed
    return int(np.random.SeedSequence([int(seed), int(start)]).generate_state(1)[0] >> 1)


def evaluate_translations(model, data, beam_width=1, alpha=DEFAULT_ALPHA, limit=None, batch_size=128):
    """Decodes every distinct source of a `PairData` and scores it against all of its targets.

    Returns `error_rates(...)` plus the decoding settings; sources the model cannot read (unknown tokens) are
    decoded with [UNK].
    """
    trained = resolve(model)
    encoder = trained.target_encoder
    grouped = {}
    for source, target in zip(data.sources, data.targets):
        grouped.setdefault(source, []).append(target)
    sources = list(grouped)[:limit]
    outputs = translate(trained, sources, beam_width=beam_width, alpha=alpha, details=True, on_unknown="unk",
                        batch_size=batch_size, attention=False)  # tokens are enough; weights cost a copy a step
    flat = encoder.tokenize([t for s in sources for t in grouped[s]])
    references, pos = [], 0
    for s in sources:
        references.append(flat[pos:pos + len(grouped[s])])
        pos += len(grouped[s])
    metrics = error_rates([o.tokens for o in outputs], references)
    metrics.update(beam_width=beam_width, alpha=alpha if beam_width > 1 else None)
    return metrics


class ErrorRateCheckpoint(keras.callbacks.Callback):
    """Selects a seq2seq model by the word error rate of its greedy translations of validation pairs, not by the
    teacher-forced loss (which can plateau, or rise with overconfidence, while the error rate still falls).

    After each epoch from `start` on it decodes `data` (a `PairData`, e.g. the validation split), records
    `(epoch, wer, token error rate)` in `scores` and keeps the weights with the lowest WER; at the end of training
    the model gets them back (`restore=True`). Decoding runs in the training precision.

    Examples:
    >>> checkpoint = ErrorRateCheckpoint(validation_pairs, start=5)  # doctest: +SKIP
    >>> rnnzoo.train("bahdanau_seq2seq", data, callbacks=[checkpoint]); checkpoint.best_epoch  # doctest: +SKIP
    """

    def __init__(self, data, start=1, restore=True, limit=None, verbose=0):
        super().__init__()
        self.verbose = int(verbose)
        if not len(data):
            raise ValueError("ErrorRateCheckpoint needs validation pairs to decode; got none.")
        self.data, self.start, self.restore, self.limit = data, int(start), bool(restore), limit
        self.scores, self.best, self.best_epoch, self.best_weights = [], (float("inf"),) * 2, None, None

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.start:
            return
        m = evaluate_translations(self.model, self.data, beam_width=1, limit=self.limit)
        self.scores.append({"epoch": epoch + 1, "wer": m["wer"], "token_error_rate": m["token_error_rate"]})
        if logs is not None:
            logs.update(val_wer=m["wer"], val_token_error_rate=m["token_error_rate"])
        if self.verbose:  # the figures are in the epoch's logs (Keras' progress line, the history) either way
            print(f"epoch {epoch + 1}: validation WER {m['wer']:.2%}, PER {m['token_error_rate']:.2%} (greedy)",
                  file=sys.stderr, flush=True)
        if (m["wer"], m["token_error_rate"]) < self.best:  # ties on WER go to the lower phoneme error rate
            self.best, self.best_epoch = (m["wer"], m["token_error_rate"]), epoch + 1
            self.best_weights = [np.array(w) for w in self.model.get_weights()]

    def on_train_end(self, logs=None):
        if self.restore and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
