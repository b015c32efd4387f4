"""One-to-many: captioning synthetic scenes (one or two coloured shapes and their relation) with an LSTM or GRU
decoder started from a CNN image vector; exact match and BLEU-4 on new scenes, greedy vs beam search. Not a test
(tests/test_captioning.py trains a quick version). Example (the figures in benchmarks/RESULTS.md):

    python benchmarks/captioning.py --minutes 5
"""

import argparse
import os
import time

from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="lstm_captioner,gru_captioner")
    ap.add_argument("--train", type=int, default=8000)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=5.0, help="training budget per model")
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "captioning.json"))
    args = ap.parse_args(argv)

    import rnnzoo
    from rnnzoo.tasks.captioning.caption import scenes

    train = scenes(args.train, seed=0)
    validation, test = scenes(500, seed=1), scenes(args.test, seed=2)
    rows = []
    print(f"{'model':16s} {'greedy exact':>12s} {'BLEU':>6s} {'beam exact':>10s} {'BLEU':>6s}  epochs  seconds")
    for name in args.models.split(","):
        start = time.time()
        r = rnnzoo.train(name, train, validation_data=validation, test_data=test, epochs=100, units=args.units,
                          learning_rate=2e-3, patience=5, minutes=args.minutes, beam_width=args.beam)
        g, b = r.metrics["greedy"], r.metrics["beam"]
        rows.append({"model": name, "greedy": g, "beam": b, "epochs": r.metrics["epochs_run"],
                     "seconds": round(time.time() - start, 1), "parameters": r.model.count_params()})
        print(f"{name:16s} {g['exact_match']:12.2%} {g['bleu']:6.3f} {b['exact_match']:10.2%} {b['bleu']:6.3f}  "
              f"{r.metrics['epochs_run']:6d}  {rows[-1]['seconds']:7.0f}", flush=True)
    print(f"\n({args.test} new scenes; {args.train} training scenes; beam width {args.beam})")
    report = {"results": rows, "config": vars(args), **provenance("captioning.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
