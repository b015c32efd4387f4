"""Speech recognition with a bidirectional recurrent acoustic model trained with CTC, on words spoken by espeak-ng.

Data: `spoken_words(...)` synthesises utterances of one to three words from a small vocabulary (the digits and
ten command words) with Debian's espeak-ng, across voices (dialects × voice variants), speaking rates and
pitches. Held-out *voices* (a dialect and variants never heard in training) make the test set.
Features: log-mel spectrograms computed with `tf.signal` (25 ms windows, 10 ms hop, 40 mel bands, two frames
stacked → 20 ms per step), normalised per utterance.
Model: `bilstm_ctc` / `bigru_ctc` (registered): stacked bidirectional layers → per-frame logits over the words
plus the CTC blank (id 0). Decoding: greedy (best path) or CTC beam search (`keras.ops.ctc_decode`).
Baseline: nearest template by dynamic time warping (DTW) over isolated-word recordings of the training voices,
the classic small-vocabulary recogniser.

Examples:
>>> from rnnzoo.tasks.speech.recognize import spoken_words
>>> train = spoken_words(2000, voices=TRAIN_VOICES)  # doctest: +SKIP
>>> result = rnnzoo.train("bigru_ctc", train, validation_data=spoken_words(200, seed=1))  # doctest: +SKIP
"""

import dataclasses
import functools
import os
import shutil
import subprocess

import numpy as np

from rnnzoo.card import DataRecord, ModelCard, SplitRecord
from rnnzoo.datasets.base import Dataset
from rnnzoo.metrics import edit_distance
from rnnzoo.trained import TrainedModel

TASK_NAME = "ctc"  # the task this module's verbs serve (`rnnzoo.tasks.speech.task`)

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
DIALECTS_TRAIN = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp")
DIALECTS_TEST = ("en-029", "en-gb-x-gbcwmd")
VARIANTS_TRAIN = ("m1", "m2", "m3", "f1", "f2", "f3", "klatt", "klatt2")
VARIANTS_TEST = ("m4", "f4", "klatt3")
TRAIN_VOICES = tuple(f"{d}+{v}" for d in DIALECTS_TRAIN for v in VARIANTS_TRAIN)
TEST_VOICES = tuple(f"{d}+{v}" for d in DIALECTS_TEST for v in VARIANTS_TEST)
SAMPLE_RATE = 22050  # espeak-ng's output rate
FRAME_STACK = 2


def espeak_available():
    return shutil.which("espeak-ng") is not None


def synthesize(text, voice="en-us", speed=160, pitch=50):
    """Speaks `text` with espeak-ng; returns float32 samples in [−1, 1] at `SAMPLE_RATE` Hz."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"Nothing to say: text must be a non-empty string; got {text!r}.")
    if not espeak_available():
        raise RuntimeError("espeak-ng is not installed: `sudo apt-get install espeak-ng` (make setup does it).")
    proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "--stdout", text],
                          capture_output=True, timeout=60)
    if proc.returncode != 0 or len(proc.stdout) < 100:
        raise ValueError(f"espeak-ng failed for voice {voice!r}: {proc.stderr.decode(errors='replace')[:200]}")
    data = proc.stdout
    start = data.find(b"data") + 8  # the streamed header's sizes are placeholders: read to the end
    samples = np.frombuffer(data[start:start + (len(data) - start) // 2 * 2], "<i2")
    return samples.astype("float32") / 32768.0


@functools.lru_cache(maxsize=8)
def _mel_matrix(n_mels, bins, sample_rate):
    """The (bins, n_mels) filterbank, built once per setting rather than once per utterance."""
    import tensorflow as tf

    return np.asarray(tf.signal.linear_to_mel_weight_matrix(n_mels, bins, sample_rate, 60.0, 7600.0))


def log_mel(samples, sample_rate=SAMPLE_RATE, n_mels=40, frame_ms=25, hop_ms=10, stack=FRAME_STACK):
    """Log-mel features (frames, n_mels × stack) with tf.signal, normalised to zero mean and unit variance."""
    import tensorflow as tf

    samples = np.asarray(samples, "float32")
    if samples.ndim != 1 or len(samples) < sample_rate // 50:
        raise ValueError(f"Expected a 1-D waveform of at least 20 ms; got shape {samples.shape}.")
    frame, hop = int(sample_rate * frame_ms / 1000), int(sample_rate * hop_ms / 1000)
    fft = 1 << (frame - 1).bit_length()
    spectrum = tf.abs(tf.signal.stft(samples, frame, hop, fft_length=fft))
    features = np.log(np.asarray(spectrum) @ _mel_matrix(n_mels, fft // 2 + 1, sample_rate) + 1e-6)
    features = (features - features.mean(0)) / (features.std(0) + 1e-5)
    usable = len(features) // stack * stack
    return features[:usable].reshape(usable // stack, n_mels * stack).astype("float32")


@dataclasses.dataclass
class SpeechData(Dataset):
    """Utterances as feature arrays (frames, features), their transcripts and who spoke them."""

    features: list
    transcripts: list
    voices: list
    name: str = "spoken words"
    task = "ctc"
    _fields = ("features", "transcripts", "voices")


def spoken_words(n=2000, voices=TRAIN_VOICES, max_words=3, words=WORDS, seed=0, isolated=False, vary=False):
    """Synthesised utterances of 1–`max_words` words (or each word once per voice when `isolated`).

    Speaking rate 130–210 words per minute and pitch 25–75 are drawn per utterance (isolated words use 170, 50,
    unless `vary`: then they are drawn too, from `seed`, so each seed gives another isolated test set).
    """
    rng = np.random.default_rng(seed)
    features, transcripts, speakers = [], [], []
    if isolated:
        jobs = [(w, v, int(rng.integers(130, 211)) if vary else 170, int(rng.integers(25, 76)) if vary else 50)
                for v in voices for w in words]
    else:
        jobs = []
        for _ in range(n):
            count = int(rng.integers(1, max_words + 1))
            text = " ".join(rng.choice(words, count))
            jobs.append((text, voices[rng.integers(len(voices))], int(rng.integers(130, 211)),
                         int(rng.integers(25, 76))))
    from rnnzoo.progress import Progress

    with Progress(len(jobs), "synthesising speech with espeak-ng", enabled=None if len(jobs) > 20 else False) as bar:
        for text, voice, speed, pitch in jobs:
            features.append(log_mel(synthesize(text, voice, speed, pitch)))
            transcripts.append(text)
            speakers.append(voice)
            bar.add(1)
    return SpeechData(features, transcripts, speakers)


def pad_features(features):
    """Right-pads (frames, features) arrays with zeros into one (batch, frames, features) array, plus lengths."""
    lengths = np.array([len(f) for f in features], "int32")
    out = np.zeros((len(features), lengths.max(), features[0].shape[1]), "float32")
    for i, f in enumerate(features):
        out[i, : len(f)] = f
    return out, lengths


def encode_transcripts(transcripts, words=WORDS):
    """Word ids (1-based; 0 is the CTC blank), right-padded with 0."""
    index = {w: i + 1 for i, w in enumerate(words)}
    unknown = sorted({w for t in transcripts for w in t.split()} - set(index))
    if unknown:
        raise ValueError(f"Words {unknown[:5]} are not in the recogniser's vocabulary ({len(words)} words).")
    rows = [[index[w] for w in t.split()] for t in transcripts]
    out = np.zeros((len(rows), max(len(r) for r in rows)), "int32")
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def recognize(model, features, beam_width=1, batch_size=64):
    """Transcripts for a list of (frames, features) arrays with a trained CTC model (any form `TrainedModel.of`
    takes); beam_width > 1 uses CTC beam search."""
    from keras import ops

    trained = TrainedModel.of(model)
    if trained.task.name != TASK_NAME:
        raise ValueError(f"{trained.name!r} is a {trained.task.name}, not a CTC speech recogniser.")
    model = trained.model
    words = trained.card.get("words") or WORDS
    out = [None] * len(features)
    order = np.argsort([len(f) for f in features], kind="stable")  # similar lengths together: little padding
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        x, lengths = pad_features([features[i] for i in index])
        logits = trained.predict(x)  # one compiled forward pass per length (Keras' predict retraced, and warned)
        strategy = "greedy" if beam_width <= 1 else "beam_search"
        decoded, _ = ops.ctc_decode(logits, lengths, strategy=strategy, beam_width=int(max(beam_width, 1)),
                                    top_paths=1, mask_index=0)
        for i, row in zip(index, np.asarray(ops.convert_to_numpy(decoded))[0]):
            out[i] = " ".join(words[t - 1] for t in row if t > 0)
    return out


def word_error_rate(hypotheses, references):
    """Summed word edit distance / summed reference length."""
    errors = sum(edit_distance(h.split(), r.split()) for h, r in zip(hypotheses, references))
    return errors / max(sum(len(r.split()) for r in references), 1)


def dtw_distances(queries, templates, chunk=8):
    """Length-normalised DTW distance (Euclidean frame cost) from every query to every template: (Q, T)."""
    tq, lq = pad_features(queries)
    tt, lt = pad_features(templates)
    t_norm = (tt ** 2).sum(-1)
    out = np.zeros((len(queries), len(templates)), "float32")
    big = np.float32(1e9)
    for s in range(0, len(queries), chunk):
        q, ql = tq[s:s + chunk], lq[s:s + chunk]
        squared = (q ** 2).sum(-1)[:, None, :, None] + t_norm[None, :, None, :] - 2 * np.einsum("cif,tjf->ctij", q, tt)
        cost = np.sqrt(np.maximum(squared, 0)).astype("float32")  # (queries, templates, i, j)
        d = np.empty_like(cost)
        for i in range(cost.shape[2]):
            for j in range(cost.shape[3]):
                if i == 0 and j == 0:
                    d[:, :, 0, 0] = cost[:, :, 0, 0]
                    continue
                best = np.minimum(d[:, :, i - 1, j] if i else big, d[:, :, i, j - 1] if j else big)
                if i and j:
                    best = np.minimum(best, d[:, :, i - 1, j - 1])
                d[:, :, i, j] = cost[:, :, i, j] + best
        rows = np.arange(len(q))[:, None]
        end = d[rows, np.arange(len(templates))[None, :], (ql - 1)[:, None], (lt - 1)[None, :]]
        out[s:s + chunk] = end / (ql[:, None] + lt[None, :])
    return out


def template_baseline(queries, templates, template_words):
    """Nearest-template recognition: each query gets the word of the template at the smallest DTW distance."""
    return [template_words[i] for i in dtw_distances(queries, templates).argmin(1)]


def length_batches(data, batch_size=32, shuffle=True, seed=0):
    """A tf.data pipeline of batches of utterances of similar length, in a new order every epoch: little padding
    (faster, and the backward layers start on speech rather than on a long run of padding)."""
    import tensorflow as tf

    from rnnzoo.text.encoder import EpochOrder

    by_length = np.argsort([len(f) for f in data.features], kind="stable")
    batches = [by_length[i:i + batch_size] for i in range(0, len(by_length), batch_size)]
    labels = encode_transcripts(data.transcripts)
    order = EpochOrder(len(batches), shuffle, seed)  # of the batches; the fitting loop pins it to the epoch

    def generate():
        for b in order():
            yield pad_features([data.features[j] for j in batches[b]])[0], labels[batches[b]]

    signature = (tf.TensorSpec((None, None, data.features[0].shape[1]), tf.float32),
                 tf.TensorSpec((None, labels.shape[1]), tf.int32))
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return order.finish(dataset, len(batches))




OPTIONS = {"split": (0.8, 0.1, 0.1), "beam_width": 1, "utterances": 1200}
"""A CTC recogniser's training options (`rnnzoo.train`):

    split: tuple. Train/validation/test fractions of the data when no validation_data is given.
    beam_width: int. CTC beam width of the held-out transcription (1: greedy).
    utterances: int. With data="spoken_words": how many utterances espeak-ng synthesises for training (the test
        set: a tenth as many, by voices never heard in training).
"""


def speech_data(source, seed=0, utterances=1200):
    """`SpeechData` from a TSV file of `audio.wav<TAB>transcript` lines, or synthesised by espeak-ng for the name
    "spoken_words" (training voices; `utterances` of them)."""
    if not isinstance(source, str):
        return source
    if source == "spoken_words":
        return spoken_words(int(utterances), voices=TRAIN_VOICES, seed=seed)
    from rnnzoo.datasets.files import load_labelled_files

    files, transcripts = load_labelled_files(source, "WAV file")
    return SpeechData([log_mel(read_audio(f)) for f in files], list(transcripts), ["?"] * len(files),
                      os.path.basename(source))


def prepare(spec, data, config, validation_data=None, test_data=None):
    """The `Plan` of a CTC recogniser (`rnnzoo.train`): batches of similar lengths, the word vocabulary in the card,
    and the held-out word error rate."""
    from rnnzoo.fitting import Plan

    option, seed, batch_size = config.task.get, config.seed, config.batch_size
    named = data if isinstance(data, str) else None
    data = speech_data(data, seed, option("utterances"))
    if not len(data):
        raise ValueError("No utterances to train on; pass SpeechData (spoken_words(...)) or a TSV of audio files.")
    if named == "spoken_words" and validation_data is None and test_data is None:
        train, validation = data.split((0.9, 0.1, 0.0), seed=seed)[:2]
        test = spoken_words(max(len(data) // 10, 10), voices=TEST_VOICES, seed=seed + 2)  # voices never heard
        method = "generated"
    elif validation_data is None and test_data is None:
        train, validation, test = data.split(tuple(option("split")), seed=seed)
        test = test if len(test) else None
        method = "fractions"
    else:
        train, validation, test, method = data, validation_data, test_data, "explicit"
        if validation is None:
            raise ValueError("Pass validation_data with test_data (early stopping needs it), or neither to split.")
    held = test if test is not None else validation
    beam_width = int(option("beam_width"))
    card = ModelCard(model=spec.name, task=TASK_NAME,
                     settings={"words": list(WORDS), "features": "log-mel 40 × 2 stacked", "sample_rate": SAMPLE_RATE},
                     data=DataRecord(source=data.name, fingerprint=data.fingerprint(), examples=len(data)),
                     split=SplitRecord(method=method, held_out="test" if test is not None else "validation",
                                       fractions=list(option("split")) if method == "fractions" else None, seed=seed,
                                       counts={"train": len(train), "validation": len(validation),
                                               "test": 0 if test is None else len(test)},
                                       held_out_fingerprint=held.fingerprint()),
                     training={"model_options": dict(config.model)})

    def held_out_metrics(trained):
        if test is None:
            return {}
        hypotheses = recognize(TrainedModel(trained, card, TASK_NAME), test.features, beam_width=beam_width)
        return {"wer": word_error_rate(hypotheses, test.transcripts),
                "exact_match": float(np.mean([h == r for h, r in zip(hypotheses, test.transcripts)])),
                "test": len(test), "beam_width": beam_width}

    return Plan(card=card, train=length_batches(train, batch_size, seed=seed),
                validation=length_batches(validation, batch_size, shuffle=False),
                build={"num_features": train.features[0].shape[1], "num_labels": len(WORDS)},
                evaluate=held_out_metrics, details={"splits": (train, validation, test)})


def read_wav(path):
    """Mono float32 samples in [-1, 1] and the sample rate of an audio file: WAV in any sample format (8/16/24/32-bit
    PCM, 32/64-bit float), and FLAC or OGG, read by soundfile (libsndfile). Several channels are averaged."""
    import soundfile

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such audio file: {path}")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory; pass an audio file.")
    try:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise ValueError(f"{path} is not an audio file soundfile can read ({e}); WAV (any sample format), FLAC and "
                         "OGG are read. Convert other formats first, e.g. `ffmpeg -i input.m4a output.wav`.") from None
    if not len(data):
        raise ValueError(f"{path} holds no samples.")
    return data.mean(1) if data.shape[1] > 1 else data[:, 0], int(rate)


def read_audio(path, sample_rate=SAMPLE_RATE):
    """A WAV file as mono float32 samples at `sample_rate` (stereo is averaged, other rates are resampled)."""
    data, rate = read_wav(path)
    if rate != sample_rate:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sample_rate), int(rate))
        data = resample_poly(data, int(sample_rate) // g, int(rate) // g).astype("float32")
    return data

