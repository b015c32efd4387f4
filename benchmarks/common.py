"""What every benchmark records beside its figures: when, where, and the command that reproduces them."""

import datetime
import json
import os
import platform
import sys


def provenance(script, argv=None):
    """Date, machine (CPU model and extensions) and the exact command line of this run."""
    # imported here, so that a benchmark's PyTorch-only worker processes never load Keras or TensorFlow
    from rnnzoo.hardware import cpu_info as cpu, describe_cpu  # the CPU line beside every speed figure

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


def timed(step, steps, warmup):
    """Seconds per call of `step`, averaged over `steps` calls after `warmup` untimed ones."""
    import time

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps
