"""The model card: a typed, versioned record of what a model is, what it was trained on and how it scored.

A card travels inside the `.keras` file (in the `metadata` layer's config, as a JSON dict), so a saved model alone
says which task it solves, how raw text becomes its inputs, which examples it was trained on, which examples
were held out (fingerprinted, so `rnnzoo.evaluate` can rebuild exactly that split), and how to reproduce it.

Version history:
    1: the untyped metadata dict of rnnzoo 0.1; no committed model has one, and it is no longer read.
    2: this dataclass.
    3: `training["config"]` records the `TrainConfig` of `rnnzoo.train` (every task). Version 2 cards read as
       they are (their training dict has no config).

A card dict without "card_version" (e.g. `metadata={"task": ..., "text": ...}` given to a builder) is read as the
current version.

Examples:
>>> card = ModelCard(model="bilstm_classifier", task="classifier", labels=["negative", "positive"])
>>> ModelCard.from_dict(card.to_dict()) == card
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from rnnzoo.names import METADATA as METADATA_LAYER
from rnnzoo.version import __version__

CARD_VERSION = 3
READABLE_VERSIONS = (2, 3)


def fingerprint(obj: Any) -> str:
    """A short content hash of JSON-able data (lists of strings, numbers, nested lists; NumPy arrays allowed).

    Examples:
    >>> fingerprint(["a", "b"]) == fingerprint(["a", "b"]) != fingerprint(["b", "a"])
    True
    """
    digest = hashlib.sha256()

    def feed(value):
        if hasattr(value, "tobytes") and hasattr(value, "dtype"):  # NumPy arrays: exact bytes, with their shape
            digest.update(f"<{value.dtype.str}{value.shape}>".encode())
            digest.update(value.tobytes())
        elif isinstance(value, (list, tuple)):
            digest.update(b"[")
            for item in value:
                feed(item)
                digest.update(b",")
            digest.update(b"]")
        else:
            digest.update(json.dumps(value, sort_keys=True, default=str).encode())

    feed(obj)
    return digest.hexdigest()[:16]


@dataclasses.dataclass
class DataRecord:
    """Where the training examples came from.

    Attributes:
        source: str. An embedded dataset name, a file path, or a description ("scenes", "series").
        fingerprint: str or None. Hash of every example of the source (see `fingerprint`); None when unknown
            (a hand-made card).
        examples: int or None. Number of examples in the source.
        licence: str or None. The data's licence and provenance, where recorded (the committed presets have one).
    """

    source: str | None = None
    fingerprint: str | None = None
    examples: int | None = None
    licence: str | None = None


@dataclasses.dataclass
class SplitRecord:
    """Exactly how the source was split into train / validation / test.

    Attributes:
        method: str. "fractions" (a seeded split of the source, rebuilt by `Dataset.split(fractions, seed)`),
            "explicit" (the caller passed the validation and test data), "time" (the end of a series), or
            "generated" (fresh synthetic examples were drawn for validation and test).
        fractions: list of 3 floats or None.
        seed: int or None. The seed of the split (which may differ from the weights' seed).
        grouping: str or None. What is kept on one side of the split, e.g. "source" (every pronunciation of a
            word) or "order" (running text: the held-out part is the end of the corpus).
        counts: dict. Examples per part.
        held_out: str or None. "test", or "validation" when no test part was kept.
        held_out_fingerprint: str or None. Hash of the held-out examples, checked when the split is rebuilt.
    """

    method: str = "fractions"
    fractions: list | None = None
    seed: int | None = None
    grouping: str | None = None
    counts: dict = dataclasses.field(default_factory=dict)
    held_out: str = "test"
    held_out_fingerprint: str | None = None


@dataclasses.dataclass
class ModelCard:
    """What a trained rnnzoo model is and how it came to be.

    Attributes:
        model: str. Registry name.
        task: str. Task name (`rnnzoo.tasks.get_task`).
        text, target_text: dict or None. `TextEncoder` configs of the input and (seq2seq, captioning) output.
        labels: list or None. Class or tag names, in output order.
        data: `DataRecord` or None.
        split: `SplitRecord` or None.
        settings: dict. Task settings the model needs at inference (window, max_target_length, scaling, ...).
        training: dict. The call that trained it (options, seeds, epochs, command).
        metrics: dict. Held-out metrics measured at the end of training.
        versions: dict. rnnzoo, keras, tensorflow and backend versions.
    """

    model: str | None = None
    task: str | None = None
    text: dict | None = None
    target_text: dict | None = None
    labels: list | None = None
    data: DataRecord | None = None
    split: SplitRecord | None = None
    settings: dict = dataclasses.field(default_factory=dict)
    training: dict = dataclasses.field(default_factory=dict)
    metrics: dict = dataclasses.field(default_factory=dict)
    versions: dict = dataclasses.field(default_factory=dict)
    card_version: int = CARD_VERSION

    def to_dict(self) -> dict:
        """The card as a JSON-able dict (what the `.keras` file stores)."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=_json_default))

    @classmethod
    def from_dict(cls, content: dict) -> ModelCard:
        """Reads a card dict of a version this rnnzoo knows (`READABLE_VERSIONS`)."""
        if isinstance(content, ModelCard):
            return content
        content = dict(content or {})
        version = content.setdefault("card_version", CARD_VERSION)
        if not isinstance(version, int) or version > CARD_VERSION:
            raise ValueError(
                f"This model card has version {version!r}, newer than this rnnzoo understands ({CARD_VERSION}). "
                "Upgrade rnnzoo (pip install -U rnnzoo) to load the model."
            )
        if version not in READABLE_VERSIONS:
            raise ValueError(f"Model card version {version!r} is not one this rnnzoo reads {READABLE_VERSIONS}; "
                             "retrain the model with rnnzoo.train.")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(content) - fields
        if unknown:
            raise ValueError(f"Model card has unknown fields {sorted(unknown)}; it was not written by rnnzoo.")
        if content.get("data") is not None:
            content["data"] = DataRecord(**content["data"])
        if content.get("split") is not None:
            content["split"] = SplitRecord(**content["split"])
        return cls(**content)

    def get(self, key: str, default: Any = None) -> Any:
        """A task setting (`settings[key]`), for code that reads one setting."""
        return self.settings.get(key, default)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return float(value)


def versions() -> dict:
    """The versions a card records: rnnzoo, keras, the backend and (when imported) tensorflow."""
    import sys

    import keras

    out = {"rnnzoo": __version__, "keras": keras.__version__, "backend": keras.backend.backend(),
           "python": sys.version.split()[0]}
    for module in ("tensorflow", "jax", "torch"):
        if module in sys.modules:
            out[module] = getattr(sys.modules[module], "__version__", "?")
    return out




def stored_card(model: Any) -> dict | None:
    """The card dict stored in `model` (its `metadata` layer), undecoded; None when it has none."""
    try:
        layer = model.get_layer(METADATA_LAYER)
    except ValueError:
        return None
    return layer.metadata


def read_card(model: Any) -> ModelCard:
    """Decodes the `ModelCard` a keras.Model carries (an empty card when it carries none).

    `rnnzoo.TrainedModel.of` is the one caller: everything else asks the trained-model object for its card, so
    a model's card is decoded once.
    """
    content = stored_card(model)
    return ModelCard() if content is None else ModelCard.from_dict(content)


def set_card(model: Any, card: ModelCard) -> Any:
    """Stores `card` in the model (saved with it by `model.save`)."""
    try:
        layer = model.get_layer(METADATA_LAYER)
    except ValueError:
        raise ValueError(f"Model {model.name!r} has no '{METADATA_LAYER}' layer to carry its card; build it with an "
                         "rnnzoo builder (they all add one).") from None
    layer.metadata = card.to_dict()
    return model
