"""Every figure in the README's and RESULTS.md's tables is a value in the committed JSON its table names
(`benchmarks/claims.py`), and the check fails when a figure is changed without its JSON."""

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import claims  # noqa: E402


@pytest.mark.parametrize("document", claims.DOCUMENTS)
def test_every_table_figure_is_in_its_json(document):
    assert claims.check(document) == []


def _copy_with(tmp_path, document, old, new):
    """A copy of the repository's documents and results in which `old` is replaced by `new` in `document`."""
    for name in ("benchmarks", "saved_models"):
        os.symlink(os.path.join(ROOT, name), tmp_path / name)
    text = open(os.path.join(ROOT, document), encoding="utf-8").read()
    assert old in text
    (tmp_path / os.path.basename(document)).write_text(text.replace(old, new, 1), encoding="utf-8")
    return os.path.basename(document)


def test_a_figure_changed_without_its_json_fails(tmp_path):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    table_row = next(line for line in text.split("\n") if line.startswith("| sunspots"))
    figure = re.search(r"\*\*(\d\.\d{3})\*\*", table_row).group(1)
    changed = f"{float(figure) - 0.1:.3f}"
    document = _copy_with(tmp_path, "README.md", table_row, table_row.replace(figure, changed))
    problems = claims.check(document, root=str(tmp_path))
    assert len(problems) == 1 and repr(changed) in problems[0], problems


def test_a_table_without_a_source_fails(tmp_path):
    document = _copy_with(tmp_path, "README.md", "## Models", "| a | b |\n| --- | --- |\n| x | 0.93 |\n\n## Models")
    assert any("no <!-- claims" in p for p in claims.check(document, root=str(tmp_path)))


@pytest.mark.parametrize("token, values, ok", [
    ("27.07%", [0.2707], True), ("27.07%", [0.2708], False), ("10,084", [10084], True), ("0.93", [0.9349], True),
    ("0.93", [0.936], False), ("3547.9 KiB", [3633050], True), ("38.2 ms", [0.03818], True),
    ("6.5e-9", [6.519e-9], True), ("11.2k", [11200], True), ("−0.17", [-0.0017], True)])
def test_figures_match_at_the_precision_shown(token, values, ok):
    assert claims.matches(token, values) == ok
