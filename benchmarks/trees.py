"""Recursive nets vs a flat LSTM on nested arithmetic (mod 10), tested on trees deeper than any in training.

Training expressions have heights 1–4 ("( ( 3 + 4 ) * 2 )" has height 2); the test adds heights 5–8. The
Tree-LSTM and the classic recursive net compose each node from its children with one shared function, so the
depth of the tree does not change what they have to compute; the flat LSTM reads the parenthesised text and
must keep a stack of pending operands in its state. Accuracy by height on held-out expressions; chance is
about 10%. Not a test (tests/test_trees.py trains a quick version). Example (the figures in RESULTS.md):

    python benchmarks/trees.py --minutes 6
"""

import argparse
import os
import time

from common import provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))


def run(name, train, val, tests, minutes, units, seed=0, learning_rate=3e-3, batch_size=64, epochs=200):
    """Trains `name` (a tree model or a flat sequence classifier) and returns accuracy by test height."""
    import keras
    import numpy as np

    import rnnzoo
    from rnnzoo.serving import compile_model
    from rnnzoo.training import TimeLimit
    from rnnzoo.trees import encode_flat, encode_trees, flat_vocabulary, tree_vocabulary

    tree_model = rnnzoo.get_spec(name).task == "tree_classifier"
    vocabulary = tree_vocabulary(train.trees) if tree_model else flat_vocabulary(train.trees)
    max_depth = max(int(d.depths().max()) for d in tests.values())

    def encode(data):
        return encode_trees(data.trees, vocabulary, max_depth) if tree_model else encode_flat(data.trees, vocabulary)

    keras.utils.set_random_seed(seed)
    options = {"max_depth": max_depth} if tree_model else {}
    model = rnnzoo.build(name, vocabulary_size=len(vocabulary) + 1, num_classes=10, units=units, **options)
    compile_model(model, learning_rate=learning_rate)
    start = time.time()
    history = model.fit(encode(train), np.array(train.labels), validation_data=(encode(val), np.array(val.labels)),
                        epochs=epochs, batch_size=batch_size, verbose=0,
                        callbacks=[TimeLimit(minutes), keras.callbacks.EarlyStopping(patience=8, restore_best_weights=True)])
    accuracy = {}
    for height, data in tests.items():
        predicted = model.predict(encode(data), batch_size=256, verbose=0).argmax(-1)
        accuracy[height] = float(np.mean(predicted == np.array(data.labels)))
    return {"model": name, "parameters": model.count_params(), "accuracy_by_height": accuracy,
            "epochs": len(history.history["loss"]), "seconds": round(time.time() - start, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tree_lstm_classifier,recursive_classifier,lstm_classifier,bilstm_classifier")
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--test", type=int, default=1000, help="expressions per test height")
    ap.add_argument("--train-heights", default="1,2,3,4")
    ap.add_argument("--test-heights", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--minutes", type=float, default=6.0, help="training budget per model")
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "trees.json"))
    args = ap.parse_args(argv)

    from rnnzoo.trees import arithmetic_trees, to_text

    heights = [int(h) for h in args.train_heights.split(",")]
    train = arithmetic_trees(args.train, depths=heights, seed=0)
    val = arithmetic_trees(args.test, depths=heights, seed=1)
    seen = {to_text(t) for t in train.trees}
    tests = {}
    for h in (int(h) for h in args.test_heights.split(",")):
        data = arithmetic_trees(4 * args.test, depths=(h,), seed=100 + h)
        keep = [i for i, t in enumerate(data.trees) if to_text(t) not in seen][: args.test]
        data.trees, data.labels = [data.trees[i] for i in keep], [data.labels[i] for i in keep]
        tests[h] = data
    rows = []
    print(f"{'model':22s} {'params':>7s} " + " ".join(f"h={h:<4d}" for h in tests) + "  epochs  seconds")
    for name in args.models.split(","):
        r = run(name, train, val, tests, args.minutes, args.units)
        rows.append(r)
        print(f"{name:22s} {r['parameters']:7d} " + " ".join(f"{r['accuracy_by_height'][h]:6.1%}" for h in tests)
              + f"  {r['epochs']:6d}  {r['seconds']:7.0f}", flush=True)
    print(f"\n(trained on heights {args.train_heights}; {args.test} unseen expressions per height; chance ≈ 10%)")
    report = {"results": rows, "config": vars(args), **provenance("trees.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
