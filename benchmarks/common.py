"""What every benchmark records beside its figures: when, where, and the command that reproduces them."""

import datetime
import json
import os
import platform
import sys


def provenance(script, argv=None):
    """Date, machine and the exact command line of this run."""
    args = argv if argv is not None else sys.argv[1:]
    return {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "command": f"python benchmarks/{script} " + " ".join(args)}


def write_json(report, path):
    """Writes a results file (creating its folder); does nothing when `path` is empty."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2, default=float)
