"""Every notebook runs top to bottom in its quick mode (RNNZOO_QUICK=1), and every cell that draws a figure
shows it: the notebooks leave the backend to Jupyter (inline) instead of forcing a non-interactive one."""

import glob
import os

import pytest

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "notebooks", "*.ipynb")))


def plot_cells_without_images(nb):
    """Indices of code cells that call `plt.show()` or a `plots.*` helper but hold no image output."""
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not ("plt.show()" in cell.source or "plots." in cell.source):
            continue
        if not any("image/png" in output.get("data", {}) for output in cell.get("outputs", [])):
            missing.append(i)
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_committed_outputs_are_current_and_show_every_figure(path):
    """The committed notebook was executed from its current cells (`make notebooks` records a hash of them), and
    each of its plotting cells holds an image."""
    import sys

    nbformat = pytest.importorskip("nbformat")
    sys.path.insert(0, os.path.dirname(path))
    from execute import FULL, sources_sha256

    nb = nbformat.read(path, as_version=4)
    recorded = nb.metadata.get("rnnzoo", {}).get("sources_sha256")
    assert recorded == sources_sha256(nb), "a cell changed after the outputs were made: run `make notebooks`"
    assert plot_cells_without_images(nb) == []
    assert nb.cells[0].source.startswith("<!-- rnnzoo: outputs -->") and "mode" in nb.cells[0].source
    mode = "full" if os.path.basename(path) in FULL else "quick"  # full wherever a full run takes <= 10 minutes
    assert nb.metadata["rnnzoo"]["mode"] == mode and f"**{mode} mode**" in nb.cells[0].source


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
