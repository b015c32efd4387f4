"""Every figure in the tables of the README, the docs pages and RESULTS.md is a value in the committed JSON its table names
(`benchmarks/claims.py`), and the check fails when a figure is changed without its JSON."""

import json
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
    text = open(os.path.join(ROOT, "docs", "forecasting.md"), encoding="utf-8").read()
    table_row = next(line for line in text.split("\n") if line.startswith("| sunspots"))
    figure = re.search(r"\*\*(\d\.\d{3})\*\*", table_row).group(1)
    changed = f"{float(figure) - 0.1:.3f}"
    document = _copy_with(tmp_path, "docs/forecasting.md", table_row, table_row.replace(figure, changed))
    problems = claims.check(document, root=str(tmp_path))
    assert len(problems) == 1 and repr(changed) in problems[0], problems


def test_a_table_without_a_source_fails(tmp_path):
    document = _copy_with(tmp_path, "docs/models.md", "## Text pipeline",
                          "| a | b |\n| --- | --- |\n| x | 0.93 |\n\n## Text pipeline")
    assert any("no <!-- claims" in p for p in claims.check(document, root=str(tmp_path)))


@pytest.mark.parametrize("token, values, ok", [
    ("27.07%", [0.2707], True), ("27.07%", [0.2708], False), ("10,084", [10084], True), ("0.93", [0.9349], True),
    ("0.93", [0.936], False), ("3547.9 KiB", [3633050], True), ("38.2 ms", [0.03818], True),
    ("6.5e-9", [6.519e-9], True), ("11.2k", [11200], True), ("−0.17", [-0.0017], True)])
def test_figures_match_at_the_precision_shown(token, values, ok):
    assert claims.matches(token, values) == ok


def _document(tmp_path, marker, rows, data):
    """A one-table document under `tmp_path` whose marker names a JSON file holding `data`."""
    (tmp_path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    table = "\n".join(["| model | training ratio | inference ratio |", "| --- | --- | --- |"] +
                      [f"| {name} | {train} | {infer} |" for name, train, infer in rows])
    (tmp_path / "doc.md").write_text(f"<!-- claims: results.json{marker} -->\n{table}\n", encoding="utf-8")
    return claims.check("doc.md", root=str(tmp_path))


RUNS = {"lstm": {"training_ratio": 0.85, "training_ratio_range": [0.83, 1.07], "inference_ratio": 0.67},
        "gru": {"training_ratio": 1.09, "training_ratio_range": [1.03, 1.14], "inference_ratio": 1.05}}


def test_a_figure_from_another_field_fails(tmp_path):
    right = [("lstm", "0.85 [0.83–1.07]", "0.67"), ("gru", "1.09 [1.03–1.14]", "1.05")]
    assert _document(tmp_path, "", right, RUNS) == []
    # 0.67 is in the file, as the LSTM's inference ratio, not as a training ratio
    problems = _document(tmp_path, "", [("lstm", "0.67 [0.83–1.07]", "0.67"), right[1]], RUNS)
    assert len(problems) == 1 and "not one field" in problems[0] and "'0.67'" in problems[0], problems
    # a range's end taken from another field
    problems = _document(tmp_path, "", [("lstm", "0.85 [0.67–1.07]", "0.67"), right[1]], RUNS)
    assert len(problems) == 1 and "figure 2 of each cell" in problems[0], problems
    # by=cell keeps only the check that a figure is somewhere in the file
    assert _document(tmp_path, "; by=cell", [("lstm", "0.67 [0.83–1.07]", "0.67"), right[1]], RUNS) == []
    assert len(_document(tmp_path, "; by=cell", [("lstm", "0.66 [0.83–1.07]", "0.67"), right[1]], RUNS)) == 1


def test_tables_laid_out_by_row_check_each_row(tmp_path):
    by_model = {"accuracy": {"bilstm": 0.74, "bow": 0.70}, "interval": {"bilstm": [0.70, 0.77], "bow": [0.66, 0.73]}}
    rows = [("bilstm", "0.74", "0.70"), ("bow", "0.70", "0.66")]  # accuracy, the interval's low end
    assert _document(tmp_path, "; by=row", rows, by_model) == []
    problems = _document(tmp_path, "; by=row", [("bilstm", "0.74", "0.66"), rows[1]], by_model)
    assert len(problems) == 1 and "its row" in problems[0], problems
    assert "by='sideways'" in _document(tmp_path, "; by=sideways", rows, by_model)[0]


def test_the_speed_table_catches_a_ratio_copied_from_another_column(tmp_path):
    text = open(os.path.join(ROOT, "docs", "speed.md"), encoding="utf-8").read()
    row = next(line for line in text.split("\n") if line.startswith("| char | LSTM | TensorFlow, rnnzoo kernel, XLA"))
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    training, compiled_call = cells[6].split()[0], cells[7].split()[0]  # medians of two different ratios
    assert training != compiled_call
    changed = row.replace(cells[6], cells[6].replace(training, compiled_call, 1), 1)
    problems = claims.check(_copy_with(tmp_path, "docs/speed.md", row, changed), root=str(tmp_path))
    assert len(problems) == 1 and "not one field" in problems[0] and repr(compiled_call) in problems[0], problems
