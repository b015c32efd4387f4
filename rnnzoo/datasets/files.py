"""Loaders for users' own files: plain text, CSV/TSV text+label, CoNLL token/tag columns, TSV pairs."""

import csv
import io
import os

from rnnzoo.datasets.base import PairData, TaggedData, TextClassificationData, TextCorpus


def _check_file(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}. Check the path (relative to {os.getcwd()!r}).")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory; pass a file.")
    return path


def _read(path, newline=None):
    """The whole UTF-8 file (`newline=""` keeps line endings as they are, for the csv module)."""
    try:
        with open(_check_file(path), encoding="utf-8-sig", newline=newline) as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path!r} is not UTF-8 text ({e.reason} at byte {e.start}); convert it to UTF-8.") from None


def load_text_file(path, unit="line"):
    """Loads a plain-text file for a language model.

    Args:
        path: str. A UTF-8 text file.
        unit: str. "line" (one example per non-empty line) or "document" (the whole file as one text, for
            character models trained on windows of running text).

    Examples:
    >>> corpus = load_text_file("my_corpus.txt")  # doctest: +SKIP
    """
    if unit not in ("line", "document"):
        raise ValueError(f"unit must be 'line' or 'document'; got {unit!r}.")
    text = _read(path)
    texts = [line for line in text.splitlines() if line.strip()] if unit == "line" else [text] if text.strip() else []
    if not texts:
        raise ValueError(f"{path!r} holds no text (it is empty or only whitespace).")
    return TextCorpus(texts, name=os.path.basename(path))


def _delimiter(path, delimiter):
    if delimiter is not None:
        return delimiter
    return "\t" if path.lower().endswith((".tsv", ".tab")) else ","


def load_classification_file(path, text_column="text", label_column="label", delimiter=None):
    """Loads a CSV or TSV file with a header row into texts and labels.

    Args:
        path: str. File ending in .csv (comma) or .tsv (tab); `delimiter` overrides.
        text_column: str. Header of the text column.
        label_column: str. Header of the label column.

    Examples:
    >>> data = load_classification_file("reviews.csv", text_column="review", label_column="sentiment")  # doctest: +SKIP
    """
    path = _check_file(path)
    # the csv module reads the whole stream: a quoted field may hold a newline or the delimiter
    reader = csv.DictReader(io.StringIO(_read(path, newline=""), newline=""), delimiter=_delimiter(path, delimiter))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ValueError(f"{path!r} line {reader.line_num}: not valid CSV ({e}). Quote fields that hold the "
                         "delimiter, a quote or a newline.") from None
    if not rows:
        raise ValueError(f"{path!r} has no data rows (a header row and at least one example are needed).")
    columns = list(rows[0][1].keys())
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in columns:
            raise ValueError(
                f"{path!r} has no {role} column {column!r}; its columns are {columns}. "
                f"Pass {role}_column= one of them (CLI: --{role}-column)."
            )
    texts, labels = [], []
    for i, row in rows:
        text, label = (row[text_column] or "").strip(), (row[label_column] or "").strip()
        if not label:
            raise ValueError(f"{path!r} line {i}: the label is empty; every example needs a label.")
        if text:
            texts.append(text)
            labels.append(label)
    if not texts:
        raise ValueError(f"{path!r}: every text is empty.")
    data = TextClassificationData(texts, labels, name=os.path.basename(path))
    if len(data.label_names) < 2:
        raise ValueError(f"{path!r} has a single label {data.label_names}; a classifier needs at least two.")
    return data


def load_conll(path, token_column=0, tag_column=-1):
    """Loads a CoNLL-style file: one `token ... tag` line per token, blank lines between sentences.

    Columns are split on whitespace; `-DOCSTART-` lines and `#` comment lines are skipped.

    Examples:
    >>> data = load_conll("train.conll", tag_column=3)  # doctest: +SKIP
    """
    sentences, tags, tokens_now, tags_now = [], [], [], []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-" or line.startswith("#"):
            if tokens_now:
                sentences.append(tokens_now)
                tags.append(tags_now)
                tokens_now, tags_now = [], []
            continue
        try:
            tokens_now.append(fields[token_column])
            tags_now.append(fields[tag_column])
        except IndexError:
            raise ValueError(
                f"{path!r} line {number} has {len(fields)} columns; token_column={token_column} and "
                f"tag_column={tag_column} do not both exist there."
            ) from None
    if tokens_now:
        sentences.append(tokens_now)
        tags.append(tags_now)
    if not sentences:
        raise ValueError(f"{path!r} holds no tagged tokens.")
    return TaggedData(sentences, tags, name=os.path.basename(path))


def load_labelled_files(path, what="file"):
    """`(paths, labels)` from a TSV of `file<TAB>label` lines (a relative file is read from the TSV's folder), for
    evaluating models of files: images and their captions, WAV files and their transcripts."""
    pairs = load_pairs_tsv(path)
    folder = os.path.dirname(os.path.abspath(path))
    files = [p if os.path.isabs(p) else os.path.join(folder, p) for p in pairs.sources]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise FileNotFoundError(f"{path!r} names {len(missing)} {what}s that do not exist, e.g. {missing[0]!r}; each "
                                f"line is '{what}<TAB>label', a relative {what} read from the list's folder.")
    return files, list(pairs.targets)


def load_pairs_tsv(path, level="char", target_level=None):
    """Loads tab-separated `source<TAB>target` pairs for sequence-to-sequence tasks.

    Args:
        path: str. The file.
        level: str. How the sources are tokenized: "char" (transliteration, normalisation) or "word"
            (translation).
        target_level: str or None. How the targets are tokenized (default: `level`).
    """
    from rnnzoo.text.tokenizers import TOKENIZERS

    for value in (level, target_level or level):
        if value not in TOKENIZERS:
            raise ValueError(f"Unknown tokenization level {value!r}; use 'char' or 'word'.")
    sources, targets = [], []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{path!r} line {number} is not 'source<TAB>target' with both sides non-empty.")
        sources.append(parts[0].strip())
        targets.append(parts[1].strip())
    if not sources:
        raise ValueError(f"{path!r} holds no pairs.")
    return PairData(sources, targets, name=os.path.basename(path),
                    text_options={"level": level, "target": {"level": target_level or level}})


def load_lexicon(path, keep_stress=False, lowercase=False):
    """Loads a pronouncing dictionary for grapheme-to-phoneme models.

    Each line is `word PH ON ES` (the CMUdict and Phonetisaurus format: the word, then its phonemes separated
    by white space) or `word<TAB>PH ON ES` (rnnzoo's TSV pairs). A word may have several lines (several correct
    pronunciations); CMUdict's variant markers (`word(2)`) and comment lines (`;;;`, `#`) are dropped, and
    stress digits are removed unless `keep_stress`, as for the embedded `cmudict` data.

    Args:
        path: str. The lexicon file (UTF-8).
        keep_stress: bool. Keep the stress digits of ARPAbet vowels (AH0 vs AH).
        lowercase: bool. Lowercase the words (the embedded `cmudict` data is lowercase; raw CMUdict is not).

    Returns:
        A `PairData` of word → phoneme string pairs, tokenized like the embedded `cmudict` data (characters in,
        phonemes out).
    """
    import re

    sources, targets = [], []
    for number, line in enumerate(_read(path).splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith((";;;", "#")):
            continue
        parts = text.split("\t", 1) if "\t" in text else text.split(None, 1)
        if len(parts) < 2 or not parts[1].split():
            raise ValueError(f"{path!r} line {number} is {line!r}: a lexicon line is 'word PH ON ES' (or "
                             "'word<TAB>PH ON ES') with at least one phoneme.")
        word = re.sub(r"\(\d+\)$", "", parts[0].strip())
        word = word.lower() if lowercase else word
        phones = parts[1].split()
        if not keep_stress:
            phones = [re.sub(r"\d", "", p) for p in phones]
        sources.append(word)
        targets.append(" ".join(phones))
    if not sources:
        raise ValueError(f"{path!r} holds no lexicon entries.")
    return PairData(sources, targets, name=os.path.basename(path),
                    text_options={"level": "char", "target": {"level": "word", "lowercase": False}})


def read_numbers_csv(path, columns=()):
    """Rows × features from a CSV file of numbers: a series for a forecaster, a sequence for a regressor (a header
    row is optional; with one, the model's training columns are picked by name when they are all there). Errors
    say which line and column is not a number."""
    import numpy as np

    rows = [r for r in csv.reader(io.StringIO(_read(path, newline=""), newline="")) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{path!r} holds no rows; a series file has one row per time step.")
    header = None
    try:
        [float(c) for c in rows[0] if c.strip()]
    except ValueError:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    pick = [header.index(c) for c in columns] if header and columns and set(columns) <= set(header) else None
    values = []
    for number, row in enumerate(rows, start=2 if header else 1):
        cells = [row[i] for i in pick] if pick else [c for c in row if c.strip()]
        try:
            values.append([float(c) for c in cells])
        except ValueError:
            raise ValueError(f"{path!r} line {number}: {row} is not all numbers; a series file holds numbers, one "
                             "row per time step (a header row first is allowed).") from None
    if len({len(v) for v in values}) > 1:
        raise ValueError(f"{path!r}: rows have different numbers of columns.")
    return np.array(values, "float32")
