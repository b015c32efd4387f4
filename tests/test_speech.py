"""Speech: espeak-ng synthesis, tf.signal log-mel features, DTW templates, and a Bi-GRU + CTC recogniser that
learns words on voices it never heard. Skipped with the reason where Debian's espeak-ng is absent (make test
installs it)."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo.tasks.speech import recognize as speech

needs_espeak = pytest.mark.skipif(not speech.espeak_available(),
                                  reason="espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")


@needs_espeak
def test_synthesis_and_features():
    samples = speech.synthesize("three", voice="en-us+f2")
    assert samples.dtype == np.float32 and 0.2 * speech.SAMPLE_RATE < len(samples) < 2 * speech.SAMPLE_RATE
    assert np.abs(samples).max() > 0.05
    features = speech.log_mel(samples)
    assert features.shape[1] == 80 and 10 < len(features) < 100  # 20 ms per step
    np.testing.assert_allclose(features.reshape(-1, 2, 40).mean((0, 1)), 0, atol=0.3)
    slow = speech.log_mel(speech.synthesize("three", voice="en-us+f2", speed=100))
    assert len(slow) > len(features)
    with pytest.raises(ValueError, match="non-empty"):
        speech.synthesize("  ")


def test_input_errors():
    with pytest.raises(ValueError, match="not in the recogniser's vocabulary"):
        speech.encode_transcripts(["three apples"])
    with pytest.raises(ValueError, match="1-D waveform"):
        speech.log_mel(np.zeros((2, 100)))
    with pytest.raises(FileNotFoundError, match="No such audio file"):
        speech.read_wav("/nonexistent.wav")
    np.testing.assert_array_equal(speech.encode_transcripts(["zero go", "one"]), [[1, 20], [2, 0]])


def test_dtw_prefers_the_same_sequence_and_tolerates_stretching():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(9, 4)).astype("float32")
    stretched = np.repeat(a, 2, axis=0)
    d = speech.dtw_distances([a, stretched], [a, b])
    assert d[0, 0] < 1e-3 and d[1, 0] < 1e-3 and d[0, 1] > 0.5 and d[1, 1] > 0.5  # float32 rounding only


@pytest.mark.slow
@needs_espeak
def test_ctc_recogniser_learns_words_of_unheard_voices(tmp_path):
    voices = speech.TRAIN_VOICES[::2]
    words = speech.WORDS[:10]
    train = speech.spoken_words(900, voices=voices, words=words, seed=0, max_words=2)
    validation = speech.spoken_words(100, voices=voices, words=words, seed=1, max_words=2)
    test = speech.spoken_words(120, voices=speech.TEST_VOICES, words=words, seed=2, max_words=2)
    result = rnnzoo.train("bigru_ctc", train, validation_data=validation, epochs=25, units=64, num_layers=1,
                                   learning_rate=3e-3, patience=4, out=str(tmp_path))
    greedy = speech.word_error_rate(speech.recognize(result.model, test.features), test.transcripts)
    assert greedy < 0.5, greedy  # chance is far above 90%
    beam = speech.recognize(str(tmp_path), test.features[:20], beam_width=4)  # the saved model, beam search
    assert speech.word_error_rate(beam, test.transcripts[:20]) <= 0.6
    _wav_round_trip_from_the_shell(str(tmp_path), words, tmp_path)


def _wav_round_trip_from_the_shell(model_dir, words, tmp_path):
    """espeak-ng writes WAV files (its own rate; one is also resampled to 16 kHz and made stereo here), and
    `rnnzoo recognize` reads them back: the words a held-out voice said."""
    import json
    import subprocess
    import wave

    from rnnzoo.cli import main as cli

    said = [words[1], f"{words[2]} {words[3]}"]
    files = []
    for i, text in enumerate(said):
        native = str(tmp_path / f"said{i}.wav")
        subprocess.run(["espeak-ng", "-v", speech.TEST_VOICES[0], "-w", native, text], check=True)
        files.append(native)
    samples, rate = speech.read_wav(files[0])  # the same words at 16 kHz in stereo: resampled and mixed down
    resampled = speech.read_audio(files[0], 16000)
    stereo = str(tmp_path / "stereo16k.wav")
    with wave.open(stereo, "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(16000)
        pcm = (np.clip(resampled, -1, 1) * 32767).astype("<i2")
        w.writeframes(np.stack([pcm, pcm], 1).tobytes())
    files.append(stereo)
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli(["recognize", model_dir, *files, "--json"]) == 0
    heard = [json.loads(line)["transcript"] for line in buffer.getvalue().splitlines()]
    assert rate == speech.SAMPLE_RATE and len(heard) == 3
    assert sum(h == s for h, s in zip(heard, said + said[:1])) >= 2, (heard, said)  # a held-out voice
    (tmp_path / "notes.txt").write_text("not audio")
    assert cli(["recognize", model_dir, str(tmp_path / "notes.txt")]) == 1
    assert cli(["recognize", model_dir, str(tmp_path / "missing.wav")]) == 1


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "PCM_U8"])
def test_wav_in_any_sample_format_reads_the_same_samples(tmp_path, subtype):
    import soundfile

    t = np.arange(1600) / 16000.0
    wave = (0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32")
    path = tmp_path / f"{subtype}.wav"
    soundfile.write(path, np.stack([wave, wave], 1), 16000, subtype=subtype)  # stereo: mixed down
    samples, rate = speech.read_wav(path)
    assert rate == 16000 and samples.dtype == np.float32 and samples.shape == wave.shape
    np.testing.assert_allclose(samples, wave, atol=1e-2 if subtype == "PCM_U8" else 1e-4)


def test_unreadable_audio_says_what_is_read(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(ValueError, match="WAV \\(any sample format\\), FLAC and OGG"):
        speech.read_wav(bad)
