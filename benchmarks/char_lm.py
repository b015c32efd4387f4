"""Character language model on tiny-shakespeare: train within a time budget, report validation nats/char.

First 90% of ../shared/data/tinyshakespeare.txt trains, the last 10% validates (windows of the training
length, no state carried in). With `--test-fraction 0.05` the last 5% is a test part instead, scored once, at
the end, with the model the validation part (the 5% before it) selected. Not a test. Examples:

    python benchmarks/char_lm.py --minutes 50 --out saved_models/char_lstm_tiny_shakespeare   # the 2026-11 model (weights since removed)
    KERAS_BACKEND=torch python benchmarks/char_lm.py --minutes 58 --units 512 --dropout 0.25 --precision auto \
        --schedule cosine --test-fraction 0.05 --out DIR                                          # see RESULTS.md

Prints the configuration, validation nats/char after each epoch, training tokens/s; writes the best model
(by validation loss) and metrics.json (with the command line) to --out.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from common import provenance

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TEXT = os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare.txt")


def windows(ids, length, offset):
    """Non-overlapping windows of `length` inputs with next-character targets, starting at `offset`."""
    n = (len(ids) - 1 - offset) // length
    x = ids[offset:offset + n * length].reshape(n, length)
    y = ids[offset + 1:offset + 1 + n * length].reshape(n, length)
    return x, y


def character_split(path, text, cut, test_cut=None):
    """The data and split records of a char LM trained on the first `cut` characters of the text at `path`,
    validated on the characters up to `test_cut` and tested on the rest (no test part when `test_cut` is None),
    fingerprinted as `rnnzoo.datasets.load(path)` reads it."""
    from rnnzoo import datasets
    from rnnzoo.card import DataRecord, SplitRecord
    from rnnzoo.datasets.base import TextCorpus

    corpus = datasets.load(path)
    test_cut = len(text) if test_cut is None else test_cut
    held_out = "test" if test_cut < len(text) else "validation"
    held = TextCorpus([line for line in text[cut if held_out == "validation" else test_cut:].splitlines()
                       if line.strip()])
    n = len(text)
    return (DataRecord(source=os.path.basename(path), fingerprint=corpus.fingerprint(), examples=len(corpus)),
            SplitRecord(method="characters", fractions=[round(cut / n, 4), round((test_cut - cut) / n, 4),
                                                        round((n - test_cut) / n, 4)],
                        grouping="order", held_out=held_out, held_out_fingerprint=held.fingerprint(),
                        counts={"train": cut, "validation": test_cut - cut, "test": n - test_cut}))


def _card(name, encoder, args, text, cut, test_cut=None):
    """The model card: tiny-shakespeare fingerprinted, split by characters (first 90% train, then validation and
    an optional test end)."""
    from rnnzoo.card import ModelCard

    data, split = character_split(args.text, text, cut, test_cut)
    return ModelCard(model=name, task="language_model", text=encoder.get_config(), settings={"window": args.window},
                     data=data, split=split,
                     training={"call": "benchmarks/char_lm.py", "seed": 0, "command": " ".join(sys.argv)})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--minutes", type=float, default=50.0, help="training time budget")
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--units", type=int, default=256)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embedding-dim", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--learning-rate", type=float, default=2e-3)
    ap.add_argument("--jit", action="store_true", help="compile the training step with XLA (fixed-size windows: "
                    "one compilation)")
    ap.add_argument("--stop-at", type=float, default=None,
                    help="stop once validation nats/char is at or below this (time to quality)")
    ap.add_argument("--test-fraction", type=float, default=0.0,
                    help="the last part of the text kept as a test part, scored once at the end (e.g. 0.05); the "
                         "validation part is what lies between the first 90%% and it")
    ap.add_argument("--schedule", choices=["plateau", "cosine"], default="plateau",
                    help="plateau: halve the learning rate when validation stops improving (the old recipe); "
                         "cosine: from --learning-rate down to --min-lr over the time budget")
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--precision", default="float32",
                    help="float32, bfloat16 or auto: mixed-precision training (the saved model is float32)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if not 0.0 <= args.test_fraction < 0.1:
        sys.exit("--test-fraction must be in [0, 0.1): the validation part is what lies between 90% and it")

    import keras

    import rnnzoo
    from rnnzoo.fitting import array_dataset
    from rnnzoo.precision import resolve, training_precision
    from rnnzoo.saving import compile_model, save, write_json
    from rnnzoo.text import TextEncoder

    if not os.path.exists(args.text):
        sys.exit(f"{args.text} not found: pass --text PATH to tinyshakespeare.txt")
    text = open(args.text, encoding="utf-8").read()
    split = int(len(text) * 0.9)
    test_cut = int(len(text) * (1 - args.test_fraction)) if args.test_fraction else None
    encoder = TextEncoder.fit([text[:split]], level="char", min_frequency=1, normalization=None)
    train_ids = encoder.encode(text[:split])[0]
    val_ids = encoder.encode(text[split:test_cut])[0]
    test_ids = encoder.encode(text[test_cut:])[0] if test_cut else None
    precision = resolve(args.precision)
    keras.utils.set_random_seed(0)
    name = f"char_{args.cell}_language_model"
    model = rnnzoo.build(name, vocabulary_size=len(encoder), embedding_dim=args.embedding_dim, units=args.units,
                         num_layers=args.layers, dropout=args.dropout, mask_zero=False,
                         metadata=_card(name, encoder, args, text, split, test_cut).to_dict())
    compile_model(model, learning_rate=args.learning_rate, clipnorm=1.0, jit_compile=args.jit)
    config = {k: v for k, v in vars(args).items() if k not in ("text",)}
    print(f"config: {config}  vocabulary {len(encoder)}  parameters {model.count_params():,}  "
          f"train {len(train_ids):,} chars, validation {len(val_ids):,} chars"
          f"{f', test {len(test_ids):,} chars' if test_cut else ''}  precision {precision}  backend "
          f"{keras.backend.backend()}", flush=True)
    x_val, y_val = windows(val_ids, args.window, 0)

    began = time.time()
    deadline = began + args.minutes * 60

    class Budget(keras.callbacks.Callback):
        batches = 0

        def on_train_batch_begin(self, batch, logs=None):
            if args.schedule == "cosine":  # the cosine runs over the time budget, whatever the machine's speed
                done = min(1.0, (time.time() - began) / (deadline - began))
                self.model.optimizer.learning_rate = args.min_lr + (args.learning_rate - args.min_lr) * 0.5 * (
                    1 + np.cos(np.pi * done))

        def on_train_batch_end(self, batch, logs=None):
            Budget.batches += 1
            if time.time() > deadline:
                self.model.stop_training = True

    best, best_weights, history, trained_tokens, train_seconds = None, None, [], 0, 0.0
    rng = np.random.default_rng(0)
    epoch = 0
    with training_precision(model, precision):  # float32 again when it closes (the model is saved after)
        while time.time() < deadline:
            x, y = windows(train_ids, args.window, int(rng.integers(0, args.window)))
            # whole batches only: a last partial batch has a shape of its own, and the random offset changes it from
            # epoch to epoch, so every other epoch retraced (and with --jit recompiled) the training step
            order = rng.permutation(len(x))[: len(x) // args.batch_size * args.batch_size]
            start = time.time()
            # rnnzoo's pipeline, not Keras' own for NumPy arrays, whose tf.data autotuning lost seconds at the end of
            # some epochs here (benchmarks/epoch_overhead.py)
            batches = array_dataset(x[order], y[order], batch_size=args.batch_size)
            h = model.fit(batches, epochs=1, verbose=0, callbacks=[Budget()])
            seconds = time.time() - start
            done = min(len(order), Budget.batches * args.batch_size)
            Budget.batches = 0
            trained_tokens += done * args.window
            train_seconds += seconds
            val = float(model.evaluate(x_val, y_val, batch_size=256, verbose=0)[0])
            epoch += 1
            history.append({"epoch": epoch, "train_loss": float(h.history["loss"][-1]), "val_nats_per_char": val,
                            "seconds": round(seconds, 1), "elapsed_seconds": round(time.time() - began, 1),
                            "learning_rate": float(model.optimizer.learning_rate)})
            print(f"epoch {epoch}: train {h.history['loss'][-1]:.4f}  validation {val:.4f} nats/char  "
                  f"({done * args.window / seconds:,.0f} tokens/s)", flush=True)
            if best is None or val < best:
                best, best_epoch = val, epoch
                best_weights = [np.array(w) for w in model.get_weights()]
            elif args.schedule == "plateau" and len(history) >= 2 and val >= history[-2]["val_nats_per_char"]:
                model.optimizer.learning_rate = float(model.optimizer.learning_rate) * 0.5
            if args.stop_at is not None and val <= args.stop_at:
                break
    model.set_weights(best_weights)  # the epoch with the lowest validation loss, scored again in float32
    final = {"validation_nats_per_char": float(model.evaluate(x_val, y_val, batch_size=256, verbose=0)[0]),
             "validation_during_training": best, "best_epoch": best_epoch}
    if test_cut:  # looked at once, for the final figure
        x_test, y_test = windows(test_ids, args.window, 0)
        final["test_nats_per_char"] = float(model.evaluate(x_test, y_test, batch_size=256, verbose=0)[0])
    if args.out:
        save(model, os.path.join(args.out, "model.keras"), include_optimizer=False)
    best = final["validation_nats_per_char"]
    metrics = {
        **final, "epochs": epoch, "train_tokens_per_second": trained_tokens / train_seconds,
        "minutes": args.minutes, "precision": precision, "backend": keras.backend.backend(),
        "split": {"train": [0, split], "validation": [split, test_cut or len(text)],
                  "test": [test_cut, len(text)] if test_cut else None},
        "config": config, "parameters": model.count_params(),
        **provenance("char_lm.py", argv),
        "history": history,
    }
    print(f"\nbest validation: {best:.4f} nats/char (epoch {best_epoch} of {epoch})"
          f"{'; test ' + format(final['test_nats_per_char'], '.4f') if test_cut else ''}; "
          f"training {metrics['train_tokens_per_second']:,.0f} tokens/s")
    if args.out:
        write_json(metrics, os.path.join(args.out, "metrics.json"))
    print("METRICS " + json.dumps(metrics), flush=True)
    return metrics


if __name__ == "__main__":
    main()
