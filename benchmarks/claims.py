"""Checks every figure in the README's, RESULTS.md's and the docs pages' tables against the committed JSON it came from.

Each table that holds figures is preceded by a marker naming its source files (paths relative to the document's
folder or the repository root) and, optionally, the columns that describe rather than measure (0 = first):

    <!-- claims: benchmarks/results/dates.json; skip=0 -->

Tables of facts rather than results (the data sources, the model list) say so instead:

    <!-- claims: none (what the datasets are) -->

Every number in the checked columns must be a value in the source JSON at the precision shown: as it is, ×100
for a percentage, in thousands/millions with "k"/"M", in KiB of a byte count, in ms of seconds. A figure typed
into a table without its JSON fails.

A figure must also come from the right field, not merely appear somewhere in the file: a JSON value's field is
the name of the key it sits under (a list of numbers keeps its key's name). By default a table's columns are
fields: the n-th figure of every cell of a column must be the value of one same-named field (each row's
`training_ratio`, say, or each row's `ratio_range`), so a figure typed over with a number that the file holds
under another name (another column's ratio, a range's end) fails. Tables laid out the other way, a measurement
per row, say `by=row` (every figure of a row from one field); tables that mix fields in both directions (free
text, several metrics in one column) say `by=cell`, which keeps only the check that each figure is in the file:

    <!-- claims: benchmarks/results/export.json; by=cell -->

    python benchmarks/claims.py          # prints each figure without a source, exits 1 if there is one
"""

import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENTS = ["README.md", "benchmarks/RESULTS.md"] + sorted(
    os.path.join("docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md")) \
    if os.path.isdir(os.path.join(ROOT, "docs")) else ["README.md", "benchmarks/RESULTS.md"]
MARKER = re.compile(r"<!--\s*claims:\s*(.*?)\s*-->")
NUMBER = re.compile(r"(?<![\w.])[−-]?\d[\d,]*(?:\.\d+)?(?:e[−-]?\d+)?(?:\s?(?:KiB|ms|[kM])(?![a-zA-Z]))?%?")


def _numbers(node, found, field=""):
    """Every finite number in a JSON value as (value, field): the name of the key it sits under."""
    if isinstance(node, bool):
        return found
    if isinstance(node, (int, float)):
        if math.isfinite(node):
            found.append((float(node), field))
    elif isinstance(node, dict):
        for key, value in node.items():
            _numbers(value, found, str(key))
    elif isinstance(node, list):
        for value in node:
            _numbers(value, found, field)
    return found


def _fields(token, numbers):
    """The fields in which the figure `token` is a value, at the precision it is shown with."""
    return {field for value, field in numbers if matches(token, [value])}


def parse_figure(token):
    """'27.07%' → (27.07, 2, '%'); '10,084' → (10084, 0, ''); '1.2e-4' → (1.2e-4, None, 'e'); '4.0M' → (4.0, 1, 'M')."""
    token = token.replace("−", "-").replace(",", "").replace(" ", "")
    unit = ""
    for suffix in ("%", "KiB", "ms", "k", "M"):
        if token.endswith(suffix):
            unit, token = suffix, token[: -len(suffix)]
            break
    if "e" in token:
        return float(token), None, "e"
    decimals = len(token.split(".")[1]) if "." in token else 0
    return float(token), decimals, unit


def matches(token, values):
    """Whether the figure `token` is one of `values` at the precision it is shown with."""
    shown, decimals, unit = parse_figure(token)
    if unit == "e":
        return any(v != 0 and abs(abs(v) - abs(shown)) <= 0.05 * abs(shown) for v in values)
    half = 0.5 * 10 ** -decimals + 1e-9
    scales = {"%": (100.0, 1.0), "k": (1e-3,), "M": (1e-6,), "KiB": (1 / 1024,), "ms": (1000.0, 1.0),
              "": (1.0, 100.0)}[unit]
    return any(abs(abs(v) * s - abs(shown)) <= half for v in values for s in scales)


def tables(path):
    """(line number, marker text or None, rows of cells) for every table in a Markdown file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found, i = [], 0
    while i < len(lines):
        if lines[i].startswith("|"):
            start = i
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            marker = None
            for back in range(start - 1, max(start - 6, -1), -1):
                m = MARKER.search(lines[back])
                if m:
                    marker = m.group(1)
                    break
                if lines[back].startswith("|"):
                    break
            rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[start:i]]
            found.append((start + 1, marker, [r for r in rows if not all(set(c) <= set("-: ") for c in r)]))
        i += 1
    return found


def check(document, root=ROOT):
    """Problems in one document: tables with figures but no marker, sources that do not exist, figures that
    are in none of their sources."""
    path = os.path.join(root, document)
    problems = []
    for line, marker, rows in tables(path):
        body = rows[1:]  # the header row names columns
        if marker is None:
            if any(NUMBER.search(c) for r in body for c in r[1:]):
                problems.append(f"{document}:{line}: a table with figures and no <!-- claims: ... --> marker")
            continue
        if marker.startswith("none"):
            continue
        sources, _, options = marker.partition(";")
        settings = dict(option.strip().split("=", 1) for option in options.split(";") if "=" in option)
        skip = {int(c) for c in settings["skip"].split(",")} if "skip" in settings else {0}
        by = settings.get("by", "column")
        if by not in ("column", "row", "cell"):
            problems.append(f"{document}:{line}: by={by!r} in the claims marker; use by=column, by=row or by=cell")
            continue
        numbers = []
        for source in sources.split(","):
            source = source.strip()
            candidates = [os.path.join(os.path.dirname(path), source), os.path.join(root, source)]
            file = next((c for c in candidates if os.path.exists(c)), None)
            if file is None:
                problems.append(f"{document}:{line}: source {source!r} does not exist")
                continue
            with open(file) as f:
                numbers += _numbers(json.load(f), [])
        values = [value for value, _ in numbers]
        groups = {}  # figures that must share a field: (column, n-th figure in its cell) or a row
        for offset, row in enumerate(body, start=2):
            for column, cell in enumerate(row):
                if column in skip:
                    continue
                for index, token in enumerate(NUMBER.findall(cell.replace("**", ""))):
                    if not matches(token, values):
                        problems.append(f"{document}:{line + offset}: {token!r} (column {column}) is in none of "
                                        f"{sources.strip()}")
                        continue
                    if by != "cell":
                        key = ("column", column, index) if by == "column" else ("row", offset)
                        groups.setdefault(key, []).append((line + offset, token, _fields(token, numbers)))
        for key, figures in groups.items():
            if len(figures) > 1 and not set.intersection(*(fields for _, _, fields in figures)):
                where = (f"column {key[1]}" + (f", figure {key[2] + 1} of each cell" if key[2] else "")
                         if key[0] == "column" else "its row")
                found = "; ".join(f"{token!r} (line {at}) in {sorted(fields)[:4]}" for at, token, fields in figures)
                problems.append(f"{document}:{figures[0][0]}: the figures of {where} are not one field of "
                                f"{sources.strip()}: {found}. A figure from another field, or a table laid out "
                                "by row (by=row) or mixing fields (by=cell)?")
    return problems


def main(argv=None):
    problems = [p for document in DOCUMENTS for p in check(document)]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} figures without a source or from the wrong field" if problems
          else "every table figure is in its JSON, in its field")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
