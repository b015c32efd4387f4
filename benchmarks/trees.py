"""Recursive nets vs a flat LSTM on nested arithmetic (mod 10), tested on trees deeper than any in training.

Training expressions have heights 1–4 ("( ( 3 + 4 ) * 2 )" has height 2); the test adds heights 5–8. The
Tree-LSTM and the classic recursive net compose each node from its children with one shared function, so the
depth of the tree does not change what they have to compute; the flat LSTM reads the parenthesised text and
must keep a stack of pending operands in its state. Accuracy by height on held-out expressions; chance is
about 10%. Not a test (tests/test_trees.py trains a quick version). Example (the figures in RESULTS.md):

    python benchmarks/trees.py --minutes 4
"""

import argparse
import os

from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tree_lstm_classifier,recursive_classifier,lstm_classifier,bilstm_classifier")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--test", type=int, default=1000, help="expressions per test height")
    ap.add_argument("--train-heights", default="1,2,3,4")
    ap.add_argument("--test-heights", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--minutes", type=float, default=4.0, help="training budget per model")
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--learning-rate", type=float, default=5e-3)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "trees.json"))
    args = ap.parse_args(argv)

    from rnnzoo.trees import arithmetic_trees, fit_and_score, to_text

    heights = [int(h) for h in args.train_heights.split(",")]
    train = arithmetic_trees(args.train, depths=heights, seed=0)
    val = arithmetic_trees(args.test, depths=heights, seed=1)
    seen = {to_text(t) for t in train.trees}
    tests = {}
    for h in (int(h) for h in args.test_heights.split(",")):
        data = arithmetic_trees(4 * args.test, depths=(h,), seed=100 + h)
        keep = [i for i, t in enumerate(data.trees) if to_text(t) not in seen][: args.test]
        data.trees, data.labels = [data.trees[i] for i in keep], [data.labels[i] for i in keep]
        if keep:  # every height-1 expression ("( 3 + 4 )": 300 of them) is in the training set
            tests[h] = data
        else:
            print(f"(height {h}: no expression outside the training set; not tested)")
    rows = []
    print(f"{'model':22s} {'params':>7s} " + " ".join(f"h={h:<4d}" for h in tests) + "  epochs  seconds")
    for name in args.models.split(","):
        r = fit_and_score(name, train, val, tests, minutes=args.minutes, units=args.units,
                          learning_rate=args.learning_rate)
        r.pop("keras_model")
        rows.append(r)
        print(f"{name:22s} {r['parameters']:7d} " + " ".join(f"{r['accuracy'][h]:6.1%}" for h in tests)
              + f"  {r['epochs']:6d}  {r['seconds']:7.0f}", flush=True)
    print(f"\n(trained on heights {args.train_heights}; {args.test} unseen expressions per height; chance ≈ 10%)")
    report = {"results": rows, "config": vars(args), **provenance("trees.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
