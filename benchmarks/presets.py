"""The presets table of the README: each committed preset's size and headline held-out figure, read from the
files in saved_models/ (the figures were measured when each preset was trained; see its metrics.json and card).

    python benchmarks/presets.py              # writes benchmarks/results/presets.json, prints the table
    python benchmarks/presets.py --evaluate   # rnnzoo.evaluate of every preset whose training source can be
                                              # rebuilt here, against the figures in its card
                                              # (results/presets_evaluate.json; about 5 minutes)
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
    ap.add_argument("--evaluate", action="store_true", help="reproduce the card figures with rnnzoo.evaluate")
    args = ap.parse_args(argv)
    from rnnzoo.presets import presets

    if args.evaluate:
        return evaluate_all(args.out.replace("presets.json", "presets_evaluate.json"), argv)

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


TINY_SHAKESPEARE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data", "tinyshakespeare.txt")


def _numbers(metrics, prefix=""):
    """The card's numeric figures, flattened: {"beam.wer": 0.27, ...}."""
    out = {}
    for key, value in (metrics or {}).items():
        if isinstance(value, dict):
            out.update(_numbers(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[prefix + key] = float(value)
    return out


def evaluate_all(out, argv):
    """`rnnzoo.evaluate(preset, its training source)` for each preset whose source loads here: the held-out split
    the card records is rebuilt (fingerprints checked) and scored, and each figure the evaluation shares with the
    card is compared. Presets trained on data that was generated or passed in (speech, captions, trees) have no
    source to rebuild and are listed as such."""
    import time

    import rnnzoo
    from rnnzoo.presets import presets

    rows = []
    for preset in presets():
        t = rnnzoo.load(preset.name)
        source = t.card.data.source if t.card.data else None
        if source == "tinyshakespeare.txt":
            source = TINY_SHAKESPEARE if os.path.exists(TINY_SHAKESPEARE) else None
        start = time.time()
        try:
            got = rnnzoo.evaluate(t, source, beam_width=5 if preset.metric[:1] == ("beam",) else 1)
        except (ValueError, FileNotFoundError, TypeError) as e:
            rows.append({"name": preset.name, "source": source, "evaluated": False, "why": str(e)[:300]})
            print(f"{preset.name:28s} not evaluated: {str(e)[:120]}", flush=True)
            continue
        card, now = _numbers(t.card.metrics), _numbers(got)
        beam = {k.removeprefix("beam."): v for k, v in card.items() if k.startswith("beam.")}
        reference = beam if beam and preset.metric[:1] == ("beam",) else card
        if "validation_nats_per_char" in reference:  # a character LM's card states its held-out loss by that name
            now["validation_nats_per_char"] = now.get("loss")
        shared = sorted(k for k in set(reference) & set(now) if k not in ("examples", "epochs_run", "decoded"))
        worst = max((abs(now[k] - reference[k]) for k in shared), default=None)
        rows.append({"name": preset.name, "source": source, "evaluated": True, "evaluated_on": got["evaluated_on"],
                     "figures": {k: {"card": reference[k], "now": now[k]} for k in shared},
                     "max_abs_difference": worst, "seconds": round(time.time() - start, 1)})
        print(f"{preset.name:28s} {len(shared)} figures, max |now - card| = {worst}  ({got['evaluated_on']})",
              flush=True)
    write_json({"presets": rows, **provenance("presets.py", argv)}, out)
    return rows


if __name__ == "__main__":
    main()
