"""Executes the notebooks from their text sources so they are committed with their outputs and figures
(`make notebooks`).

Each `notebooks/NAME.py` (jupytext percent format: reviewable, diffable) is the source of `NAME.ipynb`. This script
reads the source, runs it top to bottom in a fresh Jupyter kernel with the inline backend (always the full
notebook: the test suite's RNNZOO_QUICK smoke run never produces committed outputs), drops TensorFlow's native
start-up notices from the recorded standard error, puts a first markdown cell saying when, on which machine and
in how many minutes the outputs were made, records a hash of the code cells in the metadata
(`rnnzoo.sources_sha256`), and writes `NAME.ipynb`. `tests/test_notebooks.py` checks the pair is in sync and the
outputs are current and clean.

    python notebooks/execute.py [NAME ...]        # default: every notebook
    python notebooks/execute.py --strip [NAME.ipynb ...]   # only drop TensorFlow's start-up notices from outputs
"""

import datetime
import glob
import hashlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BANNER = "<!-- rnnzoo: outputs -->"
def sources_sha256(nb):
    """A hash of the notebook's code cells: what its outputs depend on, besides the library."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8") + b"\0")
    return digest.hexdigest()


# TensorFlow log lines that say nothing is wrong, besides the start-up notices: Grappler's MLIR passes that give
# up on a graph (the graph runs unoptimized by them), SavedModel's asset notes and its table-initializer warning
# (3 lines, "probably safe to ignore"), and LiteRT's XNNPACK note.
LOG_NOTICES = ("tfg_optimizer", "meta_optimizer.cc", "when importing GraphDef to MLIR module in GrapplerHook",
               "error: 'tfg.While' op", "INFO:tensorflow:Assets written to", "Created TensorFlow Lite XNNPACK delegate",
               "serializing table_initializer")


def strip_native_notices(nb):
    """Drops TensorFlow's native start-up notices (`rnnzoo.quiet.is_noise`: GPU probes on a CPU-only machine,
    oneDNN and build notes, the lines the `rnnzoo` command also hides) and the log lines of `LOG_NOTICES` from
    the notebook's recorded standard error; every other line (Python warnings included) stays. Returns how many
    lines were dropped."""
    sys.path.insert(0, os.path.dirname(HERE))
    from rnnzoo.quiet import is_noise

    dropped = 0
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                clean, skip = [], 0
                for line in lines:
                    if skip or is_noise(line) or any(marker in line for marker in LOG_NOTICES):
                        skip = max(skip - 1, 2 if "serializing table_initializer" in line else 0)
                        continue
                    clean.append(line)
                dropped += len(lines) - len(clean)
                if not "".join(clean).strip():
                    continue
                output["text"] = "".join(clean)
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept
    return dropped


def sources():
    """The notebooks' text sources: `notebooks/NAME.py` files that have a jupytext header."""
    found = []
    for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
        with open(path, encoding="utf-8") as f:
            if "jupytext:" in f.read(400):
                found.append(path)
    return found


def read_source(path):
    """The notebook of a text source (cells without outputs), with the pairing recorded in its metadata."""
    import jupytext

    nb = jupytext.read(path)
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    return nb


def machine():
    sys.path.insert(0, os.path.dirname(HERE))
    from rnnzoo.hardware import describe_cpu

    return describe_cpu()


def execute(source):
    import nbclient
    import nbformat

    nb = read_source(source)
    old = {k: os.environ.get(k) for k in ("RNNZOO_QUICK", "MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    os.environ.pop("RNNZOO_QUICK", None)
    os.environ.pop("MPLBACKEND", None)  # the inline backend, as in Jupyter
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    start = time.perf_counter()
    try:
        nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3",
                                resources={"metadata": {"path": HERE}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    minutes = (time.perf_counter() - start) / 60
    note = (f"{BANNER}\n*The outputs below were made by `make notebooks` on {datetime.date.today().isoformat()}: the "
            f"whole notebook ran in {minutes:.1f} minutes on {machine()}.*")
    strip_native_notices(nb)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    nb.metadata.setdefault("rnnzoo", {})["sources_sha256"] = sources_sha256(nb)
    nb.metadata["rnnzoo"]["minutes"] = round(minutes, 1)
    nb.metadata["rnnzoo"].pop("mode", None)
    path = source[:-3] + ".ipynb"
    tmp = path + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return minutes


def main(argv=None):
    """Executes the named notebooks (default: all)."""
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["--strip"]:  # clean committed outputs without running them again (their cells are unchanged)
        import nbformat

        for path in argv[1:] or sorted(glob.glob(os.path.join(HERE, "*.ipynb"))):
            nb = nbformat.read(path, as_version=4)
            print(f"{os.path.basename(path)}: {strip_native_notices(nb)} start-up notice lines dropped")
            nbformat.write(nb, path)
        return 0
    wanted = {os.path.splitext(os.path.basename(n))[0] for n in argv}
    failed = []
    for source in sources():
        name = os.path.splitext(os.path.basename(source))[0]
        if wanted and name not in wanted:
            continue
        print(f"executing {name} ...", flush=True)
        try:
            print(f"  {execute(source):.1f} minutes", flush=True)
        except Exception as e:  # the next notebook still runs; the exit status says one failed
            print(f"  FAILED: {type(e).__name__}: {str(e)[-3000:]}", flush=True)
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
