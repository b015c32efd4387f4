"""Export report: TFLite file sizes, LiteRT latency and accuracy change for float32, dynamic-range int8 and
float16, on two real models:

- the sentiment Bi-LSTM classifier (trained here with the demo's settings; accuracy on its held-out split),
- the G2P preset in saved_models/g2p_bahdanau_ls_long_seed2_cmudict (results/export.json came from the older g2p_bahdanau_cmudict, since removed; WER/PER on held-out CMUdict words, greedy, with
  the streaming encoder + decoder-step files run by the LiteRT interpreter).

    python benchmarks/export.py
"""

import argparse
import os
import tempfile
import time

import numpy as np
from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
G2P = os.path.join(HERE, "..", "saved_models", "g2p_bahdanau_ls_long_seed2_cmudict")


def classifier_report(work, quantize):
    import rnnzoo
    from rnnzoo import datasets
    from rnnzoo.demo import CLASSIFIER, SPLIT
    from rnnzoo.export import TFLiteModel, export
    from rnnzoo.text import pad_sequences

    run = rnnzoo.train("bilstm_classifier", "sentiment", epochs=15, split=SPLIT, verbose=0, **CLASSIFIER)
    encoder = run.encoder
    test = run.splits[2]
    ids = encoder.encode(test.texts)
    length = max(len(s) for s in ids)
    labels = np.array([rnnzoo.card_of(run.model).labels.index(str(l)) for l in test.labels])
    keras_pred = run.model.predict(pad_sequences(ids), verbose=0).argmax(-1)
    info = export(run.model, os.path.join(work, "sentiment"), quantize=quantize, sequence_length=length,
                  saved_model=False)
    rows = {"keras": {"accuracy": float((keras_pred == labels).mean())}}
    padded = pad_sequences(ids, length)
    for file, entry in info["files"].items():
        if "bytes" not in entry:
            continue
        runner = TFLiteModel(os.path.join(work, "sentiment", file))
        pred = np.array([next(iter(runner(tokens=padded[i:i + 1]).values()))[0].argmax() for i in range(len(padded))])
        rows[file] = {"accuracy": float((pred == labels).mean()), "bytes": entry["bytes"],
                      "latency_ms": entry["latency_ms"], "recurrence": entry["recurrence"]}
    return {"model": "bilstm_classifier (sentiment, demo settings)", "test_sentences": len(labels),
            "sequence_length": length, "rows": rows}


def g2p_report(work, quantize, limit):
    import rnnzoo
    from rnnzoo import datasets
    from rnnzoo.export import TFLiteModel, export
    from rnnzoo.export.streaming import greedy_translate
    from rnnzoo.metrics import error_rates
    from rnnzoo.tasks.seq2seq.translation import evaluate_translations

    model = rnnzoo.load(G2P)
    test = datasets.load("cmudict").split((0.9, 0.02, 0.08), seed=0)[2]
    grouped = {}
    for s, t in zip(test.sources, test.targets):
        grouped.setdefault(s, []).append(t.split())
    words = list(grouped)[:limit]
    subset = test.subset([i for i, s in enumerate(test.sources) if s in set(words)])
    keras_metrics = evaluate_translations(model, subset)
    info = export(model, os.path.join(work, "g2p"), quantize=quantize, sequence_length=32, saved_model=False)
    source, target = model.encoder, model.target_encoder
    rows = {"keras": {"wer": keras_metrics["wer"], "per": keras_metrics["token_error_rate"]}}
    for q in ("float32",) + tuple(quantize):
        suffix = "" if q == "float32" else f"_{q}"
        encoder = TFLiteModel(os.path.join(work, "g2p", f"encoder{suffix}.tflite"))
        step = TFLiteModel(os.path.join(work, "g2p", f"decoder_step{suffix}.tflite"))
        start = time.time()
        hyps = []
        for w in words:
            ids, _ = greedy_translate(encoder, step, source.encode(w, on_unknown="unk")[0], 40)
            hyps.append(target.vocabulary.decode([i for i in ids if i != 3]))
        seconds = time.time() - start
        m = error_rates(hyps, [grouped[w] for w in words])
        files = [f"encoder{suffix}.tflite", f"decoder_step{suffix}.tflite"]
        rows[q] = {"wer": m["wer"], "per": m["token_error_rate"],
                   "bytes": sum(info["files"][f]["bytes"] for f in files),
                   "ms_per_word": round(seconds / len(words) * 1000, 3)}
    return {"model": f"saved_models/{os.path.basename(G2P)} (greedy, streaming TFLite loop)", "words": len(words),
            "rows": rows}


def forms_report(work, quantize):
    """WHILE loop vs fused UNIDIRECTIONAL_SEQUENCE_LSTM: the same weights (a 2-layer LSTM(256) character model,
    length 100, as in LEADS.md, and the Bi-LSTM classifier shape), file sizes and LiteRT latency, batch 1."""
    import rnnzoo
    from rnnzoo.export import export

    out = {}
    for label, name, options, length in (
            ("char LSTM 2×256, length 100", "char_lstm_language_model",
             {"vocabulary_size": 68, "units": 256, "num_layers": 2}, 100),
            ("Bi-LSTM classifier 2×64, length 40", "bilstm_classifier",
             {"vocabulary_size": 5000, "num_classes": 2, "embedding_dim": 64, "units": 64}, 40)):
        model = rnnzoo.build(name, **options)
        info = export(model, os.path.join(work, name), quantize=tuple(quantize) + ("int8",), sequence_length=length,
                      saved_model=False)
        rows = {}
        for file, entry in info["files"].items():
            if file.startswith("model") and "bytes" in entry:
                rows[file] = {"bytes": entry["bytes"], "latency_ms": entry["latency_ms"],
                              "recurrence": entry["recurrence"],
                              "max_abs_diff": entry.get("max_abs_diff_vs_keras",
                                                        entry.get("max_abs_diff_vs_keras_full_length"))}
        out[label] = rows
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, default=3000, help="held-out CMUdict words decoded per variant")
    ap.add_argument("--only-forms", action="store_true", help="only the WHILE vs fused table (no training)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "export.json"))
    args = ap.parse_args(argv)
    quantize = ("dynamic", "float16")
    with tempfile.TemporaryDirectory() as work:
        report = {"forms": forms_report(work, quantize)}
        if not args.only_forms:
            report["classifier"] = classifier_report(work, quantize)
        if not args.only_forms and os.path.exists(os.path.join(G2P, "model.keras")):
            report["g2p"] = g2p_report(work, quantize, args.words)
    print("\nRecurrence form, LiteRT (XNNPACK, 1 thread), batch 1, random weights:")
    for label, rows in report["forms"].items():
        for file, row in rows.items():
            print(f"  {label:36s} {file:28s} {row['bytes'] / 1024:8.1f} KiB  {row['latency_ms']:7.3f} ms  "
                  f"{row['recurrence']}  max diff {row['max_abs_diff']:.1e}")
    for key, part in report.items():
        if key == "forms":
            continue
        print(f"\n{part['model']}")
        base = part["rows"].get("model.tflite") or part["rows"].get("float32")
        for name, row in part["rows"].items():
            size = f"{row['bytes'] / 1024:8.1f} KiB ({base['bytes'] / row['bytes']:.2f}× smaller)" if "bytes" in row else ""
            quality = (f"accuracy {row['accuracy']:.4f}" if "accuracy" in row else
                       f"WER {row['wer']:.2%} PER {row['per']:.2%}")
            speed = (f"{row['latency_ms']:.2f} ms" if "latency_ms" in row else
                     f"{row['ms_per_word']:.2f} ms/word" if "ms_per_word" in row else "")
            print(f"  {name:24s} {quality:28s} {size:32s} {speed}")
    report.update(provenance("export.py", argv))
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
