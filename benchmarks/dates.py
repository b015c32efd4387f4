"""Date normalisation (human formats → ISO 8601): the fixed-context baseline vs Bahdanau vs Luong attention.

Trains each model on synthetic dates and reports exact match on held-out dates never seen in training, overall
and by source length, greedy and beam search. Not a test. Example (the figures in benchmarks/RESULTS.md):

    python benchmarks/dates.py --minutes 5
"""

import argparse
import os
import time

from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
BUCKETS = ((0, 10), (11, 20), (21, 30), (31, 99))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="lstm_seq2seq,bahdanau_seq2seq,luong_seq2seq")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=5.0, help="training time budget per model")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "dates.json"))
    args = ap.parse_args(argv)

    import keras

    from rnnzoo.datasets import PairData, synthetic
    from rnnzoo.tasks.seq2seq.translation import translate
    from rnnzoo.fitting import TimeLimit
    from rnnzoo.training import train

    train_data = synthetic.dates(args.train, seed=0)
    seen = set(train_data.sources)
    held_out = synthetic.dates(4 * args.test, seed=1)
    fresh = [i for i, s in enumerate(held_out.sources) if s not in seen]
    held_out = held_out.subset(fresh)
    val_data = held_out.subset(range(args.test, args.test + 1000))
    test_data = held_out.subset(range(args.test))
    print(f"train {len(train_data):,}, validation {len(val_data):,}, test {len(test_data):,} dates "
          f"(none of the held-out strings occur in training)", flush=True)
    results = {}
    for name in args.models.split(","):
        start = time.time()
        run = train(name, train_data, validation_data=val_data, test_data=test_data.subset(range(200)),
                    epochs=args.epochs, units=args.units, embedding_dim=32, batch_size=64, learning_rate=3e-3,
                    patience=4, verbose=0, translation_limit=0,
                    callbacks=[TimeLimit(args.minutes), keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)])
        minutes = (time.time() - start) / 60
        row = {"epochs": run.metrics["epochs_run"], "train_minutes": round(minutes, 1),
               "parameters": run.model.count_params()}
        for beam in (1, args.beam):
            outputs = translate(run.model, test_data.sources, beam_width=beam, batch_size=256)
            correct = [o == t for o, t in zip(outputs, test_data.targets)]
            row[f"beam_{beam}"] = {"exact_match": sum(correct) / len(correct)}
            for lo, hi in BUCKETS:
                picked = [c for c, s in zip(correct, test_data.sources) if lo <= len(s) <= hi]
                if picked:
                    row[f"beam_{beam}"][f"length_{lo}_{hi}"] = {"exact_match": sum(picked) / len(picked),
                                                                "n": len(picked)}
        results[name] = row
        print(f"{name:20s} greedy {row['beam_1']['exact_match']:.2%}  beam {args.beam} "
              f"{row[f'beam_{args.beam}']['exact_match']:.2%}  ({row['epochs']} epochs, {minutes:.1f} min)",
              flush=True)
    header = "model                 " + "  ".join(f"len {lo}-{hi}".rjust(10) for lo, hi in BUCKETS) + "     all"
    print("\nExact match by source length (greedy):\n" + header)
    for name, row in results.items():
        cells = [row["beam_1"].get(f"length_{lo}_{hi}", {}).get("exact_match") for lo, hi in BUCKETS]
        print(f"{name:20s}  " + "  ".join(f"{c:10.2%}" if c is not None else " " * 10 for c in cells)
              + f"  {row['beam_1']['exact_match']:7.2%}")
    report = {"results": results, "config": vars(args), **provenance("dates.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
