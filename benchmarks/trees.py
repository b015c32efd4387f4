"""Recursive nets vs a flat LSTM on nested expressions, tested on trees deeper than any in training.

Default task: binary MAX/MIN over digits (the core of ListOps, Nangia & Bowman 2018), e.g.
"( ( 3 max 7 ) min 5 )" = 5; `--operators +,-,*` gives arithmetic mod 10 instead (harder: a few minutes of
training leave every model near the majority class). Training expressions have heights 1–4; the test adds
heights 5–8. The
Tree-LSTM and the classic recursive net compose each node from its children with one shared function, so the
depth of the tree does not change what they have to compute; the flat LSTM reads the parenthesised text and
must keep a stack of pending operands in its state. Accuracy by height on held-out expressions, next to the
majority-class rate of each height. Not a test (tests/test_trees.py trains a quick version). Example (the figures in RESULTS.md):

    python benchmarks/trees.py --minutes 3
"""

import argparse
import os
import time

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
    ap.add_argument("--minutes", type=float, default=3.0, help="training budget per model")
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--learning-rate", type=float, default=5e-3)
    ap.add_argument("--operators", default="max,min", help="from +,-,*,max,min")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "trees.json"))
    args = ap.parse_args(argv)

    from rnnzoo.tasks.trees.data import arithmetic_trees, to_text

    heights = [int(h) for h in args.train_heights.split(",")]
    operators = tuple(args.operators.split(","))
    train = arithmetic_trees(args.train, depths=heights, seed=0, operators=operators)
    val = arithmetic_trees(args.test, depths=heights, seed=1, operators=operators)
    seen = {to_text(t) for t in train.trees}
    tests = {}
    for h in (int(h) for h in args.test_heights.split(",")):
        data = arithmetic_trees(4 * args.test, depths=(h,), seed=100 + h, operators=operators)
        keep = [i for i, t in enumerate(data.trees) if to_text(t) not in seen][: args.test]
        data.trees, data.labels = [data.trees[i] for i in keep], [data.labels[i] for i in keep]
        if keep:  # every height-1 expression ("( 3 + 4 )": 300 of them) is in the training set
            tests[h] = data
        else:
            print(f"(height {h}: no expression outside the training set; not tested)")
    import numpy as np

    majority = {h: float(np.bincount(d.labels, minlength=10).max() / len(d)) for h, d in tests.items()}
    rows = []
    print(f"{'model':22s} {'params':>7s} " + " ".join(f"h={h:<4d}" for h in tests) + "  epochs  seconds")
    print(f"{'majority class':22s} {'':7s} " + " ".join(f"{majority[h]:6.1%}" for h in tests))
    for name in args.models.split(","):
        r = fit_and_score(name, train, val, tests, minutes=args.minutes, units=args.units,
                          learning_rate=args.learning_rate)
        rows.append(r)
        print(f"{name:22s} {r['parameters']:7d} " + " ".join(f"{r['accuracy'][h]:6.1%}" for h in tests)
              + f"  {r['epochs']:6d}  {r['seconds']:7.0f}", flush=True)
    print(f"\n(trained on heights {args.train_heights}; up to {args.test} unseen expressions per height)")
    report = {"results": rows, "majority_class": majority, "config": vars(args), **provenance("trees.py", argv)}
    write_json(report, args.out)
    return report


def fit_and_score(name, train, validation, tests, minutes, units, learning_rate):
    """Trains a tree model on the trees, or a flat sequence classifier on their parenthesised text
    (`TreeData.as_texts`), and scores it on each test set; the settings of the 2026 runs (batch 64, patience 8)."""
    import rnnzoo

    settings = dict(minutes=minutes, units=units, learning_rate=learning_rate, epochs=200, batch_size=64,
                    patience=8, verbose=0)
    start = time.time()
    if getattr(rnnzoo.get_task(rnnzoo.get_spec(name).task), "tree_input", False):
        result = rnnzoo.train(name, train, validation_data=validation, test_data=tests, **settings)
        accuracy = {h: result.metrics["accuracy"][str(h)] for h in tests}
    else:
        first = next(iter(tests.values()))
        result = rnnzoo.train(name, train.as_texts(), validation_data=validation.as_texts(),
                              test_data=first.as_texts(), min_frequency=1, **settings)
        accuracy = {h: rnnzoo.evaluate(result.trained, d.as_texts())["accuracy"] for h, d in tests.items()}
    return {"model": name, "parameters": result.model.count_params(), "accuracy": accuracy,
            "epochs": result.metrics["epochs_run"], "seconds": round(time.time() - start, 1)}


if __name__ == "__main__":
    main()
