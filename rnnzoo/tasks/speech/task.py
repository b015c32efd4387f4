"""The CTC recognition task: frames of audio features → a word sequence (no alignment needed)."""

import keras

from rnnzoo.task import Task, Verb, register_task
from rnnzoo.tasks.speech.model import example_batch


class CTCTask(Task):
    """Connectionist temporal classification: per-frame logits over the labels plus the blank (id 0)."""

    name = "ctc"
    sequence_output = True
    train_defaults = {"epochs": 40, "patience": 5, "verbose": 0}

    @property
    def train_options(self):
        from rnnzoo.tasks.speech.recognize import OPTIONS

        return dict(OPTIONS)

    def prepare_training(self, spec, data, config, validation_data=None, test_data=None):
        from rnnzoo.tasks.speech.recognize import prepare

        return prepare(spec, data, config, validation_data, test_data)

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

        return [Verb("recognize", "transcribe WAV files (any sample rate, mono or stereo, 16-bit PCM)", recognize,
                     options=((("--beam",), dict(type=int, default=1, help="CTC beam width (1: greedy)")),),
                     render=lambda r: f"{r['file']}: {r['transcript']}")]


TASK = register_task(CTCTask())
