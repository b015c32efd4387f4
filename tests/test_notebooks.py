"""The notebooks: each `notebooks/NAME.py` (jupytext percent format) is the source of `NAME.ipynb`; the committed
outputs come from a whole run of the current cells (`make notebooks`), hold no log line, show every figure, start
with a "Run it" cell, and their headline figures agree with the presets' `metrics.json`. The slow test runs every
notebook top to bottom in its quick mode (RNNZOO_QUICK=1, the smoke run; never the committed outputs)."""

import glob
import json
import os
import re

import pytest

HERE = os.path.join(os.path.dirname(__file__), "..", "notebooks")
NOTEBOOKS = sorted(glob.glob(os.path.join(HERE, "*.ipynb")))
SAVED = os.path.join(os.path.dirname(__file__), "..", "saved_models")
# What a committed output must never hold: TensorFlow / absl / XLA log lines, Python warnings, retracing notices,
# SavedModel's asset notes, Jupyter's own warnings.
LOG_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d|WARNING|INFO|ERROR)|tensorflow:|absl|retracing|XLA|oneDNN|cuda|"
                      r"Assets written|Warning:|warnings\.warn|\[IPKernelApp\]", re.MULTILINE)


def _read(path):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def _text(nb):
    """Every text a notebook's code cells printed (stdout), one string."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")


def plot_cells_without_images(nb):
    """Indices of code cells that call `plt.show()` or a `plots.*` helper but hold no image output."""
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not ("plt.show()" in cell.source or "plots." in cell.source or
                                            re.search(r"\bplot_\w+\(", cell.source)):
            continue
        if not any("image/png" in output.get("data", {}) for output in cell.get("outputs", [])):
            missing.append(i)
    return missing


def test_every_notebook_has_its_text_source_and_make_notebooks_py_is_gone():
    assert NOTEBOOKS
    sources = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(HERE, "*.py"))
               if "jupytext:" in open(p, encoding="utf-8").read(400)}
    assert sources == {os.path.basename(p)[:-6] for p in NOTEBOOKS}
    assert not os.path.exists(os.path.join(HERE, "make_notebooks.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_each_pair_is_in_sync(path):
    """The cells of NAME.ipynb (after the outputs banner) are the cells of NAME.py, in order."""
    jupytext = pytest.importorskip("jupytext")
    import sys

    sys.path.insert(0, HERE)
    from execute import BANNER

    source = jupytext.read(path[:-6] + ".py")
    nb = _read(path)
    cells = [c for c in nb.cells if not (c.cell_type == "markdown" and c.source.startswith(BANNER))]
    assert [(c.cell_type, c.source) for c in cells] == [(c.cell_type, c.source) for c in source.cells]
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


def test_the_sync_check_fails_on_an_edited_source(tmp_path):
    """Guard: the comparison above sees a one-character edit of the text source."""
    jupytext = pytest.importorskip("jupytext")
    path = NOTEBOOKS[0]
    text = open(path[:-6] + ".py", encoding="utf-8").read().replace("import os", "import os  # edited", 1)
    (tmp_path / "edited.py").write_text(text, encoding="utf-8")
    edited = jupytext.read(str(tmp_path / "edited.py"))
    original = jupytext.read(path[:-6] + ".py")
    assert [c.source for c in edited.cells] != [c.source for c in original.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_committed_outputs_are_current_clean_and_show_every_figure(path):
    """Made from the current cells by a whole run (`make notebooks` records a hash of them and the minutes), with
    a figure in every plotting cell (and at least one), a "Run it" cell, no log line or standard error in any
    output, and nothing read from outside the repository (`../shared`)."""
    import sys

    sys.path.insert(0, HERE)
    from execute import sources_sha256

    nb = _read(path)
    meta = nb.metadata.get("rnnzoo", {})
    assert meta.get("sources_sha256") == sources_sha256(nb), "a cell changed after the outputs were made: " \
                                                             "run `make notebooks`"
    assert "minutes" in meta and "mode" not in meta  # a whole run, never the quick smoke run
    assert "ran in" in nb.cells[0].source and "quick" not in nb.cells[0].source
    assert plot_cells_without_images(nb) == []
    assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))
    run_it = [c for c in nb.cells[:4] if c.cell_type == "markdown" and c.source.startswith("## Run it")]
    assert run_it and re.search(r"about \d+ minutes?", run_it[0].source) and "make lab" in run_it[0].source
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert not (output.get("output_type") == "stream" and output.get("name") == "stderr"), \
                (i, output.get("text", "")[:300])
            assert output.get("output_type") != "error", (i, output.get("evalue"))
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            match = LOG_LINE.search(text if isinstance(text, str) else "".join(text))
            assert match is None, (i, text[max(0, match.start() - 100):match.end() + 100])
        if cell.cell_type == "code":  # nothing from ../shared, which a fresh clone does not have
            assert not re.search(r"\.\./shared|[\"']shared[\"']", cell.source), i


def test_the_log_check_catches_the_lines_notebooks_used_to_show():
    for line in ["W0000 00:00:1796607429.546241   25616 port.cc:153] oneDNN custom operations are on.",
                 "WARNING:tensorflow:5 out of the last 5 calls to <function decode_ids> triggered tf.function "
                 "retracing.", "INFO:tensorflow:Assets written to: /tmp/x/assets",
                 "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"]:
        assert LOG_LINE.search(line), line
    assert LOG_LINE.search("held-out voices: WER greedy 14.8%") is None


def _metrics(name):
    with open(os.path.join(SAVED, name, "metrics.json")) as f:
        return json.load(f)


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, pattern
    return float(match.group(1))


def test_headline_figures_agree_with_the_presets():
    """Each notebook's headline numbers, read from its committed outputs, against the preset's metrics.json (the
    same test set) or the acceptance floor."""
    speech = _text(_read(os.path.join(HERE, "speech.ipynb")))
    wer = _number(r"held-out voices: WER greedy ([\d.]+)%", speech)
    assert wer < 30 and abs(wer - 100 * _metrics("speech_bigru_ctc")["wer"]) < 0.06
    assert _number(r"frames not blank: (\d+) of", speech) >= 1  # the CTC figure has non-blank peaks

    seq2seq = _text(_read(os.path.join(HERE, "seq2seq.ipynb")))
    g2p = _metrics("g2p_bahdanau_ls_long_seed2_cmudict")
    for beam, key in ((1, "greedy"), (5, "beam")):
        shown = _number(rf"beam {beam}: WER ([\d.]+)%", seq2seq)
        assert abs(shown - 100 * g2p[key]["wer"]) < 0.006, (beam, shown)
        assert f"({g2p[key]['decoded']} test words)" in seq2seq

    language = _text(_read(os.path.join(HERE, "language_models.ipynb")))
    assert _number(r"the real line scores higher in ([\d.]+)% of 300 pairs", language) >= 90
    char = _metrics("char_lstm_512_tiny_shakespeare")
    assert f"{char['validation_nats_per_char']:.3f} validation nats/char" in language
    perplexities = [float(p) for p in re.findall(r"--- temperature [\d.]+: perplexity ([\d.]+)", language)]
    assert len(perplexities) == 4 and perplexities == sorted(perplexities)  # what the text and title say

    trees = _text(_read(os.path.join(HERE, "trees.ipynb")))
    line = re.search(r"Tree-LSTM \(preset\)(.*)", trees).group(1)
    accuracy = {int(h): float(a) for h, a in re.findall(r"height (\d+): ([\d.]+)", line)}
    assert sorted(accuracy) == [2, 4, 6] and min(accuracy.values()) >= 0.95


def _execute(nb, path):
    nbclient = pytest.importorskip("nbclient")
    # allow_errors: every cell runs and its error is collected here (without it nbclient raises at the first one,
    # and a check after execute() could never fail)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": path}}).execute()
    return [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow  # each notebook runs for 25-130 s
@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs_in_quick_mode_and_shows_its_figures(path, monkeypatch):
    if os.path.basename(path) == "speech.ipynb":
        from rnnzoo.tasks.speech.recognize import espeak_available

        if not espeak_available():
            pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")
    nbformat = pytest.importorskip("nbformat")
    monkeypatch.setenv("RNNZOO_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # what a Jupyter user has: the inline backend
    nb = nbformat.read(path, as_version=4)
    errors = _execute(nb, os.path.dirname(path))
    assert not errors, errors
    assert plot_cells_without_images(nb) == []


def test_the_figure_check_fails_on_the_agg_backend(tmp_path, monkeypatch):
    """Guard against a check that cannot fail: under Agg, plt.show() displays nothing in a kernel."""
    nbformat = pytest.importorskip("nbformat")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    cells = ["import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt",
             "plt.plot([1, 2, 3]); plt.show()"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    assert _execute(nb, str(tmp_path)) == []
    assert plot_cells_without_images(nb) == [1]
    inline = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                             ["import matplotlib.pyplot as plt", cells[1]]])
    _execute(inline, str(tmp_path))
    assert plot_cells_without_images(inline) == []
