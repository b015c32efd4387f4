"""Sentiment accuracy, k-fold cross-validated: Bi-LSTM (PPMI vectors / from scratch) vs bag-of-words LR.

One split of 600 test sentences has a standard error of about 1.8 points; k folds cover all 4,000 sentences
and pair the models on the same folds. Not a test: run `python benchmarks/sentiment.py [--folds 5]`.
Writes benchmarks/results/sentiment.json.
"""

import argparse
import datetime
import json
import os
import platform
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()

    from rnnzoo import datasets
    from rnnzoo.baselines import bag_of_words_logistic_regression
    from rnnzoo.demo import CLASSIFIER
    from rnnzoo.text import WordTokenizer
    from rnnzoo.text.embeddings import ppmi_svd_embeddings
    from rnnzoo.training import train

    data = datasets.load("sentiment")
    tokenizer = WordTokenizer()
    review_tokens = tokenizer.tokenize(datasets.load("sentiment_reviews").texts)
    folds = np.array_split(np.random.default_rng(0).permutation(len(data)), args.folds)
    scores = {"bilstm_ppmi": [], "bilstm_scratch": [], "bow_logistic_regression": []}
    start = time.time()
    for k in range(args.folds):
        test_idx, val_idx = folds[k], folds[(k + 1) % args.folds][: len(data) // 10]
        train_idx = np.setdiff1d(np.arange(len(data)), np.concatenate([test_idx, val_idx]))
        tr, va, te = (data.subset(i) for i in (train_idx, val_idx, test_idx))
        for name, extra in (("bilstm_ppmi", {"embeddings": lambda enc: ppmi_svd_embeddings(
                review_tokens, enc.vocabulary, dim=CLASSIFIER["embedding_dim"])}), ("bilstm_scratch", {})):
            result = train("bilstm_classifier", tr, validation_data=va, test_data=te, epochs=args.epochs,
                           seed=k, verbose=0, **CLASSIFIER, **extra)
            scores[name].append(result.metrics["accuracy"])
        bow = bag_of_words_logistic_regression(tokenizer.tokenize(tr.texts), tr.labels, tokenizer.tokenize(va.texts),
                                               va.labels, tokenizer.tokenize(te.texts), te.labels)
        scores["bow_logistic_regression"].append(bow["accuracy"])
        print(f"fold {k + 1}/{args.folds}: " + ", ".join(f"{n} {v[-1]:.3f}" for n, v in scores.items()), flush=True)
    base = np.array(scores["bow_logistic_regression"])
    print(f"\n{args.folds}-fold cross-validated accuracy on {len(data)} sentences (mean ± std over folds):")
    for name, values in scores.items():
        v = np.array(values)
        diff = v - base
        print(f"  {name:26s} {v.mean():.4f} ± {v.std():.4f}   vs BoW: {diff.mean():+.4f} "
              f"(better on {(diff > 0).sum()}/{len(diff)} folds)")
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    record = {"date": datetime.date.today().isoformat(), "machine": f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores", "folds": args.folds, "scores": scores,
              "means": {n: float(np.mean(v)) for n, v in scores.items()}, "seconds": round(time.time() - start),
              "settings": CLASSIFIER}
    with open(os.path.join(os.path.dirname(__file__), "results", "sentiment.json"), "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
