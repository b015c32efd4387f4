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

# %% [markdown]
# # One-to-many: from one vector to a sentence (image captioning)
#
# A one-to-many recurrent net starts from a single vector and unrolls a sequence from it. Here the vector is a small
# CNN's encoding of an image; a dense layer turns it into the LSTM decoder's first state (show-and-tell), and the
# decoder writes the caption word by word, fed its own previous word. The images are synthetic scenes of coloured
# shapes whose captions follow from the picture ("a red circle left of a blue square"), so exact match and BLEU
# on new scenes measure what the model understood. Decoding reuses the seq2seq machinery: greedy, sampling, beam.

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 1 minute on 2 CPU cores; no GPU needed.
# - **Needs:** the export extra's LiteRT interpreter (`make lab` installs it); the scenes are drawn in code and the
#   captioner trains here in about a minute (the preset `scenes_lstm_captioner` is the same model, trained longer).

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs

# %%
from rnnzoo.tasks.captioning.caption import scenes, caption, bleu
train = scenes(2000 if QUICK else 8000, seed=0)
fig, axes = plt.subplots(1, 5, figsize=(13, 3))
for ax, image, text in zip(axes, train.images, train.captions):
    ax.imshow(image); ax.set_title(text.replace(" left", "\nleft").replace(" above", "\nabove"), fontsize=8); ax.axis("off")
plt.show()

# %% [markdown]
# ## Train and caption held-out scenes

# %%
result = rnnzoo.train("lstm_captioner", train, validation_data=scenes(300, seed=1), test_data=scenes(300 if QUICK else 1000, seed=2),
                       epochs=3 if QUICK else 30, units=64 if QUICK else 128, learning_rate=3e-3, beam_width=3)
for mode in ("greedy", "beam"):
    m = result.metrics[mode]
    print(f"{mode:6s} exact match {m['exact_match']:.1%}  BLEU-4 {m['bleu']:.3f}  on {m['examples']} new scenes")
fresh = scenes(5, seed=42)
for text, greedy, beam in zip(fresh.captions, caption(result.model, fresh.images), caption(result.model, fresh.images, beam_width=3)):
    print(f"truth {text!r:42} greedy {greedy!r:42} beam {beam!r}")

# %% [markdown]
# ## On a device
#
# The captioner exports like a seq2seq model: `encoder.tflite` (image → first decoder state) and
# `decoder_step.tflite` (word, state → logits, state); an app runs the loop.

# %%
import tempfile
from rnnzoo.export import export, TFLiteModel
from rnnzoo.export.streaming import greedy_translate
work = tempfile.mkdtemp()
info = export(result.model, os.path.join(work, "captioner"), saved_model=False)
encoder = TFLiteModel(os.path.join(work, "captioner", "encoder.tflite"))
step = TFLiteModel(os.path.join(work, "captioner", "decoder_step.tflite"))
words = result.trained.target_encoder
ids, _ = greedy_translate(encoder, step, fresh.images[0], 12)
print("TFLite:", words.decode(ids[:-1]), "| Keras:", caption(result.model, fresh.images[:1])[0])

# %% [markdown]
# The loop an app runs over the two files writes the same caption as Keras for this scene (the line above
# puts them side by side).
