"""Speech recognition on espeak-ng voices never heard in training: Bi-LSTM/Bi-GRU + CTC vs nearest-template DTW.

Training: utterances of 1–3 words (digits and ten command words) from 32 voices (4 English dialects × 8 voice
variants) at random rates and pitches. Test: 6 held-out voices (2 other dialects × 3 other variants): every
word spoken in isolation (the DTW baseline's task; its templates are the same words from every training voice),
and connected 1–3-word utterances (CTC only; DTW over whole words cannot segment them). Word error rate =
word edit distance / reference words. Not a test (tests/test_speech.py trains a quick version).

Each seed (`--seeds`) draws its own training utterances, model initialisation and isolated test set (every word
× held-out voice at a rate and pitch drawn from the seed), and both systems are scored on it; the summary gives
the median and range over seeds with the error counts. Example:

    python benchmarks/speech.py --models bigru_ctc --minutes 6 --seeds 0,1,2
"""

import argparse
import os
import time

from common import median_range, provenance, write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))


def run_seed(args, speech, templates, seed):
    """One seed: its own training data, initialisation and isolated test set; DTW and each CTC model scored on it."""
    start = time.time()
    # seed 0 keeps the data of the earlier single-seed runs; other seeds draw new utterances
    train = speech.spoken_words(args.train, voices=speech.TRAIN_VOICES, seed=10 * seed)
    validation = speech.spoken_words(300, voices=speech.TRAIN_VOICES, seed=10 * seed + 1)
    isolated = speech.spoken_words(voices=speech.TEST_VOICES, isolated=True, seed=10 * seed + 3, vary=seed > 0)
    connected = speech.spoken_words(args.test, voices=speech.TEST_VOICES, seed=10 * seed + 2)
    print(f"seed {seed}: synthesised {len(train) + len(validation) + len(templates) + len(isolated) + len(connected)} "
          f"utterances in {time.time() - start:.0f} s", flush=True)

    start = time.time()
    baseline = speech.template_baseline(isolated.features, templates.features, templates.transcripts)
    def errors(hyps, data):
        return [{"said": t, "heard": h, "voice": v} for h, t, v in zip(hyps, data.transcripts, data.voices) if h != t]

    rows = [{"model": "nearest template (DTW)", "isolated_wer": speech.word_error_rate(baseline, isolated.transcripts),
             "connected_wer": None, "seconds": round(time.time() - start, 1), "isolated_words": len(isolated),
             "isolated_errors": errors(baseline, isolated)}]
    print(f"{'model':24s} {'isolated WER':>12s} {'connected WER':>13s} {'beam':>12s}  epochs  seconds")
    print(f"{rows[0]['model']:24s} {rows[0]['isolated_wer']:12.2%} {'—':>13s} {'':12s}  {'':6s}  {rows[0]['seconds']:7.0f}")
    for name in args.models.split(","):
        start = time.time()
        import rnnzoo

        result = rnnzoo.train(name, train, validation_data=validation, epochs=200, minutes=args.minutes, units=args.units,
                                       learning_rate=2e-3, patience=6, seed=seed)
        row = {"model": name, "epochs": result.metrics["epochs_run"], "seconds": round(time.time() - start, 1),
               "parameters": result.model.count_params(), "isolated_words": len(isolated)}
        for key, data in (("isolated", isolated), ("connected", connected)):
            hyps = speech.recognize(result.model, data.features)
            row[f"{key}_wer"] = speech.word_error_rate(hyps, data.transcripts)
            if key == "isolated":
                row["isolated_errors"] = errors(hyps, data)
            beam = speech.recognize(result.model, data.features, beam_width=args.beam)
            row[f"{key}_wer_beam"] = speech.word_error_rate(beam, data.transcripts)
        per_voice = {}
        hyps = speech.recognize(result.model, connected.features)
        for voice in sorted(set(connected.voices)):
            idx = [i for i, v in enumerate(connected.voices) if v == voice]
            per_voice[voice] = speech.word_error_rate([hyps[i] for i in idx], [connected.transcripts[i] for i in idx])
        row["connected_wer_by_voice"] = per_voice
        rows.append(row)
        print(f"{name:24s} {row['isolated_wer']:12.2%} {row['connected_wer']:13.2%} "
              f"{row['isolated_wer_beam']:5.2%}/{row['connected_wer_beam']:5.2%}  {row['epochs']:6d}  "
              f"{row['seconds']:7.0f}", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="bilstm_ctc,bigru_ctc")
    ap.add_argument("--train", type=int, default=4000, help="training utterances")
    ap.add_argument("--test", type=int, default=600, help="connected test utterances")
    ap.add_argument("--minutes", type=float, default=12.0, help="training budget per model")
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--beam", type=int, default=8)
    ap.add_argument("--seeds", default="0", help="comma-separated seeds: each trains and tests on its own draw")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "speech.json"))
    args = ap.parse_args(argv)

    import numpy as np

    from rnnzoo.tasks.speech import recognize as speech

    runs = []
    templates = speech.spoken_words(voices=speech.TRAIN_VOICES, isolated=True)  # DTW's canonical templates
    for seed in [int(x) for x in args.seeds.split(",")]:
        rows = run_seed(args, speech, templates, seed)
        runs.append({"seed": seed, "results": rows})
    summary = {}
    for name in [r["model"] for r in runs[0]["results"]]:
        mine = [next(r for r in run["results"] if r["model"] == name) for run in runs]
        entry = {"seeds": [run["seed"] for run in runs],
                 "isolated_error_counts": [len(r["isolated_errors"]) for r in mine],
                 "isolated_words": mine[0]["isolated_words"]}
        entry["isolated_wer"], entry["isolated_wer_range"] = median_range([r["isolated_wer"] for r in mine])
        if mine[0].get("connected_wer") is not None:
            entry["connected_wer"], entry["connected_wer_range"] = median_range([r["connected_wer"] for r in mine])
        summary[name] = entry
    print("\nover seeds " + args.seeds + ": isolated errors per seed")
    for name, entry in summary.items():
        print(f"{name:24s} {entry['isolated_error_counts']} of {entry['isolated_words']} words; median WER "
              f"{entry['isolated_wer']:.2%} [{entry['isolated_wer_range'][0]:.2%}-{entry['isolated_wer_range'][1]:.2%}]")
    print(f"\n(held-out voices: {', '.join(speech.TEST_VOICES)}; beam: CTC beam search width {args.beam}, "
          "isolated/connected)")
    report = {"summary": summary, "runs": runs, "config": vars(args), "train_voices": list(speech.TRAIN_VOICES),
              "test_voices": list(speech.TEST_VOICES), **provenance("speech.py", argv)}
    write_json(report, args.out)
    return report


if __name__ == "__main__":
    main()
