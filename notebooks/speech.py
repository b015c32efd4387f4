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
# # Speech recognition with a bidirectional recurrent net and CTC
#
# Words spoken by espeak-ng in many voices, rates and pitches become log-mel spectrograms (`tf.signal`). A stacked
# bidirectional recurrent net emits, for every 20 ms frame, a distribution over the words plus a *blank*; CTC
# (Graves et al. 2006) trains it without any alignment by summing over every way the transcript can be spread
# over the frames. Decoding takes the best path (greedy: merge repeats, drop blanks) or runs a CTC beam search.
# The test voices are dialects and voice variants never heard in training; the classic baseline is the nearest
# template under dynamic time warping (DTW).

# %% [markdown]
# ## Run it
#
# - **Environment:** `make lab` in a clone of the repository installs the project with its `notebooks` extra
#   (JupyterLab and the notebook runner) and starts JupyterLab in it: the "Python 3" kernel is the project's `.venv`.
#   Elsewhere: `pip install "rnnzoo[notebooks]"` and open this notebook with that Python.
# - **Time:** about 2 minutes on 2 CPU cores; no GPU needed.
# - **Needs:** the Debian package `espeak-ng` (`make setup` installs it; `sudo apt-get install espeak-ng`), which
#   speaks every utterance here, and the preset `speech_bigru_ctc` (inside the package).

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import matplotlib.pyplot as plt
import numpy as np
import rnnzoo
from rnnzoo.tasks.speech import recognize as speech

QUICK = os.environ.get("RNNZOO_QUICK") == "1"  # the test suite's smoke run only; never the committed outputs
if not speech.espeak_available():
    raise SystemExit("espeak-ng is not installed: sudo apt-get install espeak-ng")

# %%
samples = speech.synthesize("seven left", voice="en-gb+f2", speed=150)
features = speech.log_mel(samples)
fig, axes = plt.subplots(1, 2, figsize=(12, 3))
axes[0].plot(np.arange(len(samples)) / speech.SAMPLE_RATE, samples, linewidth=0.5); axes[0].set_xlabel("seconds")
axes[0].set_title("'seven left', waveform")
axes[1].imshow(features[:, :40].T, origin="lower", aspect="auto"); axes[1].set_xlabel("frame (20 ms)")
axes[1].set_ylabel("mel band"); axes[1].set_title("log-mel spectrogram")
plt.show()

# %% [markdown]
# The two words are two bursts of energy in the waveform and two blocks of bands in the spectrogram, with a short
# gap between them: that spectrogram, frame by frame, is what the network reads.
#
# ## Data: training voices and held-out voices
#
# The held-out test set is the one the preset was scored on (`saved_models/train_presets.py`): 240 utterances of
# one or two words from the test voices, seed 2.

# %%
words = speech.WORDS
test = speech.spoken_words(24 if QUICK else 240, voices=speech.TEST_VOICES, words=words, seed=2, max_words=2)
print(len(words), "words:", ", ".join(words))
print("training voices:", len(speech.TRAIN_VOICES), "| held-out voices:", ", ".join(speech.TEST_VOICES))
print(len(test), "test utterances, e.g.", test.transcripts[:5])

# %% [markdown]
# ## How a CTC model is trained
#
# One call trains the bidirectional LSTM with the CTC loss. A one-minute run on 400 utterances shows the call
# and how far a minute gets; the preset below was trained on 2,400 utterances until validation stopped improving.

# %%
train = speech.spoken_words(100 if QUICK else 400, voices=speech.TRAIN_VOICES[::4], words=words, seed=0,
                            max_words=2)
validation = speech.spoken_words(60, voices=speech.TRAIN_VOICES[::4], words=words, seed=1, max_words=2)
short = rnnzoo.train("bilstm_ctc", train, validation_data=validation, epochs=40, units=64, num_layers=1,
                     learning_rate=3e-3, minutes=0.2 if QUICK else 1, verbose=0)
short_wer = speech.word_error_rate(speech.recognize(short.model, test.features), test.transcripts)
print(f"one-minute model: {len(short.history['loss'])} epochs, held-out voices WER {short_wer:.1%}")

# %% [markdown]
# A minute of training gets part of the way (its word error rate is printed above). The preset was trained on six
# times as many utterances, from every training voice, until its validation loss stopped improving:
#
# ## The preset on held-out voices

# %%
model = rnnzoo.load("speech_bigru_ctc")
greedy = speech.recognize(model, test.features)
beam = speech.recognize(model, test.features, beam_width=8)
greedy_wer = speech.word_error_rate(greedy, test.transcripts)
print(f"held-out voices: WER greedy {greedy_wer:.1%}, beam 8 {speech.word_error_rate(beam, test.transcripts):.1%}"
      f" (metrics.json: {model.card.metrics['wer']:.1%} greedy)")
for truth, hyp in list(zip(test.transcripts, greedy))[:8]:
    print(f"  {truth!r:24} → {hyp!r}")

# %% [markdown]
# On voices it never heard, the preset gets about six words in seven right; the figure equals the one in its
# `metrics.json` because this is the same test set. Beam search changes little here: with one or two words per
# utterance, the best path is rarely beaten.
#
# ## Where CTC puts the words: the posteriors of one utterance

# %%
example = next(i for i, (truth, heard) in enumerate(zip(test.transcripts, greedy))  # a two-word utterance it gets right
               if truth == heard and len(truth.split()) == 2)
logits = model.predict(test.features[example][None])[0]
probabilities = np.exp(logits - logits.max(-1, keepdims=True))
probabilities /= probabilities.sum(-1, keepdims=True)  # softmax over blank (id 0) and the words
labels = ["blank", *(model.card.get("words") or words)]
peaks = [int(i) for i in np.flatnonzero(probabilities.argmax(1) != 0)]
plt.figure(figsize=(10, 3.5))
plt.imshow(probabilities.T, aspect="auto", origin="lower", cmap="viridis")
plt.yticks(range(len(labels)), labels, fontsize=6)
plt.xlabel("frame (20 ms)")
plt.title(f"CTC posteriors for {test.transcripts[example]!r}: {len(peaks)} of {len(probabilities)} frames "
          f"not blank, heard {greedy[example]!r}")
plt.colorbar(); plt.show()
print(f"frames not blank: {len(peaks)} of {len(probabilities)}; their words:",
      [labels[probabilities[i].argmax()] for i in peaks])

# %% [markdown]
# The figure shows the first two-word test utterance the preset recognises correctly. Each word is a short spike
# of probability on its own row, a frame or two wide, and the blank takes every other frame: CTC learns to say
# *where* a word happens without anyone having marked it. The title and the line under the figure are computed
# from the output.
#
# ## Against nearest-template DTW on isolated words
#
# The templates are every word from every training voice; each held-out recording gets the word of its nearest
# template. `benchmarks/speech.py` runs the full comparison.

# %%
templates = speech.spoken_words(voices=speech.TRAIN_VOICES[::4] if QUICK else speech.TRAIN_VOICES, words=words,
                                isolated=True)
isolated = speech.spoken_words(voices=speech.TEST_VOICES, words=words, isolated=True)
dtw = speech.template_baseline(isolated.features, templates.features, templates.transcripts)
ctc = speech.recognize(model, isolated.features)
dtw_wer, ctc_wer = (speech.word_error_rate(h, isolated.transcripts) for h in (dtw, ctc))
print(f"isolated words, held-out voices ({len(isolated)} recordings): DTW WER {dtw_wer:.1%}, CTC WER {ctc_wer:.1%}")

# %% [markdown]
# On isolated words, the nearest template wins here: with every training voice's recording of every word as a
# template, DTW has seen each word in voices close to the test voices, and a single word needs no segmentation.
# CTC's strength is the other case: it reads utterances of several words, unsegmented, with one model of fixed
# size (`benchmarks/speech.py` compares the two on more data).
