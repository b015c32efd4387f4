"""Dataset containers: one small class per data shape, each with a deterministic train/validation/test split."""

import dataclasses

import numpy as np

from rnnzoo.card import fingerprint


def split_indices(n, fractions=(0.8, 0.1, 0.1), seed=0, shuffle=True, groups=None):
    """Splits range(n) into index arrays with the given fractions (which must sum to 1).

    With `groups`, items sharing a group key land in the same part (e.g. all pronunciations of a word).
    """
    if n == 0:
        raise ValueError("The dataset is empty: there is nothing to split.")
    if abs(sum(fractions) - 1.0) > 1e-6 or any(f < 0 for f in fractions):
        raise ValueError(f"Split fractions must be non-negative and sum to 1; got {fractions}.")
    if groups is not None:
        keys = list(dict.fromkeys(groups))
        part_of_key = dict(zip(keys, _assign(len(keys), fractions, seed, shuffle)))
        part = np.array([part_of_key[g] for g in groups])
    else:
        part = _assign(n, fractions, seed, shuffle)
    return [np.flatnonzero(part == i) for i in range(len(fractions))]


def _assign(n, fractions, seed, shuffle):
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    bounds = np.round(np.cumsum(fractions) * n).astype(int)
    part = np.empty(n, dtype=int)
    start = 0
    for i, end in enumerate(bounds):
        part[order[start:end]] = i
        start = end
    return part


class Dataset:
    """The dataset protocol every task's data follows: `name`, `task` (the task it trains), `len()`,
    `subset(indices)`, `split(fractions, seed)` into (train, validation, test) and `fingerprint()` (a hash of every
    example, recorded in the model card). A dataclass subclass names its per-example fields in `_fields`."""

    task = None
    _fields = ()
    _split_shuffle = True
    split_grouping = None  # what the split keeps on one side (recorded in the model card)

    def __len__(self):
        return len(getattr(self, self._fields[0]))

    def subset(self, indices, name=None):
        values = {f: [getattr(self, f)[i] for i in indices] for f in self._fields}
        return dataclasses.replace(self, name=name or self.name, **values)

    def split(self, fractions=(0.8, 0.1, 0.1), seed=0):
        """Returns (train, validation, test) parts; deterministic for a given seed."""
        parts = split_indices(len(self), fractions, seed, shuffle=self._split_shuffle, groups=self._groups())
        return tuple(self.subset(p, f"{self.name}[{n}]") for p, n in zip(parts, ("train", "validation", "test")))

    def _groups(self):
        return None

    def fingerprint(self):
        """A hash of every example (not of the name): equal data, equal fingerprint."""
        return fingerprint([getattr(self, f) for f in self._fields])

    def check_not_empty(self):
        if len(self) == 0:
            raise ValueError(f"Dataset {self.name!r} is empty: no examples were found.")
        return self


@dataclasses.dataclass
class TextClassificationData(Dataset):
    """Texts with one label each (e.g. sentiment)."""

    texts: list
    labels: list
    name: str = "texts"
    task = "classifier"
    _fields = ("texts", "labels")

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels; they must match.")

    @property
    def label_names(self):
        return sorted(set(map(str, self.labels)))


@dataclasses.dataclass
class TaggedData(Dataset):
    """Token sequences with one tag per token (e.g. part-of-speech, named entities)."""

    tokens: list
    tags: list
    name: str = "tagged"
    task = "tagger"
    _fields = ("tokens", "tags")

    def __post_init__(self):
        for i, (a, b) in enumerate(zip(self.tokens, self.tags)):
            if len(a) != len(b):
                raise ValueError(f"Sentence {i} has {len(a)} tokens but {len(b)} tags; they must align.")

    @property
    def label_names(self):
        return sorted({t for tags in self.tags for t in tags})


@dataclasses.dataclass
class TextCorpus(Dataset):
    """Running text for language models: a list of documents (or lines), kept in order."""

    texts: list
    name: str = "corpus"
    task = "language_model"
    _fields = ("texts",)
    split_grouping = "order"
    _split_shuffle = False  # held-out text is the end of the corpus, never interleaved with training text

    def split(self, fractions=(0.9, 0.05, 0.05), seed=0):
        if len(self.texts) >= 20:
            return super().split(fractions, seed)
        # Few long documents: split the characters of the joined text instead.
        text = "\n".join(self.texts)
        bounds = np.round(np.cumsum((0,) + tuple(fractions)) * len(text)).astype(int)
        return tuple(dataclasses.replace(self, texts=[text[a:b]], name=f"{self.name}[{n}]")
                     for a, b, n in zip(bounds[:-1], bounds[1:], ("train", "validation", "test")))


@dataclasses.dataclass
class PairData(Dataset):
    """Source/target string pairs for sequence-to-sequence tasks (translation, G2P, dates)."""

    sources: list
    targets: list
    name: str = "pairs"
    text_options: dict = dataclasses.field(default_factory=dict)  # how to tokenize: {"level", "target": {...}}
    task = "seq2seq"
    _fields = ("sources", "targets")
    split_grouping = "source"

    def __post_init__(self):
        if len(self.sources) != len(self.targets):
            raise ValueError(f"{len(self.sources)} sources but {len(self.targets)} targets; they must match.")

    def _groups(self):
        return self.sources  # every target of a source stays on one side of the split


@dataclasses.dataclass
class SequenceData(Dataset):
    """Real-valued sequences of one length and their targets, for sequence regressors: `inputs` (n, length,
    features) and `targets` (n, outputs), e.g. the adding problem."""

    inputs: np.ndarray
    targets: np.ndarray
    name: str = "sequences"
    task = "regressor"

    def __post_init__(self):
        self.inputs = np.asarray(self.inputs, "float32")
        self.targets = np.asarray(self.targets, "float32")
        if self.inputs.ndim == 2:
            self.inputs = self.inputs[..., None]
        if self.targets.ndim == 1:
            self.targets = self.targets[:, None]
        if self.inputs.ndim != 3 or len(self.inputs) != len(self.targets):
            raise ValueError(f"Sequence data takes inputs (n, length, features) and targets (n, outputs); got "
                             f"{self.inputs.shape} and {self.targets.shape}.")
        if not (np.isfinite(self.inputs).all() and np.isfinite(self.targets).all()):
            raise ValueError("Sequence data holds NaN or infinite values; fill or drop them first.")

    def __len__(self):
        return len(self.targets)

    def subset(self, indices, name=None):
        indices = np.asarray(list(indices), "int64")
        return SequenceData(self.inputs[indices], self.targets[indices], name or self.name)

    def fingerprint(self):
        return fingerprint([self.inputs, self.targets])


@dataclasses.dataclass
class SeriesData:
    """A (possibly multivariate) time series: `values` has shape (time, features); `times` labels the rows."""

    values: np.ndarray
    times: np.ndarray
    columns: list
    name: str = "series"
    task = "forecaster"

    def __len__(self):
        return len(self.values)

    def fingerprint(self):
        """A hash of the values (rows × columns)."""
        return fingerprint(np.ascontiguousarray(self.values, dtype="float64"))
