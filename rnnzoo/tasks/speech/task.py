"""The CTC recognition task: frames of audio features → a word sequence (no alignment needed)."""

import keras

from rnnzoo.task import Task, Verb, register_task
from rnnzoo.tasks.speech.model import example_batch


class CTCTask(Task):
    """Connectionist temporal classification: per-frame logits over the labels plus the blank (id 0)."""

    name = "ctc"
    sequence_output = True
    train_defaults = {"epochs": 40, "patience": 5, "verbose": 0}

    def trainer(self):
        import rnnzoo.tasks.speech.recognize as trainer

        return trainer

    def example_data(self, seed=0):
        """Log-mel frames of short noise bursts (no espeak-ng needed), one or two words each."""
        import numpy as np

        from rnnzoo.tasks.speech import recognize as speech

        rng = np.random.default_rng(seed)
        features, transcripts = [], []
        for _ in range(48):
            words = [str(w) for w in rng.choice(["yes", "no", "up"], int(rng.integers(1, 3)))]
            samples = rng.normal(0, 0.1, int(speech.SAMPLE_RATE * 0.25 * len(words))).astype("float32")
            features.append(speech.log_mel(samples))
            transcripts.append(" ".join(words))
        return speech.SpeechData(features, transcripts, ["noise"] * len(features), name="example_noise")

    def example_requests(self, data, directory):
        import os
        import wave

        import numpy as np

        from rnnzoo.tasks.speech import recognize as speech

        files = []
        for i in range(2):
            files.append(os.path.join(directory, f"utterance{i}.wav"))
            samples = np.random.default_rng(i).normal(0, 3000, speech.SAMPLE_RATE // 2).astype("int16")
            with wave.open(files[-1], "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(speech.SAMPLE_RATE)
                w.writeframes(samples.tobytes())
        listing = os.path.join(directory, "transcripts.tsv")
        with open(listing, "w") as f:
            f.write("".join(f"{os.path.basename(p)}\tyes\n" for p in files))
        return files, listing

    def loss(self):
        return keras.losses.CTC()

    example_batch = staticmethod(example_batch)

    def evaluate_saved(self, trained, data, beam_width=1, **options):
        """Word error rate on a TSV of `audio.wav<TAB>transcript` lines (WAV at any rate, mono or stereo)."""
        from rnnzoo.datasets.files import load_labelled_files
        from rnnzoo.tasks.speech import recognize as speech

        files, transcripts = load_labelled_files(data, "WAV file")
        rate = int(trained.card.get("sample_rate") or speech.SAMPLE_RATE)
        heard = speech.recognize(trained, [speech.log_mel(speech.read_audio(f, rate), rate) for f in files],
                                 beam_width=beam_width)
        return {"evaluated_on": f"all of {data} ({len(files)} recordings)", "examples": len(files),
                "wer": speech.word_error_rate(heard, transcripts),
                "exact_match": sum(h == t for h, t in zip(heard, transcripts)) / len(files), "beam_width": beam_width}

    def verbs(self):
        def recognize(trained, files, options):
            from rnnzoo.tasks.speech import recognize as speech

            rate = int(trained.card.get("sample_rate") or speech.SAMPLE_RATE)
            features = [speech.log_mel(speech.read_audio(f, rate), rate) for f in files]
            heard = speech.recognize(trained, features, beam_width=options.beam)
            return [{"file": f, "transcript": t} for f, t in zip(files, heard)]

        return [Verb("recognize", "transcribe audio files (WAV in any sample format and rate, FLAC, OGG; mono or stereo)", recognize,
                     options=((("--beam",), dict(type=int, default=1, help="CTC beam width (1: greedy)")),),
                     render=lambda r: f"{r['file']}: {r['transcript']}")]


TASK = register_task(CTCTask())
