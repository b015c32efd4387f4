"""A token vocabulary with reserved ids for padding, unknown tokens and sequence boundaries."""

import collections

PAD, UNK, START, END = "[PAD]", "[UNK]", "[START]", "[END]"
RESERVED = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = range(4)


class Vocabulary:
    """Maps tokens to ids and back. Ids 0–3 are `[PAD]`, `[UNK]`, `[START]`, `[END]`.

    Args:
        tokens: list of str. Every token in id order, starting with the four reserved tokens.

    Examples:
    >>> vocab = Vocabulary.build([["the", "cat"], ["the", "dog"]], min_frequency=2)
    >>> vocab.word_to_index("the"), vocab.word_to_index("cat"), vocab.index_to_word(4)
    (4, 1, 'the')
    """

    def __init__(self, tokens):
        tokens = list(tokens)
        if tuple(tokens[:4]) != RESERVED:
            raise ValueError(f"A vocabulary must start with the reserved tokens {RESERVED}; got {tokens[:4]}.")
        index = {}
        for i, t in enumerate(tokens):
            if not isinstance(t, str) or not t:
                raise ValueError(f"Vocabulary entries must be non-empty strings; entry {i} is {t!r}.")
            if t in index:
                raise ValueError(f"Token {t!r} appears twice in the vocabulary (ids {index[t]} and {i}).")
            index[t] = i
        self.tokens = tokens
        self._index = index

    @classmethod
    def build(cls, token_lists, min_frequency=1, max_size=None):
        """Builds a vocabulary from tokenized texts.

        Args:
            token_lists: iterable of lists of tokens.
            min_frequency: int. Tokens seen fewer times become `[UNK]`.
            max_size: int or None. Largest vocabulary, reserved tokens included; the most frequent tokens are
                kept (ties broken alphabetically, so the result is deterministic).
        """
        if int(min_frequency) < 1:
            raise ValueError(f"min_frequency must be at least 1; got {min_frequency!r}.")
        if max_size is not None and int(max_size) <= len(RESERVED):
            raise ValueError(f"max_size must exceed the {len(RESERVED)} reserved tokens; got {max_size!r}.")
        counts = collections.Counter()
        for tokens in token_lists:
            counts.update(tokens)
        for t in RESERVED:
            counts.pop(t, None)
        kept = sorted((t for t, c in counts.items() if c >= min_frequency and t), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: int(max_size) - len(RESERVED)]
        if not kept:
            raise ValueError(
                "The vocabulary is empty: the corpus has no token seen at least min_frequency "
                f"({min_frequency}) times. Check that the data is not empty, or lower min_frequency."
            )
        return cls(list(RESERVED) + kept)

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self._index

    def word_to_index(self, token):
        """Returns the id of `token`, or the `[UNK]` id for a token not in the vocabulary."""
        return self._index.get(token, UNK_ID)

    def index_to_word(self, index):
        """Returns the token with id `index`."""
        if not 0 <= int(index) < len(self.tokens):
            raise ValueError(f"Id {index} is outside the vocabulary (0 to {len(self.tokens) - 1}).")
        return self.tokens[int(index)]

    def encode(self, tokens, on_unknown="unk"):
        """Maps tokens to ids. `on_unknown="error"` raises on an out-of-vocabulary token instead of `[UNK]`."""
        if on_unknown not in ("unk", "error"):
            raise ValueError(f"on_unknown must be 'unk' or 'error'; got {on_unknown!r}.")
        if on_unknown == "error":
            missing = [t for t in tokens if t not in self._index]
            if missing:
                raise ValueError(
                    f"Out-of-vocabulary tokens: {missing[:10]}. Use on_unknown='unk' to map them to {UNK}."
                )
        return [self._index.get(t, UNK_ID) for t in tokens]

    def decode(self, ids, skip_reserved=True):
        """Maps ids to tokens, dropping padding and boundary tokens when `skip_reserved`."""
        skip = {PAD_ID, START_ID, END_ID} if skip_reserved else set()
        return [self.index_to_word(i) for i in ids if int(i) not in skip]

    def get_config(self):
        return {"tokens": list(self.tokens)}
