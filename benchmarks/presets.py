"""The presets table of the README: each committed preset's size and headline held-out figure, read from the
files in saved_models/ (the figures were measured when each preset was trained; see its metrics.json and card).

    python benchmarks/presets.py              # writes benchmarks/results/presets.json, prints the table
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import provenance, write_json  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "presets.json"))
    args = ap.parse_args(argv)
    from rnnzoo.presets import presets

    rows = []
    for preset in presets():
        if not preset.available:
            sys.exit(f"{preset.name} is missing from {preset.path}: train it first (saved_models/train_presets.py).")
        record = preset.record()
        rows.append({"name": record["name"], "family": record["family"], "size_mb": round(record["size_bytes"] / 1e6, 2),
                     "figure": record["label"], "value": record["value"], "verb": record["verb"]})
    write_json({"presets": rows, **provenance("presets.py", argv)}, args.out)
    print("| preset | family | size (MB) | held-out figure | value | verb |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        value = f"{r['value']:.3f}" if isinstance(r["value"], float) else r["value"]
        print(f"| `{r['name']}` | {r['family']} | {r['size_mb']:.2f} | {r['figure']} | {value} | `{r['verb']}` |")


if __name__ == "__main__":
    main()
