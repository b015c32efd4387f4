"""Unicode-aware word and character tokenizers built on tensorflow-text ops."""

import tensorflow as tf
import tensorflow_text as tf_text

NORMALIZATIONS = ("NFC", "NFKC", "NFD", "NFKD", None)
# Whitespace, separators and control characters split words and are dropped; punctuation and symbols split
# words and are kept as tokens of their own.
_DELIMITERS = r"[\s\p{Z}\p{Cc}]+|[\p{P}\p{S}]"
_KEEP = r"[\p{P}\p{S}]"


def as_texts(texts):
    """Checks that `texts` is a string or a sequence of strings; returns (list_of_str, was_single)."""
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, bytes):
        raise ValueError("Texts must be `str`, not bytes: decode them first, e.g. data.decode('utf-8').")
    try:
        texts = list(texts)
    except TypeError:
        raise ValueError(f"Expected a string or a list of strings; got {type(texts).__name__}.") from None
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"Texts must be strings; item {i} is {type(t).__name__} ({t!r:.40}).")
    return texts, False


def _to_bytes(texts):
    out = []
    for i, t in enumerate(texts):
        try:
            out.append(t.encode("utf-8"))
        except UnicodeEncodeError as e:
            raise ValueError(f"Text {i} is not valid Unicode ({e.reason} at {e.start}); clean it first.") from None
    return out


class _Tokenizer:
    level = None

    def __init__(self, lowercase=False, normalization="NFKC"):
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"Unknown normalization {normalization!r}; use one of {NORMALIZATIONS}.")
        self.lowercase = bool(lowercase)
        self.normalization = normalization

    def normalize_tensor(self, texts):
        """Normalizes a tf.string tensor: Unicode normalization, then case folding if `lowercase`."""
        if self.lowercase:
            texts = tf_text.case_fold_utf8(texts)  # NFKC_Casefold: lower-cases and compatibility-normalizes
        if self.normalization:
            texts = tf_text.normalize_utf8(texts, self.normalization)
        return texts

    def normalize(self, texts):
        """Normalizes a string or a list of strings and returns the same structure."""
        texts, single = as_texts(texts)
        if not texts:
            return []
        out = [b.decode("utf-8") for b in self.normalize_tensor(tf.constant(_to_bytes(texts))).numpy()]
        return out[0] if single else out

    def split_tensor(self, texts):
        raise NotImplementedError

    def tokenize(self, texts):
        """Tokenizes a string (returns a list of tokens) or a list of strings (returns a list of lists)."""
        texts, single = as_texts(texts)
        if not texts:
            return []
        tokens = self.split_tensor(self.normalize_tensor(tf.constant(_to_bytes(texts)))).to_list()
        tokens = [[t.decode("utf-8") for t in row] for row in tokens]
        return tokens[0] if single else tokens

    def get_config(self):
        return {"level": self.level, "lowercase": self.lowercase, "normalization": self.normalization}


class WordTokenizer(_Tokenizer):
    """Splits text into words; punctuation and symbols become tokens of their own.

    Args:
        lowercase: bool. Case-fold (Unicode-aware lower-casing) before splitting.
        normalization: str or None. Unicode normalization form ("NFKC" by default).

    Examples:
    >>> WordTokenizer(lowercase=True).tokenize("Hello, WORLD!")
    ['hello', ',', 'world', '!']
    """

    level = "word"
    separator = " "

    def __init__(self, lowercase=True, normalization="NFKC"):
        super().__init__(lowercase, normalization)

    def split_tensor(self, texts):
        return tf_text.regex_split(texts, _DELIMITERS, _KEEP)


class CharTokenizer(_Tokenizer):
    """Splits text into Unicode characters (code points); whitespace is kept.

    Args:
        lowercase: bool. Case-fold before splitting.
        normalization: str or None. Unicode normalization form ("NFKC" by default).

    Examples:
    >>> CharTokenizer().tokenize("Añ b")
    ['A', 'ñ', ' ', 'b']
    """

    level = "char"
    separator = ""

    def __init__(self, lowercase=False, normalization="NFKC"):
        super().__init__(lowercase, normalization)

    def split_tensor(self, texts):
        return tf.strings.unicode_split(texts, "UTF-8")


TOKENIZERS = {"word": WordTokenizer, "char": CharTokenizer}


def get_tokenizer(level="word", **options):
    """Returns a tokenizer for `level` ("word" or "char")."""
    if level not in TOKENIZERS:
        raise ValueError(f"Unknown tokenizer level {level!r}; use 'word' or 'char'.")
    return TOKENIZERS[level](**options)
