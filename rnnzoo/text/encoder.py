"""The text pipeline: text → tokens → ids (and back), plus padded, length-bucketed `tf.data` sets."""

import numpy as np
import tensorflow as tf

from rnnzoo.text.tokenizers import get_tokenizer
from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, Vocabulary


class TextEncoder:
    """Tokenizer plus vocabulary: turns strings into id sequences and ids back into strings.

    Its config (tokenizer settings and every vocabulary entry) is stored inside saved models, so a `.keras`
    file alone can encode new text.

    Args:
        vocabulary: `Vocabulary` or list of tokens.
        level: str. "word" or "char".
        lowercase: bool or None. Case-fold before tokenizing (default: True for words, False for chars).
        normalization: str or None. Unicode normalization form.
        max_length: int or None. Longest id sequence accepted (see `encode`).

    Examples:
    >>> enc = TextEncoder.fit(["The cat sat.", "the dog sat"], level="word")
    >>> enc.decode(enc.encode("the cat sat")[0])
    'the cat sat'
    """

    def __init__(self, vocabulary, level="word", lowercase=None, normalization="NFKC", max_length=None):
        if lowercase is None:
            lowercase = level == "word"
        self.tokenizer = get_tokenizer(level, lowercase=lowercase, normalization=normalization)
        self.vocabulary = vocabulary if isinstance(vocabulary, Vocabulary) else Vocabulary(vocabulary)
        if max_length is not None and int(max_length) < 1:
            raise ValueError(f"max_length must be a positive integer or None; got {max_length!r}.")
        self.max_length = None if max_length is None else int(max_length)

    @classmethod
    def fit(cls, texts, level="word", min_frequency=1, max_size=None, lowercase=None, normalization="NFKC",
            max_length=None, tokenized=False):
        """Builds the vocabulary from `texts` (strings, or token lists when `tokenized=True`)."""
        if lowercase is None:
            lowercase = level == "word"
        tokenizer = get_tokenizer(level, lowercase=lowercase, normalization=normalization)
        texts = list(texts)
        if not texts:
            raise ValueError("Cannot build a vocabulary from an empty dataset: no texts were given.")
        token_lists = [tokenizer.normalize(list(t)) for t in texts] if tokenized else tokenizer.tokenize(texts)
        vocabulary = Vocabulary.build(token_lists, min_frequency=min_frequency, max_size=max_size)
        return cls(vocabulary, level, lowercase, normalization, max_length)

    @property
    def level(self):
        return self.tokenizer.level

    def __len__(self):
        return len(self.vocabulary)

    def tokenize(self, texts):
        return self.tokenizer.tokenize(texts)

    def encode(self, texts, add_start=False, add_end=False, on_overflow="truncate", on_unknown="unk"):
        """Encodes a string or a list of strings into a list of int32 id arrays.

        Args:
            texts: str or list of str.
            add_start: bool. Prepend the `[START]` id.
            add_end: bool. Append the `[END]` id.
            on_overflow: str. When a sequence is longer than `max_length`: "truncate" or "error".
            on_unknown: str. "unk" maps unknown tokens to `[UNK]`; "error" raises.

        Returns:
            A list with one int32 array per text (a list of one for a single string).
        """
        texts = [texts] if isinstance(texts, str) else texts
        return self.encode_tokens(self.tokenize(texts), add_start, add_end, on_overflow, on_unknown,
                                  normalized=True)

    def encode_tokens(self, token_lists, add_start=False, add_end=False, on_overflow="truncate",
                      on_unknown="unk", normalized=False):
        """Encodes pre-tokenized texts (lists of tokens), normalizing each token like `tokenize` does."""
        if on_overflow not in ("truncate", "error"):
            raise ValueError(f"on_overflow must be 'truncate' or 'error'; got {on_overflow!r}.")
        out = []
        for tokens in token_lists:
            tokens = list(tokens) if normalized else self.tokenizer.normalize(list(tokens))
            ids = ([START_ID] if add_start else []) + self.vocabulary.encode(tokens, on_unknown) + (
                [END_ID] if add_end else [])
            if self.max_length is not None and len(ids) > self.max_length:
                if on_overflow == "error":
                    raise ValueError(
                        f"A text has {len(ids)} tokens but this model accepts at most {self.max_length}; "
                        "shorten it or pass on_overflow='truncate'."
                    )
                ids = ids[: self.max_length]
            out.append(np.asarray(ids, dtype="int32"))
        return out

    def decode(self, ids, skip_reserved=True):
        """Turns one id sequence back into a string (words joined by spaces, characters concatenated)."""
        return self.tokenizer.separator.join(self.vocabulary.decode(ids, skip_reserved))

    def get_config(self):
        return {**self.tokenizer.get_config(), "max_length": self.max_length,
                "vocabulary": self.vocabulary.get_config()["tokens"]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop("vocabulary"), **config)


def pad_sequences(sequences, length=None, value=PAD_ID, dtype="int32"):
    """Right-pads a list of 1-D (or 2-D, for features) arrays to a common length."""
    sequences = [np.asarray(s) for s in sequences]
    if not sequences:
        raise ValueError("No sequences to pad: the dataset is empty.")
    length = length or max(len(s) for s in sequences)
    out = np.full((len(sequences), length) + sequences[0].shape[1:], value, dtype=dtype)
    for i, s in enumerate(sequences):
        out[i, : min(len(s), length)] = s[:length]
    return out


class EpochOrder:
    """The order of the items of a data pipeline in each pass: `permutation(seed + k)` in pass k (or `range(n)`
    without shuffling). By default each pass moves k on; `set_epoch(k)`, which rnnzoo's fitting loop calls at the
    start of every epoch, pins it instead, so extra iterators that tf.distribute opens to inspect a dataset, or a
    run resumed at epoch k, see the order of epoch k, as one device would. A pipeline built on it carries
    `dataset.set_epoch = order.set_epoch`.

    Examples:
    >>> order = EpochOrder(4, shuffle=True, seed=0)
    >>> first = list(order()); order.set_epoch(0); list(order()) == list(order()) == first
    True
    """

    def __init__(self, n, shuffle=False, seed=0):
        self.n, self.shuffle, self.seed = int(n), bool(shuffle), int(seed)
        self.epoch, self.pinned = 0, False

    def __call__(self):
        order = np.random.default_rng(self.seed + self.epoch).permutation(self.n) if self.shuffle else \
            np.arange(self.n)
        if not self.pinned:
            self.epoch += 1
        return order

    def set_epoch(self, epoch):
        self.epoch, self.pinned = int(epoch), True

    def finish(self, dataset, num_batches):
        """The last steps of every rnnzoo pipeline: its length (a progress bar with an ETA from the first epoch),
        two batches prefetched, and `set_epoch`. tf.data's autotuning is off: the batches come from memory, so
        there is nothing to tune, and its background work held up the end of some epochs by up to 10 s on a
        2-core CPU (Keras' own pipeline for NumPy arrays has it on; `benchmarks/epoch_overhead.py` measures both)."""
        options = tf.data.Options()
        options.autotune.enabled = False
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(int(num_batches))).prefetch(2)
        dataset = dataset.with_options(options)
        dataset.set_epoch = self.set_epoch
        return dataset


def make_dataset(inputs, targets=None, batch_size=32, shuffle=False, seed=0, bucket_boundaries=None):
    """A `tf.data.Dataset` of right-padded batches, grouped by length so little compute goes to padding.

    Args:
        inputs: list of 1-D int arrays (variable length), or a tuple of such lists for a model with several
            sequence inputs (e.g. a seq2seq model's source and target ids); batches are bucketed by the first.
        targets: None, an array of per-sequence labels, or a list of per-step label arrays (same lengths as
            `inputs`).
        batch_size: int. Batch size.
        shuffle: bool. Reshuffle the examples every epoch.
        seed: int. Shuffle seed.
        bucket_boundaries: list of int or None. Length boundaries of the buckets; None picks quantiles of the
            observed lengths; [] disables bucketing (plain padded batches).

    Examples:
    >>> ds = make_dataset([np.array([5, 6]), np.array([7])], np.array([1, 0]), batch_size=2)
    >>> [tuple(x.shape) for x, y in ds]
    [(2, 2)]
    """
    several = isinstance(inputs, tuple)
    columns = inputs if several else (inputs,)
    if len(columns[0]) == 0:
        raise ValueError("The dataset is empty: there are no sequences to batch.")
    if len({len(c) for c in columns}) > 1:
        raise ValueError(f"The input columns have different lengths {[len(c) for c in columns]}; they must match.")
    n = len(columns[0])
    lengths = np.array([len(s) for s in columns[0]])
    for column in columns:
        empty = sum(len(s) == 0 for s in column)
        if empty:
            raise ValueError(f"{empty} sequences are empty; drop empty texts before batching.")
    per_step = targets is not None and not np.isscalar(targets[0]) and np.ndim(targets[0]) == 1
    if targets is not None and len(targets) != n:
        raise ValueError(f"{n} inputs but {len(targets)} targets; they must match one to one.")

    order = EpochOrder(n, shuffle, seed)

    def generate():
        for i in order():
            x = tuple(np.asarray(c[i], dtype="int32") for c in columns)
            x = x if several else x[0]
            if targets is None:
                yield (x,) if several else x  # a bare pair would be read by Keras as (inputs, targets)
            else:
                yield x, np.asarray(targets[i], dtype="int32")

    x_spec = tf.TensorSpec([None], tf.int32)
    x_spec = tuple(x_spec for _ in columns) if several else x_spec
    if targets is None:
        spec = (x_spec,) if several else x_spec
    else:
        spec = (x_spec, tf.TensorSpec([None] if per_step else [], tf.int32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    if bucket_boundaries is None:
        qs = np.unique(np.quantile(lengths, [0.25, 0.5, 0.75, 0.9]).astype(int) + 1)
        bucket_boundaries = [int(q) for q in qs if q > 1]
    if bucket_boundaries:
        ds = ds.bucket_by_sequence_length(
            element_length_func=(lambda x, *y: tf.shape(x[0] if several else x)[0]),
            bucket_boundaries=list(bucket_boundaries),
            bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
        )
        # Each bucket emits full batches and then its remainder, whatever the order of the examples.
        bucket_sizes = np.bincount(np.searchsorted(bucket_boundaries, lengths, side="right"))
        num_batches = int(sum(-(-n // batch_size) for n in bucket_sizes))
    else:
        ds = ds.padded_batch(batch_size)
        num_batches = -(-n // batch_size)
    return order.finish(ds, num_batches)
