"""Language models as scorers and generators, on raw text.

The probability of a text is the product of each token's probability given the ones before it:
log P(w1..wn) = Σ log P(w_t | [START], w1..w_{t-1}) + log P([END] | w1..wn).
"""

import math

import numpy as np

from rnnzoo.text import END, END_ID, PAD_ID, START_ID, UNK, UNK_ID, as_texts, pad_sequences
from rnnzoo.trained import TrainedModel

TASK_NAME = "language_model"


def _language_model(model):
    trained = TrainedModel.of(model)
    if trained.task.name != TASK_NAME:
        raise ValueError(f"{trained.name!r} is a {trained.task.name}, not a language model.")
    return trained


def score(model, texts, include_end=None, batch_size=64):
    """Scores texts with a language model.

    Args:
        model: a trained rnnzoo language model (it carries its text pipeline): a `TrainedModel`, a preset name, a
            path or a keras.Model built by rnnzoo.
        texts: str or list of str. An empty text raises ValueError (it has no tokens to score).
        include_end: bool or None. Also score the `[END]` token (the probability that the text stops there).
            Default: True for word models (trained on whole sentences), False for character models (trained on
            running text).
        batch_size: int.

    Returns:
        For each text a dict: `log_prob` (natural log, total), `tokens` (list of (token, log_prob)),
        `perplexity` (exp of the mean negative log-probability per scored token), `num_tokens`, and `unknown`
        (tokens outside the vocabulary, scored as `[UNK]`, i.e. as "some rare word"). A single string gives a
        single dict.

    Examples:
    >>> rnnzoo.score(lm, ["the king is dead", "dead the is king"])  # doctest: +SKIP
    """
    trained = _language_model(model)
    texts, single = as_texts(texts)
    encoder = trained.encoder
    if include_end is None:
        include_end = encoder.level == "word"
    tokens = encoder.tokenize(texts)
    for i, toks in enumerate(tokens):
        if not toks:
            raise ValueError(f"Text {i} ({texts[i]!r}) is empty after tokenization; there is nothing to score.")
    ids = encoder.encode_tokens(tokens, add_start=True, add_end=include_end, normalized=True)
    results = []
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        x = pad_sequences([s[:-1] for s in chunk])
        y = pad_sequences([s[1:] for s in chunk])
        logits = trained.predict(x, batch_size=batch_size).astype("float64")  # compiled, never eager
        shifted = logits - logits.max(-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))  # log-softmax
        picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
        for row, seq in enumerate(chunk):
            n = len(seq) - 1
            lps = picked[row, :n]
            names = [encoder.vocabulary.index_to_word(i) for i in seq[1:]]
            originals = tokens[start + row] + ([END] if include_end else [])
            shown = [o if i != UNK_ID else f"{o} ({UNK})" for o, i in zip(originals, seq[1:])]
            total = float(lps.sum())
            results.append({"log_prob": total, "perplexity": math.exp(-total / n), "num_tokens": n,
                            "tokens": list(zip(shown, map(float, lps))),
                            "unknown": [o for o, t in zip(originals, names) if t == UNK]})
    return results[0] if single else results


def generate(model, prompt="", max_length=200, sampler="greedy", seed=None, compile=True, allow_unknown=False,
             **sampler_options):
    """Generates text from a language model, continuing each prompt.

    Args:
        model: a trained rnnzoo language model (any form `TrainedModel.of` takes).
        prompt: str or list of str (a batch). "" starts from `[START]` alone.
        max_length: int. Most tokens generated after the prompt; generation also stops at `[END]`.
        sampler: str. "greedy", "random" (temperature), "top_k" or "top_p".
        seed: int or None. The same seed gives the same text.
        compile: bool. Run the decode loop compiled (XLA on TensorFlow).
        allow_unknown: bool. Let the model generate `[UNK]` (by default it is never sampled).
        **sampler_options: `temperature`, `k` (top_k), `p` (top_p).

    Returns:
        The prompt followed by the generated text (a list for a list of prompts).

    Examples:
    >>> rnnzoo.generate(lm, "ROMEO:", max_length=200, sampler="top_p", p=0.9, temperature=0.8, seed=1)  # doctest: +SKIP
    """
    from rnnzoo.decoding import decode, get_sampler

    trained = _language_model(model)
    prompts, single = as_texts(prompt)
    if not prompts:
        raise ValueError("No prompts given; pass a string (\"\" to start from nothing) or a list of strings.")
    if int(max_length) < 1:
        raise ValueError(f"max_length must be a positive integer; got {max_length!r}.")
    chosen = get_sampler(sampler, **sampler_options)
    encoder = trained.encoder
    ids = encoder.encode(prompts, add_start=True)
    lengths = np.array([len(s) for s in ids], "int32")
    suppress = (PAD_ID, START_ID) if allow_unknown else (PAD_ID, START_ID, UNK_ID)
    out = decode(trained.model, pad_sequences(ids), lengths, int(max_length), chosen, seed=seed, compile=compile,
                 end_id=END_ID, pad_id=PAD_ID, suppress=suppress)
    texts = []
    for row, n, prompt_text in zip(out, lengths, prompts):
        new = [int(i) for i in row[n:]]
        if END_ID in new:
            new = new[: new.index(END_ID)]
        new = [i for i in new if i != PAD_ID]
        continuation = encoder.decode(new)
        sep = encoder.tokenizer.separator if prompt_text and continuation else ""
        texts.append(prompt_text + sep + continuation)
    return texts[0] if single else texts
