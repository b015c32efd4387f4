"""Mutation check: break three core formulas one at a time and show that the tests guarding them fail.

Each mutation is applied to a copy of the package in a temporary directory (the checkout is never edited), the
tests that guard the formula run against the copy, and the run must fail. The same tests run once against the
unmutated copy first and must pass, so a failure is the mutation's doing. `make mutation` runs it:

    python tests/mutation.py [--out benchmarks/results/mutation.json]

The mutations:
- the beam search's length penalty ignores α (`rnnzoo.decoding.length_penalty`);
- attention ignores the memory mask, so padding gets weight (`rnnzoo.layers.attention`);
- the LSTM training kernel drops the forget gate (`rnnzoo.layers.kernels`).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (what the bug is, file, original text (must occur exactly once), mutated text, pytest arguments that guard it)
MUTATIONS = [
    ("length penalty ignores alpha", "rnnzoo/decoding.py",
     'return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, alpha)',
     'return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, 0.0 * alpha)',
     ["tests/test_seq2seq.py", "-k", "length_penalty or beam"]),
    ("attention ignores the memory mask", "rnnzoo/layers/attention.py",
     "scores = ops.where(memory_mask, scores, NEG_INF)",
     "scores = scores",
     ["tests/test_attention.py"]),
    ("LSTM kernel drops the forget gate", "rnnzoo/layers/kernels.py",
     "c_new = ifo[:, n:2 * n] * c + ifo[:, :n] * g",
     "c_new = c + ifo[:, :n] * g",
     ["tests/test_kernels.py", "-k", "lstm"]),
]


def _copy(destination):
    for part in ("rnnzoo", "tests"):
        shutil.copytree(os.path.join(ROOT, part), os.path.join(destination, part),
                        ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    for file in ("pyproject.toml",):
        shutil.copy(os.path.join(ROOT, file), destination)
    for link in ("saved_models",):  # read-only data the tests may open
        os.symlink(os.path.join(ROOT, link), os.path.join(destination, link))


def _pytest(directory, arguments):
    """Runs pytest in `directory` (its copy of rnnzoo first on the path); returns (exit code, failed test ids)."""
    env = dict(os.environ, PYTHONPATH=directory, TF_CPP_MIN_LOG_LEVEL="2")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *arguments],
                          cwd=directory, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (\S+)", proc.stdout, re.M)
    return proc.returncode, failed, round(time.perf_counter() - start, 1), proc.stdout[-1500:]


def run(mutations=MUTATIONS):
    report = {"date": datetime.date.today().isoformat(), "command": "python tests/mutation.py", "mutations": []}
    for name, file, original, mutated, arguments in mutations:
        with tempfile.TemporaryDirectory(prefix="rnnzoo-mutation-") as work:
            _copy(work)
            path = os.path.join(work, file)
            source = open(path).read()
            if source.count(original) != 1:
                raise SystemExit(f"{file}: the text to mutate for {name!r} occurs {source.count(original)} times "
                                 "(expected once); update MUTATIONS after changing the formula.")
            baseline = _pytest(work, arguments)
            with open(path, "w") as f:
                f.write(source.replace(original, mutated))
            mutant = _pytest(work, arguments)
        entry = {"mutation": name, "file": file, "tests": " ".join(arguments),
                 "unmutated_exit_code": baseline[0], "unmutated_seconds": baseline[2],
                 "mutated_exit_code": mutant[0], "mutated_seconds": mutant[2], "failed_tests": mutant[1],
                 "caught": baseline[0] == 0 and mutant[0] == 1 and bool(mutant[1])}
        if baseline[0] != 0:
            entry["unmutated_output"] = baseline[3]
        report["mutations"].append(entry)
        verdict = "CAUGHT" if entry["caught"] else "MISSED"
        print(f"{verdict}: {name} ({file}); unmutated: exit {baseline[0]}, mutated: exit {mutant[0]}, "
              f"failed: {', '.join(mutant[1]) or 'none'}", flush=True)
    report["all_caught"] = all(m["caught"] for m in report["mutations"])
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "mutation.json"))
    args = ap.parse_args(argv)
    report = run()
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(tmp, args.out)
    return 0 if report["all_caught"] else 1


if __name__ == "__main__":
    sys.exit(main())
