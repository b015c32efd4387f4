"""Presets: small trained models committed in `saved_models/`, one per task family, loaded by name.

`presets()` lists them (`rnnzoo presets` on the command line) and `rnnzoo.load("pos_bilstm")` loads one. Each is a
`.keras` file with its model card (data and its licence, split, held-out metrics, the command that trained it).
The G2P and language-model presets come from their benchmarks (benchmarks/g2p.py, char_lm.py, word_lm.py); the
others from `python saved_models/train_presets.py NAME`.

Example:
>>> [p.name for p in presets()][:2]
['sentiment_bilstm', 'pos_bilstm']
>>> model = rnnzoo.load("pos_bilstm")  # doctest: +SKIP
"""

import dataclasses
import json
import os

from rnnzoo.names import METRICS_FILE, MODEL_FILE

#: Where the presets live: `saved_models/` beside the package (a checkout), or $RNNZOO_PRESETS_DIR.
PRESET_DIR = os.environ.get("RNNZOO_PRESETS_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models")


@dataclasses.dataclass(frozen=True)
class Preset:
    """One committed model.

    Attributes:
        name: str. What `rnnzoo.load(name)` takes (the folder name in `saved_models/`).
        family: str. The task family.
        verb: str. The command-line verb that uses it (`rnnzoo VERB NAME ...`).
        example: str. An argument for that verb (a text, or the kind of file it reads).
        metric: tuple. Path of the headline held-out figure in its metrics.json, e.g. ("beam", "wer").
        label: str. What that figure is, for the one-line listing.
    """

    name: str
    family: str
    verb: str
    example: str
    metric: tuple
    label: str

    @property
    def path(self):
        return os.path.join(PRESET_DIR, self.name)

    @property
    def available(self):
        return os.path.isfile(os.path.join(self.path, MODEL_FILE))

    def size_bytes(self):
        return os.path.getsize(os.path.join(self.path, MODEL_FILE))

    def headline(self):
        """The headline held-out figure from the preset's metrics.json (None when the file lacks it)."""
        try:
            with open(os.path.join(self.path, METRICS_FILE)) as f:
                value = json.load(f)
        except (OSError, ValueError):
            return None
        for key in self.metric:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    def record(self):
        """What `rnnzoo presets --json` and benchmarks/presets.py report of the preset."""
        return {"name": self.name, "family": self.family, "verb": self.verb, "path": self.path,
                "available": self.available, "size_bytes": self.size_bytes() if self.available else None,
                "metric": ".".join(self.metric), "label": self.label,
                "value": self.headline() if self.available else None}

    def line(self):
        """One line for `rnnzoo presets`: name, family, size, headline figure, verb."""
        if not self.available:
            return f"{self.name:28s} {self.family:26s} (missing: {self.path} is not in this checkout)"
        value = self.headline()
        figure = "?" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        return (f"{self.name:28s} {self.family:26s} {self.size_bytes() / 1e6:4.1f} MB  {self.label} {figure}; "
                f"rnnzoo {self.verb} {self.name} {self.example}")


PRESETS = (
    Preset("sentiment_bilstm", "text classification", "predict", '"a gripping, funny film"', ("accuracy",),
           "Pang & Lee sentences, test accuracy"),
    Preset("pos_bilstm", "sequence tagging", "predict", '"the cat sat on the mat"', ("accuracy",),
           "OANC POS tags, test token accuracy"),
    Preset("dates_bahdanau", "seq2seq with attention", "translate", '"the 3rd of March 2001"', ("exact_match",),
           "synthetic dates → ISO 8601, test exact match"),
    Preset("g2p_bahdanau_cmudict", "grapheme-to-phoneme", "translate", "keras", ("beam", "wer"),
           "CMUdict, test word error rate (beam 5)"),
    Preset("char_lstm_tiny_shakespeare", "character language model", "generate", '"ROMEO:"',
           ("validation_nats_per_char",), "tiny-shakespeare, held-out nats/char"),
    Preset("word_lstm_shakespeare", "word language model", "score", '"to be or not to be"', ("perplexity",),
           "Shakespeare lines, test perplexity"),
    Preset("sunspots_gru", "forecasting", "forecast", "series.csv", ("mase",),
           "yearly sunspots 1969-2008 walk-forward, MASE"),
    Preset("speech_bigru_ctc", "speech recognition (CTC)", "recognize", "audio.wav", ("wer",),
           "20 spoken words, unheard voices, WER"),
    Preset("scenes_lstm_captioner", "image captioning", "caption", "image.png", ("beam", "exact_match"),
           "synthetic scenes, test exact match (beam 3)"),
    Preset("listops_tree_lstm", "tree classification", "predict", '"( 3 max ( 4 min 2 ) )"',
           ("accuracy", "height 6"), "max/min trees, accuracy on unseen height 6"),
)


def presets():
    """The committed presets, one per task family (`Preset` objects; `.line()` describes one).

    Example:
    >>> len(presets()) >= 9
    True
    """
    return list(PRESETS)


def preset_path(name):
    """The directory of the preset `name` (or of another model in `saved_models/`, such as the G2P ensemble's
    members), or None when there is none of that name."""
    for preset in PRESETS:
        if preset.name == name:
            return preset.path
    if isinstance(name, str) and name and os.sep not in name and name not in (".", ".."):
        folder = os.path.join(PRESET_DIR, name)
        if os.path.isfile(os.path.join(folder, MODEL_FILE)):
            return folder
    return None
