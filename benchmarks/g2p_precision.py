"""G2P quality under mixed bfloat16 against float32 at equal epochs (issue 17, part 2: within 0.5 points of WER).

Runs `benchmarks/g2p.py` twice with the same recipe, seed and data order, once in float32 and once in mixed
bfloat16 (`--precision bfloat16`: bfloat16 compute, float32 variables and loss; since 2026-12-05 the seq2seq task
keeps its source side, `embedding,encoder_1`, in float32 by default, so runs before that date, which put the whole
model in bfloat16, are `g2p.py --precision bfloat16 --float32-layers ''`), on the validation words only
(`--skip-test`; the test words are not looked at). Both runs decode the 2,521 validation words greedily after
every epoch (in their training precision) and, at the end, again in float32 with the weights each run kept. The
two runs go side by side with one TensorFlow thread each (`--threads 1`), so their epoch times share the machine
and are not a speed figure (`benchmarks/speed.py` and `time_to_quality.py` are).

    python benchmarks/g2p_precision.py --epochs 8 --out benchmarks/results/g2p_precision.json
    python benchmarks/g2p_precision.py --epochs 6 --seed 1 --out benchmarks/results/g2p_precision_seed1.json

The JSON holds, per epoch, both runs' validation WER and PER and the difference bf16 − float32, the largest
difference, and whether every epoch is within the tolerance.

Pairs run before, one per seed, summarised together (no training): the difference per epoch and seed, its mean
over the seeds with the range, and the spread of the float32 runs' WER across seeds at each epoch, which is what
one seed's difference has to be read against. A side is a `g2p.py --results` file, or one side of a file this
script wrote (`PATH:float32`, `PATH:bfloat16`):

    python benchmarks/g2p_precision.py --pair benchmarks/results/g2p_precision.json:float32 \
        benchmarks/results/g2p_bf16_float32_source.json --pair ... --out benchmarks/results/g2p_precision_seeds.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import provenance, write_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=80.0, help="time budget of each run")
    ap.add_argument("--tolerance", type=float, default=0.005, help="largest |bf16 − float32| WER allowed")
    ap.add_argument("--subset", type=int, default=None, help="train on this many words only (a smoke run)")
    ap.add_argument("--seed", type=int, default=0, help="weights and shuffling of both runs (another seed measures "
                                                        "how much of the difference is seed-to-seed spread)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "g2p_precision.json"))
    ap.add_argument("--pair", nargs=2, action="append", metavar=("FLOAT32", "BFLOAT16"),
                    help="summarise runs made before (one pair per seed; repeat) instead of training")
    args = ap.parse_args(argv)
    if args.pair:
        return summarize(args.pair, args.tolerance, args.out, argv)
    recipe = ["--model", "bahdanau_seq2seq", "--epochs", str(args.epochs), "--minutes", str(args.minutes),
              "--dropout", "0.2", "--label-smoothing", "0.1", "--schedule", "cosine", "--min-lr", "1e-4",
              "--patience", "100", "--select", "wer", "--select-from", "1", "--threads", "1", "--skip-test"]
    if args.subset:
        recipe += ["--subset", str(args.subset)]
    if args.seed:
        recipe += ["--seed", str(args.seed)]
    runs, procs, work = {}, {}, tempfile.mkdtemp(prefix="g2p_precision_")
    for precision in ("float32", "bfloat16"):
        path = os.path.join(work, f"{precision}.json")
        log = open(os.path.join(work, f"{precision}.log"), "w")
        command = [sys.executable, os.path.join(HERE, "g2p.py"), *recipe, "--precision", precision,
                   "--results", path]
        print(" ".join(command[1:]), flush=True)
        procs[precision] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), path, log)
    for precision, (proc, path, log) in procs.items():
        if proc.wait() != 0:
            log.close()
            sys.exit(f"the {precision} run failed; its log: {log.name}")
        with open(path) as f:
            runs[precision] = json.load(f)
    epochs = []
    scores = {p: {s["epoch"]: s for s in runs[p]["validation"]["per_epoch"]} for p in runs}
    for epoch in sorted(set(scores["float32"]) & set(scores["bfloat16"])):
        a, b = scores["float32"][epoch], scores["bfloat16"][epoch]
        epochs.append({"epoch": epoch, "wer_float32": a["wer"], "wer_bfloat16": b["wer"],
                       "per_float32": a["token_error_rate"], "per_bfloat16": b["token_error_rate"],
                       "wer_bf16_minus_fp32": b["wer"] - a["wer"]})
    final = {p: runs[p]["validation"]["greedy"] for p in runs}
    report = {
        "per_epoch": epochs,
        "largest_abs_difference": max(abs(e["wer_bf16_minus_fp32"]) for e in epochs),
        "last_epoch_difference": epochs[-1]["wer_bf16_minus_fp32"],
        "within_tolerance_every_epoch": all(abs(e["wer_bf16_minus_fp32"]) <= args.tolerance for e in epochs),
        "final_float32_decoding": {p: {"wer": final[p]["wer"], "per": final[p]["token_error_rate"],
                                       "kept": runs[p]["validation"]["kept"],
                                       "selected_epoch": runs[p]["validation"]["selected_epoch"]} for p in runs},
        "epochs_run": {p: runs[p]["epochs_run"] for p in runs},
        "train_minutes_side_by_side": {p: runs[p]["train_minutes"] for p in runs},
        "tolerance": args.tolerance, "recipe": recipe, "runs": {p: runs[p]["command"] for p in runs},
        **provenance("g2p_precision.py", argv),
    }
    write_json(report, args.out)
    for e in epochs:
        print(f"epoch {e['epoch']:2d}: WER float32 {e['wer_float32']:.2%}  bfloat16 {e['wer_bfloat16']:.2%}  "
              f"difference {e['wer_bf16_minus_fp32'] * 100:+.2f} points")
    print(f"largest difference {report['largest_abs_difference'] * 100:.2f} points; within "
          f"{args.tolerance * 100:.1f} at every epoch: {report['within_tolerance_every_epoch']}")
    return report


def _side(spec):
    """{epoch: WER} of one run: a `g2p.py --results` file, or `PATH:float32` / `PATH:bfloat16` of a pair file."""
    path, _, side = spec.rpartition(":") if spec.endswith((":float32", ":bfloat16")) else (spec, "", "")
    if not os.path.exists(path):
        raise SystemExit(f"--pair: {path} does not exist")
    with open(path) as f:
        data = json.load(f)
    if side:
        if "per_epoch" not in data:
            raise SystemExit(f"--pair: {path} is not a file g2p_precision.py wrote; drop ':{side}'")
        return {e["epoch"]: e[f"wer_{side}"] for e in data["per_epoch"]}
    if "validation" not in data or "per_epoch" not in data["validation"]:
        raise SystemExit(f"--pair: {path} holds no per-epoch validation WER (a g2p.py --results file, or add "
                         "':float32' / ':bfloat16' for a file g2p_precision.py wrote)")
    return {e["epoch"]: e["wer"] for e in data["validation"]["per_epoch"]}


def summarize(pairs, tolerance, out, argv=None):
    import statistics

    sides = [(_side(a), _side(b)) for a, b in pairs]
    epochs = sorted(set.intersection(*(set(f) & set(b) for f, b in sides)))
    if not epochs:
        raise SystemExit("--pair: the runs share no epoch")
    per_epoch = []
    for epoch in epochs:
        gaps = [b[epoch] - f[epoch] for f, b in sides]
        float32 = [f[epoch] for f, _ in sides]
        per_epoch.append({"epoch": epoch, "gaps": gaps, "mean_gap": statistics.mean(gaps),
                          "gap_range": [min(gaps), max(gaps)], "float32_wer": float32,
                          "float32_spread": max(float32) - min(float32)})
    report = {"pairs": [{"float32": a, "bfloat16": b} for a, b in pairs], "seeds": len(pairs),
              "per_epoch": per_epoch, "tolerance": tolerance,
              "mean_within_tolerance_every_epoch": all(abs(e["mean_gap"]) <= tolerance for e in per_epoch),
              "every_seed_within_tolerance_every_epoch": all(abs(g) <= tolerance for e in per_epoch
                                                             for g in e["gaps"]),
              **provenance("g2p_precision.py", argv)}
    write_json(report, out)
    for e in per_epoch:
        print(f"epoch {e['epoch']}: bfloat16 − float32 " + ", ".join(f"{g * 100:+.2f}" for g in e["gaps"]) +
              f" points; mean {e['mean_gap'] * 100:+.2f}; float32 spread across seeds {e['float32_spread'] * 100:.2f}")
    print(f"mean within {tolerance * 100:.1f} points at every epoch: {report['mean_within_tolerance_every_epoch']}; "
          f"every seed at every epoch: {report['every_seed_within_tolerance_every_epoch']}")
    return report


if __name__ == "__main__":
    main()
