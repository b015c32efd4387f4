"""Every notebook runs top to bottom in its quick mode (RNNZOO_QUICK=1)."""

import glob
import os

import pytest

pytestmark = pytest.mark.slow  # each notebook runs for 25-130 s

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "notebooks", "*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs_in_quick_mode(path, monkeypatch):
    if os.path.basename(path) == "speech.ipynb":
        from rnnzoo.speech import espeak_available

        if not espeak_available():
            pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("RNNZOO_QUICK", "1")
    nb = nbformat.read(path, as_version=4)
    # allow_errors: every cell runs and its error is collected here (without it nbclient raises at the first one,
    # and a check after execute() could never fail)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    errors = [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
