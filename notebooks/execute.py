"""Executes the notebooks in place so they are committed with their outputs and figures (`make notebooks`).

Each notebook runs top to bottom in a fresh kernel with the inline backend: in full mode where a full run takes
at most ten minutes on 2 cores (`FULL`, with the minutes measured), otherwise in quick mode (RNNZOO_QUICK=1: small
data, few epochs). A first markdown cell says when and in
which mode the outputs were made, and the notebook's metadata records a hash of its code cells
(`rnnzoo.sources_sha256`): `tests/test_notebooks.py` fails when a cell was edited after the outputs were made.

    python notebooks/execute.py [NAME.ipynb ...]
    python notebooks/execute.py --strip [NAME.ipynb ...]   # only drop TensorFlow's start-up notices from outputs
"""

import datetime
import glob
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BANNER = "<!-- rnnzoo: outputs -->"
# Notebooks committed from a full run: minutes of that run (AMD EPYC Zen 4, 2 cores, 2026-12-02). The others take
# longer than ten minutes in full mode (a ten-minute training budget per model, the whole G2P test set, ...).
FULL = {"captioning.ipynb": 1.3, "forecasting.ipynb": 2.6, "why_gates.ipynb": 1.3, "export.ipynb": 2.8,
        "fast_recurrences.ipynb": 1.0}  # (fast_recurrences: 2026-12-03)


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


def execute(path, mode="quick"):
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and c.source.startswith(BANNER))]
    old = {k: os.environ.get(k) for k in ("RNNZOO_QUICK", "MPLBACKEND")}
    if mode == "quick":
        os.environ["RNNZOO_QUICK"] = "1"
    else:
        os.environ.pop("RNNZOO_QUICK", None)
    os.environ.pop("MPLBACKEND", None)  # the inline backend, as in Jupyter
    try:
        nbclient.NotebookClient(nb, timeout=1200, kernel_name="python3",
                                resources={"metadata": {"path": HERE}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    note = (f"{BANNER}\n*The outputs below were made by `make notebooks` on {datetime.date.today().isoformat()} in "
            f"**{mode} mode**" + (" (RNNZOO_QUICK=1: small data and few epochs, so figures are rougher than a full "
                                  "run's; unset it for the full run)" if mode == "quick" else "") + ".*")
    strip_native_notices(nb)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    nb.metadata.setdefault("rnnzoo", {})["sources_sha256"] = sources_sha256(nb)
    nb.metadata["rnnzoo"]["mode"] = mode
    tmp = path + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def main(argv=None):
    """Executes the named notebooks (default: all); `--full NAME` runs one in full mode to time it."""
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["--strip"]:  # clean committed outputs without running them again (their cells are unchanged)
        import nbformat

        for path in argv[1:] or sorted(glob.glob(os.path.join(HERE, "*.ipynb"))):
            nb = nbformat.read(path, as_version=4)
            print(f"{os.path.basename(path)}: {strip_native_notices(nb)} start-up notice lines dropped")
            nbformat.write(nb, path)
        return 0
    if argv[:1] == ["--full"]:
        for name in argv[1:]:
            execute(name if os.path.exists(name) else os.path.join(HERE, name), "full")
        return 0
    names = argv or sorted(glob.glob(os.path.join(HERE, "*.ipynb")))
    for path in names:
        path = path if os.path.exists(path) else os.path.join(HERE, path)
        print(f"executing {os.path.basename(path)} ...", flush=True)
        execute(path, "full" if os.path.basename(path) in FULL else "quick")
    return 0


if __name__ == "__main__":
    sys.exit(main())
