"""Using a trained seq2seq model: string in → string out, with greedy, sampled or beam-search decoding,
attention weights, and the task metrics (exact match, word and token error rates).

The inference pieces are the trained model's own layers, found by name: the encoder half is the sub-graph from
the `source` input to `memory` and `decoder_init_i`; one decoding step is `target_embedding` → `decoder`
(its `step`, the function the teacher-forced pass scans) → `logits`.
"""

import dataclasses

import keras
import numpy as np
from keras import ops

from rnnzoo.card import card_of
from rnnzoo.decoding import (DECODERS, beam_search, compiled, decode_length, decode_loop, draw_uniforms,
                             get_sampler)
from rnnzoo.layers.attention import AttentionDecoder
from rnnzoo.names import DECODER, DECODER_INIT, LOGITS, MEMORY, TARGET_EMBEDDING
from rnnzoo.saving import load, task_of, text_encoder
from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

DEFAULT_ALPHA = 0.6


class Seq2SeqStep:
    """The encoder and one decoder step of a trained seq2seq model, sharing its weights.

    `encode(source_ids)` returns the per-row states the step needs (decoder states, and for attention models
    the memory, its precomputed keys and the source mask); `step(tokens, states)` returns
    `(logits, new states)`. The states are a dict of tensors whose first axis is the batch, so beam search can
    reorder and repeat them.
    """

    def __init__(self, model):
        if not getattr(task_of(model), "decoder", False):
            raise ValueError(f"Model {model.name!r} is not a seq2seq model; translate needs one (rnnzoo list '*seq2seq').")
        names = {layer.name for layer in model.layers}
        init = [DECODER_INIT.format(i) for i in (1, 2) if DECODER_INIT.format(i) in names]
        self.embedding = model.get_layer(TARGET_EMBEDDING)
        self.decoder = model.get_layer(DECODER)
        self.output_layer = model.get_layer(LOGITS)
        self.vocabulary_size = self.output_layer.units
        self.attention = isinstance(self.decoder, AttentionDecoder)
        outputs = [model.get_layer(n).output for n in init]
        if self.attention:  # the fixed-context baseline never reads the encoder outputs
            outputs.insert(0, model.get_layer(MEMORY).output)
        self.encoder = keras.Model(model.inputs[0], outputs, name=f"{model.name}_encoder")

    def encode(self, source_ids):
        outputs = self.encoder(source_ids, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if not self.attention:
            return {"states": outputs}
        memory, *init = outputs
        states = self.decoder.initial_carry(init, memory)
        states.update(memory=memory, keys=self.decoder.keys(memory), mask=ops.not_equal(source_ids, PAD_ID))
        return states

    def step(self, tokens, states):
        x = ops.take(self.embedding.embeddings, tokens, axis=0)  # a plain lookup: one step carries no mask
        if self.attention:
            fixed = {k: states[k] for k in ("memory", "keys", "mask")}
            carry = {k: v for k, v in states.items() if k not in fixed}
            output, carry = self.decoder.step(x, carry, fixed["keys"], fixed["memory"], fixed["mask"])
            return self.output_layer(output), {**carry, **fixed}
        h, new = self.decoder.cell(x, states["states"], training=False)
        return self.output_layer(h), {"states": list(new) if isinstance(new, (list, tuple)) else [new]}

    __call__ = step  # the interface `beam_search` steps through

    @staticmethod
    def record(states):
        return states["weights"]


class Ensemble:
    """Several trained seq2seq models decoded as one: every step averages their log-probabilities.

    The members must share the source and target text pipelines (e.g. the same data split, different seeds or
    architectures); `translate`, `decode_ids` and `evaluate_translations` accept an `Ensemble` (or a list of
    models or paths) wherever they accept a model. Attention weights, when recorded, are the members' mean.

    Example:
    >>> rnnzoo.translate([model_a, model_b], "pronunciation", beam_width=5)  # doctest: +SKIP
    """

    def __init__(self, models):
        models = [_as_model(m) for m in models]
        if not models:
            raise ValueError("An ensemble needs at least one seq2seq model; got none.")
        texts = [(card.text, card.target_text) for card in map(card_of, models)]
        for m, text in zip(models[1:], texts[1:]):
            if text != texts[0]:
                raise ValueError(f"Model {m.name!r} reads or writes a different vocabulary than {models[0].name!r}; "
                                 "an ensemble needs members trained on the same text pipelines (same data split).")
        self.models = models
        self.name = "ensemble(" + ", ".join(m.name for m in models) + ")"

    def get_layer(self, name):  # the shared metadata (text pipelines) of the first member
        return self.models[0].get_layer(name)


class EnsembleStep:
    """`Seq2SeqStep` of an `Ensemble`: member states side by side, log-probabilities averaged."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.vocabulary_size = self.steps[0].vocabulary_size
        self.attention = all(s.attention for s in self.steps)

    def encode(self, source_ids):
        return {f"member_{i}": s.encode(source_ids) for i, s in enumerate(self.steps)}

    def step(self, tokens, states):
        log_probs, new = [], {}
        for i, s in enumerate(self.steps):
            logits, new[f"member_{i}"] = s.step(tokens, states[f"member_{i}"])
            log_probs.append(ops.log_softmax(logits, axis=-1))
        return ops.mean(ops.stack(log_probs), axis=0), new

    __call__ = step

    def record(self, states):
        return ops.mean(ops.stack([s.record(states[f"member_{i}"]) for i, s in enumerate(self.steps)]), axis=0)


class LoopStep:
    """Adapts `Seq2SeqStep` to the sampling loop's interface (states made before the loop)."""

    def __init__(self, step, states):
        self.step, self.states, self.vocabulary_size = step, states, step.vocabulary_size

    def initial_states(self, batch):
        return self.states

    def __call__(self, tokens, states):
        return self.step.step(tokens, states)


def decode_ids(model, source_ids, max_length, beam_width=1, sampler="greedy", alpha=DEFAULT_ALPHA, seed=None,
               attention=False, compile=True, suppress=(PAD_ID, UNK_ID, START_ID)):
    """Decodes a batch of source id sequences; see `translate` for the text-level API.

    Args:
        model: a trained seq2seq model, or an `Ensemble` (or list) of them.
        source_ids: int array (batch, S), right-padded with 0.
        max_length: int. Most target tokens per output ([END] included).
        beam_width: int. 1 uses `sampler`; > 1 runs beam search.
        sampler: str or `Sampler`. Greedy, random, top_k or top_p (beam_width 1 only).
        alpha: float. Beam search length-penalty exponent.
        seed: int or None. Sampling seed.
        attention: bool. Also return the attention weights (attention models only).
        compile: bool. Compile the loop (XLA on TensorFlow, jit on JAX).
        suppress: ids never generated.

    Returns:
        dict with `tokens` (batch, beam, max_length) int32 (rows end with [END] then padding), `scores`
        (batch, beam) or None when sampling, `lengths`, and `attention` (batch, beam, max_length, S) or None.
    """
    model = _as_model(model)
    step = _step_of(model)
    source_ids = np.asarray(source_ids)  # token ids, or images for a captioner
    source_ids = ops.convert_to_tensor(source_ids.astype("float32" if source_ids.dtype.kind == "f" else "int32"))
    batch, max_length, beam_width = int(source_ids.shape[0]), int(max_length), int(beam_width)
    if beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer; got {beam_width!r}.")
    if attention and not step.attention:
        raise ValueError(f"Model {model.name!r} has no attention (a fixed-context baseline); use attention=False.")
    record = step.record if attention else None
    suppress = tuple(sorted(set(suppress)))
    if beam_width > 1 and sampler != "greedy":
        raise ValueError("Beam search is deterministic; pass sampler='greedy' (the default) with beam_width > 1.")
    sampler_obj = get_sampler(sampler)

    if beam_width == 1:
        uniforms = draw_uniforms(max_length + 1, batch, seed)

        def run(source_ids, uniforms):
            loop = LoopStep(step, step.encode(source_ids))
            prompts = ops.zeros((ops.shape(source_ids)[0], 1), "int32") + START_ID
            return decode_loop(loop, sampler_obj, prompts, ops.ones((ops.shape(source_ids)[0],), "int32"),
                                uniforms, max_length, END_ID, PAD_ID, suppress, record=record)

        key = ("seq2seq_sample", type(sampler_obj).__name__, tuple(sorted(sampler_obj.get_config().items())),
               max_length, suppress, attention)
        fn = (compiled(model, key, lambda: run) if compile else None) or run
        out = fn(source_ids, uniforms)
        ids, history = (out if attention else (out, None))
        ids = ops.convert_to_numpy(ids)[:, 1:]
        result = {"tokens": ids[:, None], "scores": None, "lengths": _lengths(ids)[:, None],
                  "attention": None if history is None else ops.convert_to_numpy(history)[:, None]}
        return result

    def run_beam(source_ids):
        states = keras.tree.map_structure(lambda t: ops.repeat(t, beam_width, axis=0), step.encode(source_ids))
        return beam_search(step, states, ops.shape(source_ids)[0], beam_width, max_length,
                           start_id=START_ID, end_id=END_ID, pad_id=PAD_ID, alpha=alpha, suppress=suppress,
                           record=record)

    key = ("seq2seq_beam", beam_width, max_length, float(alpha), suppress, attention)
    fn = (compiled(model, key, lambda: run_beam) if compile else None) or run_beam
    tokens, scores, lengths, history = fn(source_ids)
    return {"tokens": ops.convert_to_numpy(tokens), "scores": ops.convert_to_numpy(scores),
            "lengths": ops.convert_to_numpy(lengths),
            "attention": None if history is None else ops.convert_to_numpy(history)}


def _lengths(ids):
    """Generated length of each row: up to and including [END], or the whole row."""
    ended = ids == END_ID
    return np.where(ended.any(-1), ended.argmax(-1) + 1, ids.shape[-1]).astype("int32")


def _step_of(model):
    return DECODERS.value(model, "seq2seq_step", lambda: EnsembleStep(_step_of(m) for m in model.models)
                          if isinstance(model, Ensemble) else Seq2SeqStep(model))


def _as_model(model):
    """A model from a model, a saved path, or a list of either (an `Ensemble`)."""
    if isinstance(model, (list, tuple)):
        return Ensemble(model)
    return load(model) if isinstance(model, str) else model


def target_encoder(model):
    """The `TextEncoder` of a seq2seq model's outputs, stored in its card."""
    from rnnzoo.text import TextEncoder

    config = card_of(model).target_text
    if not config:
        raise ValueError(f"Model {model.name!r} carries no target text pipeline; train it with rnnzoo.train.")
    return TextEncoder.from_config(config)


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

    Example:
    >>> rnnzoo.translate(model, "the 3rd of March 1999", beam_width=5)  # doctest: +SKIP
    '1999-03-03'
    """
    from rnnzoo.text import as_texts, pad_sequences

    model = _as_model(model)
    step = _step_of(model)
    texts, single = as_texts(texts)
    source_encoder, out_encoder = text_encoder(model), target_encoder(model)
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
        max_length = decode_length(card_of(model), [len(s) for s in ids])
    results = []
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        out = decode_ids(model, pad_sequences(chunk), max_length, beam_width=beam_width, sampler=sampler,
                         alpha=alpha, seed=seed, attention=details and attention and step.attention)
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
    return results[0] if single else results


def edit_distance(a, b):
    """Levenshtein distance between two token sequences (insertions, deletions, substitutions cost 1)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rates(hypotheses, references):
    """Exact match, word error rate and token error rate of outputs against one or more references each.

    A hypothesis is correct when it equals any of its references (e.g. any listed pronunciation of a word). The
    token error rate (the phoneme error rate, PER, for G2P) is the summed edit distance to the closest reference
    divided by the summed length of those references. The word error rate (WER) is 1 − exact match.

    Args:
        hypotheses: list of token lists.
        references: list of lists of token lists (one or more references per hypothesis).

    Example:
    >>> error_rates([["K", "AE", "T"]], [[["K", "AE", "T"], ["K", "AH", "T"]]])["wer"]
    0.0
    """
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(f"Need one reference list per hypothesis; got {len(hypotheses)} and {len(references)}.")
    correct = errors = length = 0
    for hyp, refs in zip(hypotheses, references):
        distances = [edit_distance(hyp, list(r)) for r in refs]
        best = int(np.argmin(distances))
        correct += distances[best] == 0
        errors += distances[best]
        length += len(refs[best])
    exact = correct / len(hypotheses)
    return {"exact_match": exact, "wer": 1.0 - exact, "token_error_rate": errors / max(length, 1),
            "decoded": len(hypotheses)}


def evaluate_translations(model, data, beam_width=1, alpha=DEFAULT_ALPHA, limit=None, batch_size=128):
    """Decodes every distinct source of a `PairData` and scores it against all of its targets.

    Returns `error_rates(...)` plus the decoding settings; sources the model cannot read (unknown tokens) are
    decoded with [UNK].
    """
    model = _as_model(model)
    encoder = target_encoder(model)
    grouped = {}
    for source, target in zip(data.sources, data.targets):
        grouped.setdefault(source, []).append(target)
    sources = list(grouped)[:limit]
    outputs = translate(model, sources, beam_width=beam_width, alpha=alpha, details=True, on_unknown="unk",
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

    Example:
    >>> checkpoint = ErrorRateCheckpoint(validation_pairs, start=5)  # doctest: +SKIP
    >>> rnnzoo.train("bahdanau_seq2seq", data, callbacks=[checkpoint]); checkpoint.best_epoch  # doctest: +SKIP
    """

    def __init__(self, data, start=1, restore=True, limit=None):
        super().__init__()
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
        print(f"epoch {epoch + 1}: validation WER {m['wer']:.2%}, PER {m['token_error_rate']:.2%} (greedy)", flush=True)
        if (m["wer"], m["token_error_rate"]) < self.best:  # ties on WER go to the lower phoneme error rate
            self.best, self.best_epoch = (m["wer"], m["token_error_rate"]), epoch + 1
            self.best_weights = [np.array(w) for w in self.model.get_weights()]

    def on_train_end(self, logs=None):
        if self.restore and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
