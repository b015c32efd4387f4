"""Synthetic tasks generated in code: dates in human formats → ISO 8601, addition, the adding problem."""

import datetime

import numpy as np

from rnnzoo.datasets.base import PairData

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Each format is unambiguous: slashes are always month/day/year (US), dots always day.month.year.
DATE_FORMATS = (
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3].lower()} {d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    lambda d: f"{MONTHS[d.month - 1].upper()} {d.day} {d.year}",
    lambda d: f"the {d.day}{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    lambda d: d.isoformat(),
)


def _ordinal(n):
    return "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def dates(n=20000, seed=0, start_year=1950, end_year=2049):
    """Dates written in many human formats, paired with their ISO 8601 form (`YYYY-MM-DD`).

    Two-digit years are in the window `start_year`–`end_year` (at most 100 years), so they are unambiguous.

    Examples:
    >>> d = dates(3, seed=1); len(d.sources) == 3 and d.targets[0][4] == "-"
    True
    """
    if end_year - start_year >= 100:
        raise ValueError("The year window must span fewer than 100 years so two-digit years are unambiguous.")
    rng = np.random.default_rng(seed)
    first = datetime.date(start_year, 1, 1).toordinal()
    last = datetime.date(end_year, 12, 31).toordinal()
    sources, targets = [], []
    for ordinal, fmt in zip(rng.integers(first, last + 1, n), rng.integers(0, len(DATE_FORMATS), n)):
        d = datetime.date.fromordinal(int(ordinal))
        sources.append(DATE_FORMATS[fmt](d))
        targets.append(d.isoformat())
    return PairData(sources, targets, name="dates")


def addition(n=20000, max_digits=3, seed=0):
    """Addition written as text: "123+45" → "168"."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 10 ** max_digits, n)
    b = rng.integers(0, 10 ** max_digits, n)
    return PairData([f"{x}+{y}" for x, y in zip(a, b)], [str(x + y) for x, y in zip(a, b)], name="addition")


def adding_problem(n=10000, length=100, seed=0):
    """The adding problem (Hochreiter & Schmidhuber 1997): sum the two marked numbers of a long sequence.

    Returns:
        `(x, y)`: x of shape (n, length, 2) with uniform values in channel 0 and two 1-markers in channel 1
        (one in each half); y of shape (n, 1), the sum of the two marked values. Predicting the mean (1.0)
        gives MSE ≈ 0.167, the baseline a model must beat.
    """
    if length < 2:
        raise ValueError(f"length must be at least 2; got {length}.")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, length)).astype("float32")
    markers = np.zeros((n, length), dtype="float32")
    half = length // 2
    rows = np.arange(n)
    markers[rows, rng.integers(0, half, n)] = 1.0
    markers[rows, rng.integers(half, length, n)] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=1, keepdims=True)
    return x, y
