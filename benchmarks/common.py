"""What every benchmark records beside its figures: when, where, and the command that reproduces them."""

import datetime
import json
import os
import platform
import sys


def cpu():
    """The CPU model and the vector extensions that decide float32/bfloat16 speed here (the machines vary)."""
    from rnnzoo.precision import cpu_info

    return cpu_info()


def describe_cpu(info):
    """'AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX': the line printed beside speed figures."""
    from rnnzoo.precision import describe_cpu as describe

    return describe(info)


def provenance(script, argv=None):
    """Date, machine (CPU model and extensions) and the exact command line of this run."""
    args = argv if argv is not None else sys.argv[1:]
    info = cpu()
    return {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {describe_cpu(info)}",
            "cpu": info, "command": f"python benchmarks/{script} " + " ".join(args)}


def median_range(values):
    """(median, [min, max]) of repeated measurements: what the README reports, never the best run."""
    import statistics

    values = [v for v in values if v is not None]
    return statistics.median(values), [min(values), max(values)]


def write_json(report, path):
    """Writes a results file (creating its folder); does nothing when `path` is empty."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:  # atomic: an interrupted run leaves the previous results in place
        json.dump(report, f, indent=2, default=float)
    os.replace(tmp, path)
