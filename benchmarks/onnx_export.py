"""ONNX export of every preset: which export (and why not), the operators of each file, its size, and
max |ONNX Runtime − Keras| at the valid positions of a right-padded batch of 3 at length 11 (float32 and ONNX
Runtime's dynamic int8), as recorded in each export.json.

    python benchmarks/onnx_export.py        # writes benchmarks/results/onnx_export.json, prints the table
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import provenance, write_json  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "onnx_export.json"))
    args = ap.parse_args(argv)
    import rnnzoo
    from rnnzoo.export import ExportError

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset in rnnzoo.presets():
            try:
                info = rnnzoo.export.export(preset.name, os.path.join(tmp, preset.name), onnx=True,
                                            saved_model=False, tflite=False, quantize=["dynamic"])
            except ExportError as e:
                rows.append({"preset": preset.name, "family": preset.family, "exported": False,
                             "why": "; ".join(e.failures)[:400]})
                continue
            for file, entry in info["files"].items():
                rows.append({"preset": preset.name, "family": preset.family, "exported": True, "file": file,
                             "bytes": entry["bytes"], "kilobytes": round(entry["bytes"] / 1000),
                             "quantization": entry["quantization"],
                             "recurrence": entry["recurrence"], "ops": entry["ops"],
                             "max_abs_diff_vs_keras": entry["max_abs_diff_vs_keras"], "tolerance": entry["tolerance"],
                             "within_tolerance": entry["within_tolerance"]})
    write_json({"results": rows, **provenance("onnx_export.py", argv)}, args.out)
    print("| preset | file | size (KB) | recurrent op | max abs diff vs Keras | tolerance |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if not r["exported"]:
            print(f"| `{r['preset']}` | not exported: {r['why'][:120]} | — | — | — | — |")
            continue
        print(f"| `{r['preset']}` | `{r['file']}` | {r['bytes'] / 1000:,.0f} | {r['recurrence']} | "
              f"{r['max_abs_diff_vs_keras']:.1e} | {r['tolerance']:.0e} |")


if __name__ == "__main__":
    main()
