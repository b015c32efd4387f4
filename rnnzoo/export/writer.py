"""Export for edge devices: SavedModel (numeric and raw-string signatures) and builtins-only TFLite (float32 and
quantized), plus streaming step models for on-device generation and translation.

`export_trained(trained, directory)` (what `rnnzoo.export.export` and `TrainedModel.export` call) writes everything into a temporary directory beside `directory` and renames it into
place, so a failed export never leaves a half-written directory, and it refuses to replace an existing export
unless `overwrite=True`. Exports are strict: every TFLite file is run and compared with Keras on the same inputs
(held-out examples of the model's own data where its card names a source that loads, else random inputs), and a
form that fails to convert or differs from Keras by more than its tolerance (`TOLERANCES`) raises `ExportError`
naming the form, the file and the difference; nothing is written. `strict=False` records the failure in
`export.json` instead, with a warning. Every export carries `export.json`: model, task, text pipeline, signatures, files
with their sizes, ops and measured latency, metrics, and versions.

This is the only module that imports TFLite; it needs the TensorFlow backend for tracing.
"""

import json
import os
import shutil
import tempfile
import time
import warnings

import numpy as np

from rnnzoo.names import EMBEDDING, EXPORT_FILE, ONE_HOT, TARGET, TARGET_EMBEDDING
from rnnzoo.progress import Progress
from rnnzoo.text.vocabulary import START_ID
from rnnzoo.version import __version__
from rnnzoo.export.tflite import (
    QUANTIZATIONS,
    TFLiteModel,
    convert,
    device_neutral,
    op_names,
    recurrent_ops,
)

__all__ = ["export_trained", "ExportError", "TOLERANCES", "TFLiteModel", "convert", "device_neutral", "op_names",
           "recurrent_ops", "QUANTIZATIONS"]
DEFAULT_LENGTH = 64
# The largest |TFLite − Keras| accepted per quantization, as a fraction of max(1, max |Keras output|) on the
# check inputs. float32 must match to rounding. The quantized forms were measured (2026-12-02): on held-out text,
# dynamic ≤ 1.6e-4, float16 ≤ 4.7e-6, int8 ≤ 0.022 on probabilities (benchmarks/results/export_forms.json); on
# random inputs, a small captioner's logits moved by up to 3.6% of their largest value under dynamic-range
# quantization (tests/test_captioning.py). The tolerances leave a margin over that and still catch a wrong file:
# a wrong weight, a lost mask or state moves outputs by the order of the outputs themselves.
TOLERANCES = {"float32": 1e-5, "float16": 1e-3, "dynamic": 5e-2, "int8": 0.1}


class ExportError(RuntimeError):
    """A requested export form failed to convert, or its parity check with Keras exceeded its tolerance."""

    def __init__(self, failures):
        self.failures = failures
        super().__init__("Export failed; nothing was written:\n" + "\n".join(f"  - {f}" for f in failures) +
                         "\nPass strict=False (--no-strict) to write the other files and record these failures in "
                         "export.json, or leave out the failing form (quantize=..., fused=False).")


def _sample_inputs(model, specs, count=4, seed=0):
    """Random inputs shaped like `specs` (batch 1): right-padded token ids, or normal noise for dense inputs."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample = []
        for spec, tensor in zip(specs, model.inputs):
            shape = tuple(spec.shape)
            if spec.dtype.is_floating:
                sample.append(rng.normal(size=shape).astype("float32"))
                continue
            if len(shape) != 2:  # structure inputs (a tree's children) : all-zero is a valid encoding
                sample.append(np.zeros(shape, spec.dtype.as_numpy_dtype))
                continue
            num_ids = _num_ids(model, tensor.name)
            ids = np.zeros(shape, "int32")
            n = int(rng.integers(max(1, shape[1] // 2), shape[1] + 1))
            ids[0, :n] = rng.integers(4 if num_ids > 4 else 1, num_ids, n)  # real tokens, past the reserved ids
            if tensor.name == TARGET:
                ids[0, 0] = START_ID  # a decoder input starts with [START]
            sample.append(ids)
        samples.append(sample)
    return samples


def _num_ids(model, input_name):
    """Number of ids an input accepts (from its embedding or one-hot layer)."""
    names = {layer.name: layer for layer in model.layers}
    layer = names[TARGET_EMBEDDING] if input_name == TARGET else names.get(EMBEDDING, names.get(ONE_HOT))
    return int(getattr(layer, "input_dim", None) or layer.num_tokens)


def _parity(entry, diffs, expected, quantization):
    """Records the measured difference, the tolerance it is held to and whether it holds."""
    scale = max(1.0, max(float(np.abs(y).max()) for y in expected))
    entry["max_abs_diff_vs_keras"] = max(diffs)
    entry["tolerance"] = TOLERANCES[quantization] * scale
    entry["within_tolerance"] = bool(np.isfinite(max(diffs)) and max(diffs) <= entry["tolerance"])


def _check_samples(trained, specs, data=None, count=4):
    """Inputs for the parity checks: up to `count` held-out examples of `data` (default: the source the model's
    card names) encoded by the model's own pipeline and padded to the export shapes, and where they come from;
    random inputs when there is no such data (a model without a text pipeline, a source that does not load)."""
    from rnnzoo.evaluation import held_out, resolve_data

    model, card = trained.model, trained.card
    source = data if data is not None else (card.data.source if card.data else None)
    int_inputs = all(not s.dtype.is_floating and len(s.shape) == 2 for s in specs)
    reason = "random inputs: the model has no text pipeline"
    if source is not None and card.text and int_inputs:
        try:
            task = trained.task
            loaded, name = resolve_data(source, task)
            part, described = held_out(card, loaded, name)
            examples = task.encode(part, trained.encoder, trained.outputs, card.get("window"))
            columns = examples.inputs if isinstance(examples.inputs, tuple) else (examples.inputs,)
            if len(columns) != len(specs) or not len(examples):
                raise ValueError("the encoded examples do not match the model's inputs")
            picks = np.linspace(0, len(examples) - 1, min(count, len(examples))).astype(int)
            samples = []
            for i in picks:
                sample = []
                for column, spec in zip(columns, specs):
                    ids = np.zeros(tuple(spec.shape), spec.dtype.as_numpy_dtype)
                    row = np.asarray(column[i])[: spec.shape[1]]
                    ids[0, : len(row)] = row
                    sample.append(ids)
                samples.append(sample)
            return samples, f"{len(samples)} examples of the {described}"
        except Exception as e:  # noqa: BLE001 — any data problem falls back to random inputs, and says why
            reason = f"random inputs: the held-out examples of {source!r} could not be used ({str(e)[:200]})"
    elif source is None and card.text:
        reason = "random inputs: the model card names no data source"
    return _sample_inputs(model, specs), reason


def _latency_ms(runner, feeds, repeats=20):
    runner(**feeds)  # warm-up (allocations, XNNPACK packing)
    start = time.perf_counter()
    for _ in range(repeats):
        runner(**feeds)
    return (time.perf_counter() - start) / repeats * 1000


def _full_model_specs(model, sequence_length, target_length):
    import tensorflow as tf

    specs = []
    for tensor in model.inputs:  # free axes become the export length; fixed ones (image size, features) stay
        length = target_length if tensor.name == TARGET else sequence_length
        shape = [1] + [length if d is None else int(d) for d in tensor.shape[1:]]
        specs.append(tf.TensorSpec(shape, tf.as_dtype(tensor.dtype), name=tensor.name))
    return specs


def _write(path, content):
    with open(path, "wb") as f:
        f.write(content)
    return len(content)


def _onnx_files(trained, directory, quantize):
    """Writes `model.onnx` (and `step.onnx` for language models, `model_dynamic.onnx` when "dynamic" is in
    `quantize`), or `encoder.onnx` + `decoder_step.onnx` for seq2seq models and captioners, into `directory`
    (`rnnzoo.export.onnx`); returns the export.json entries: bytes, operator types, the recurrent operators, and
    max |ONNX Runtime − Keras| on a padded batch of 3 at length 11 (valid positions; for the pair, the logits of
    the step file fed the target ids one at a time against the teacher-forced Keras model), with its tolerance.
    A model ONNX cannot express gets an entry saying why."""
    import rnnzoo.export.onnx as onnx_export

    model = trained.model
    report = {}
    decoder = getattr(trained.task, "decoder", False)
    if decoder:  # encoder–decoders: the pair OnnxDecoder steps
        try:
            encoder, step = onnx_export.seq2seq_to_onnx(model)
        except onnx_export.OnnxExportError as e:
            return {name: {"error": str(e), "quantization": "float32", "format": "onnx"}
                    for name in ("encoder.onnx", "decoder_step.onnx")}
        x, y = onnx_export.seq2seq_parity_inputs(model)
        expected = [onnx_export.keras_outputs(model, [x, y])]
        difference = onnx_export.teacher_forced_difference(model, encoder, step, x, y)
        units = [("encoder.onnx", encoder, "float32", lambda p: difference),
                 ("decoder_step.onnx", step, "float32", lambda p: difference)]
    else:
        try:
            proto = onnx_export.to_onnx(model)
        except onnx_export.OnnxExportError as e:
            return {"model.onnx": {"error": str(e), "quantization": "float32", "format": "onnx"}}
        x = onnx_export.parity_inputs(model)
        expected = [onnx_export.keras_outputs(model, x)]
        units = [("model.onnx", proto, "float32", lambda p: onnx_export.max_valid_difference(model, p, x))]
    if trained.task.name == "language_model":
        try:
            units.append(("step.onnx", onnx_export.to_onnx(model, step=True), "float32",
                          lambda p: onnx_export.step_difference(model, p, x)))
        except onnx_export.OnnxExportError as e:
            report["step.onnx"] = {"error": str(e), "quantization": "float32", "format": "onnx"}
    if "dynamic" in quantize and not decoder:  # the pair's states feed back every step: it stays float32
        units.append(("model_dynamic.onnx", onnx_export.dynamic_int8(proto), "dynamic",
                      lambda p: onnx_export.max_valid_difference(model, p, x)))
    for file, content, quantization, measure in units:
        ops = onnx_export.op_types(content)
        entry = {"format": "onnx", "bytes": _write(os.path.join(directory, file), content.SerializeToString()),
                 "quantization": quantization, "ops": ops, "opset": onnx_export.OPSET,
                 "recurrence": ", ".join(o for o in ops if o in onnx_export.RECURRENT_OPS + ("DynamicQuantizeLSTM",))
                 or "none", "inputs": [i.name for i in content.graph.input]}
        _parity(entry, [measure(content)], expected, quantization)
        report[file] = entry
    return report


def _tflite_files(trained, directory, quantize, sequence_length, target_length, representative, fused=True,
                  parity_data=None):
    """Converts the full-sequence model and (for LMs, seq2seq and captioners) the streaming steps of a
    `TrainedModel`; returns the file report and a sentence saying which inputs the parity checks used."""
    model, task = trained.model, trained.task
    report = {}
    specs = _full_model_specs(model, sequence_length, target_length)
    names = [s.name for s in specs]

    def full(*inputs):
        return {"output": model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)}

    samples, checked_on = _check_samples(trained, specs, parity_data)
    calibration = representative or samples

    calibrate = [{n: np.asarray(v) for n, v in zip(names, sample)} for sample in calibration]

    expected = [np.asarray(model.predict(s if len(s) > 1 else s[0], verbose=0)) for s in samples]
    units = [("model", full, specs, samples, expected)]
    units += [(base, fn, fn_specs, None, None) for base, fn, fn_specs in
              task.streaming_units(trained, sequence_length)]
    forms = ("float32",) + tuple(q for q in quantize if q != "float32")
    bar = Progress(len(units) * len(forms), "converting to TFLite (quantized forms calibrate)")
    for base, fn, fn_specs, inputs, outputs in units:
        for q in forms:
            bar.add(1)
            if q == "int8" and base != "model":
                continue  # the step models keep float activations: their states feed back every step
            file = f"{base}.tflite" if q == "float32" else f"{base}_{q}.tflite"
            try:
                content = convert(fn, fn_specs, q, calibrate if q == "int8" else None)
            except RuntimeError as e:
                report[file] = {"error": str(e)[:500], "quantization": q}
                continue
            entry = {"bytes": _write(os.path.join(directory, file), content), "quantization": q,
                     "recurrence": recurrent_ops(content), "ops": op_names(content),
                     "inputs": {s.name: list(s.shape) for s in fn_specs}}
            runner = TFLiteModel(content)
            feeds = ({n: v for n, v in zip(names, inputs[0])} if inputs else
                     {n: np.zeros(shape, dtype) for n, (shape, dtype) in runner.inputs.items()})
            entry["latency_ms"] = round(_latency_ms(runner, feeds), 3)
            if inputs:
                diffs = [float(np.abs(runner(**dict(zip(names, x)))["output"] - y).max())
                         for x, y in zip(inputs, outputs)]
                _parity(entry, diffs, outputs, q)
            report[file] = entry
    bar.close()
    if fused:
        report.update(_fused_files(model, directory, quantize, sequence_length))
    return report, checked_on


def _fused_files(model, directory, quantize, sequence_length):
    """`model_fused.tflite` (+ quantized variants): the fused-LSTM form, where the model has an LSTM and its graph
    is one the tf-keras twin covers; otherwise an entry saying why there is none."""
    import rnnzoo.export.fused as fused_export

    if not fused_export.has_lstm(model):
        return {}
    if len(model.inputs) != 1:
        return {"model_fused.tflite": {"skipped": "the fused export does not handle models with several inputs "
                                                  "(encoder–decoders); their step files carry no loop anyway"}}
    report = {}
    samples = fused_export.full_length_samples(model, sequence_length)
    expected = [np.asarray(model.predict(x, verbose=0)) for x in samples]
    exact = ("any input (the model has no mask)" if fused_export.mask_free(model) else
             f"inputs that fill all {sequence_length} positions (the fused op has no mask)")
    for q in ("float32",) + tuple(quantize):
        file = "model_fused.tflite" if q == "float32" else f"model_fused_{q}.tflite"
        try:
            content, _ = fused_export.convert_fused(model, sequence_length, q)
        except ValueError as e:  # a graph the twin does not mirror (e.g. attention decoders): no fused form
            if q == "float32":
                return {"model_fused.tflite": {"skipped": str(e)[:500]}}
            report[file] = {"error": str(e)[:500], "quantization": q}
            continue
        except (ImportError, RuntimeError) as e:  # this variant failed; the files already written stay recorded
            report[file] = {"error": str(e)[:500], "quantization": q}
            continue
        runner = TFLiteModel(content)
        name = next(iter(runner.inputs))
        entry = {"bytes": _write(os.path.join(directory, file), content), "quantization": q,
                 "recurrence": recurrent_ops(content), "ops": op_names(content),
                 "inputs": {n: list(shape) for n, (shape, _) in runner.inputs.items()}, "exact_for": exact,
                 "reset_state_between_calls": True,
                 "latency_ms": round(_latency_ms(runner, {name: samples[0]}), 3)}
        diffs = [float(np.abs(next(iter(runner(**{name: x}).values())) - y).max()) for x, y in zip(samples, expected)]
        _parity(entry, diffs, expected, q)
        entry["max_abs_diff_vs_keras_full_length"] = entry["max_abs_diff_vs_keras"]
        report[file] = entry
    return report


def describe_files(info):
    """One line per TFLite file of an export report: size, latency and recurrence form, or why it was not written
    (an error, or a form the model has none of)."""
    lines = []
    for name, entry in info["files"].items():
        if "bytes" in entry:
            parity = ("" if "max_abs_diff_vs_keras" not in entry else
                      f"  |Δ| {entry['max_abs_diff_vs_keras']:.1e}" + ("" if entry["within_tolerance"] else
                                                                       f" > tolerance {entry['tolerance']:.1e}"))
            if entry.get("format") == "onnx":
                lines.append(f"{name:28s} {entry['bytes'] / 1024:9.1f} KiB  opset {entry['opset']}  "
                             f"{entry['recurrence']:10s} {len(entry['ops'])} ONNX op types{parity}")
                continue
            lines.append(f"{name:28s} {entry['bytes'] / 1024:9.1f} KiB  {entry['latency_ms']:8.3f} ms  "
                         f"{entry['recurrence']:10s} {len(entry['ops'])} builtin ops{parity}")
        else:
            lines.append(f"{name:28s} not written: {(entry.get('error') or entry.get('skipped', ''))[:160]}")
    return lines


def failures(info):
    """What went wrong in an export report: forms that failed to convert, and parity checks over tolerance."""
    found = []
    files = info.get("files", {})
    for name, entry in files.items():
        if name == "model_int8.tflite" and "error" in entry and files.get("model_fused_int8.tflite", {}).get(
                "within_tolerance"):
            continue  # TF's calibrator cannot run WHILE graphs; the fused file is this model's int8 form
        if "error" in entry:
            found.append(f"{name} ({entry.get('quantization', 'float32')}): conversion failed: {entry['error'][:300]}")
        elif entry.get("within_tolerance") is False:
            runtime = "ONNX Runtime" if name.endswith(".onnx") else "TFLite"
            found.append(f"{name} ({entry['quantization']}): max |{runtime} − Keras| = {entry['max_abs_diff_vs_keras']:.3g}"
                         f" on {info.get('parity_inputs', 'the check inputs')}, over its tolerance "
                         f"{entry['tolerance']:.3g}")
    return found


def export_trained(trained, directory, saved_model=True, tflite=True, quantize=("dynamic",), sequence_length=None,
           target_length=None, overwrite=False, representative=None, metrics=None, fused=True, strict=True,
           parity_data=None, onnx=False):
    """Exports a `TrainedModel` for serving and devices (`rnnzoo.export.export` takes any form of a trained model).

    Args:
        trained: `TrainedModel`.
        directory: str. Where the export goes (must not exist unless `overwrite=True`).
        saved_model: bool. Write `saved_model/` with a numeric signature and, for models with a text pipeline,
            a raw-string one (`predict_text`, `generate` or `translate`).
        tflite: bool. Write builtins-only TFLite files: `model.tflite` (batch 1, inputs right-padded to
            `sequence_length`), streaming `step.tflite` (language models) or `encoder.tflite` +
            `decoder_step.tflite` (seq2seq), and the quantized variants.
        onnx: bool. Also write ONNX files with ONNX's own LSTM / GRU / RNN operators (`rnnzoo.export.onnx`):
            `model.onnx` (dynamic batch and time axes; token models take int64 ids and compute their lengths),
            `step.onnx` for language models (ids and states in, logits and states out), and
            `model_dynamic.onnx` (ONNX Runtime's dynamic int8) when "dynamic" is in `quantize`; seq2seq models
            and captioners get `encoder.onnx` + `decoder_step.onnx` instead, decoded (greedy or beam search)
            by `rnnzoo.export.onnx_decoder.OnnxDecoder` or `TrainedModel.with_onnx(DIR)`.
            `onnx=True, saved_model=False, tflite=False` writes ONNX alone (and runs on any Keras backend).
        quantize: iterable of "dynamic", "float16", "int8" (int8 for the full model only).
        fused: bool. Also write `model_fused.tflite` (and its dynamic/float16 variants) for models with an LSTM:
            the fused `UNIDIRECTIONAL_SEQUENCE_LSTM` form built through a tf-keras twin (see
            `rnnzoo.export.fused`), for runtimes that cannot run WHILE loops. It has no mask (exact for inputs
            that fill the export length, or always for real-valued inputs) and keeps its state in variable
            tensors: call `interpreter.reset_all_variables()` before each sequence.
        sequence_length: int or None. Static input length of the TFLite files (default: the text pipeline's
            `max_length`, else 64).
        target_length: int or None. Seq2seq: static target length of `model.tflite`.
        overwrite: bool. Replace an existing export.
        representative: list of input lists for int8 calibration (default: random inputs).
        metrics: dict or None. Recorded in export.json (default: metrics.json beside the model's file, if any).
        strict: bool. Raise `ExportError` (and write nothing) when a requested form fails to convert or differs
            from Keras by more than `TOLERANCES[quantization] × max(1, max|output|)`. False: write the rest,
            record the failures in export.json and warn.
        parity_data: a data source (name, path or dataset) whose held-out examples the parity checks run on
            (default: the source in the model card, when it loads; else random inputs). export.json says which.

    Returns:
        The export.json content as a dict.

    Raises:
        ExportError: in strict mode, a form failed or broke its tolerance.

    Examples:
    >>> rnnzoo.load("g2p_bahdanau_cmudict").export("exports/g2p", quantize=["dynamic"])  # doctest: +SKIP
    """
    import keras

    from rnnzoo.names import METRICS_FILE

    if (saved_model or tflite) and keras.backend.backend() != "tensorflow":
        raise RuntimeError("SavedModel and TFLite export trace TensorFlow graphs; run it with "
                           "KERAS_BACKEND=tensorflow (ONNX alone, onnx=True with saved_model=tflite=False, runs "
                           "on any backend).")
    model = trained.model
    beside = os.path.join(os.path.dirname(trained.path), METRICS_FILE) if trained.path else None
    if metrics is None and beside and os.path.exists(beside):
        with open(beside) as f:
            metrics = json.load(f)
    unknown = set(quantize) - set(QUANTIZATIONS)
    if unknown:
        raise ValueError(f"Unknown quantization {sorted(unknown)}; use any of {QUANTIZATIONS[1:]}.")
    if not (saved_model or tflite or onnx):
        raise ValueError("Nothing to export: pass saved_model=True, tflite=True and/or onnx=True.")
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise FileExistsError(f"{directory} exists; pass overwrite=True (--overwrite) to replace it.")
    card = trained.card
    task = trained.task.name
    sequence_length = int(sequence_length or (card.text or {}).get("max_length") or DEFAULT_LENGTH)
    # the teacher-forced target input of model.tflite: the longest training target ([START] and [END] included)
    target_length = int(target_length or (card.get("max_target_length") or DEFAULT_LENGTH // 2) + 2)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-export-")
    try:
        clean = type(trained)(device_neutral(model), card, trained.task, trained.path) if (saved_model or tflite) \
            else trained  # same card, no re-read
        info = {"model": card.model or model.name, "task": task, "rnnzoo": __version__,
                "tensorflow": __import__("tensorflow").__version__ if (saved_model or tflite) else None,
                "keras": keras.__version__,
                "text": card.text, "target_text": card.target_text, "labels": card.labels,
                "metrics": metrics, "sequence_length": sequence_length, "files": {}, "signatures": {}}
        if tflite:
            info["files"], info["parity_inputs"] = _tflite_files(clean, tmp, tuple(quantize), sequence_length,
                                                                 target_length, representative, fused=fused,
                                                                 parity_data=parity_data)
            info["tolerances"] = {q: TOLERANCES[q] for q in ("float32",) + tuple(quantize)}
            problems = failures(info)
            if problems and strict:
                raise ExportError(problems)
            for problem in problems:
                warnings.warn(f"export: {problem}", stacklevel=2)
        if onnx:
            info["files"].update(_onnx_files(trained, tmp, tuple(quantize)))
            info.setdefault("tolerances", {}).update({q: TOLERANCES[q] for q in ("float32",) + tuple(quantize)})
            problems = [p for p in failures(info) if ".onnx" in p]
            if problems and strict:
                raise ExportError(problems)
            for problem in problems:
                warnings.warn(f"export: {problem}", stacklevel=2)
        if saved_model:
            from rnnzoo.export.saved_model import write as write_saved_model

            info["signatures"] = write_saved_model(clean, os.path.join(tmp, "saved_model"))
        with open(os.path.join(tmp, EXPORT_FILE), "w") as f:
            json.dump(info, f, indent=2, default=float)
        os.chmod(tmp, 0o755)
        old = None
        if os.path.exists(directory):
            old = tempfile.mkdtemp(dir=parent, prefix=".old-export-")
            os.replace(directory, os.path.join(old, "export"))
        os.replace(tmp, directory)
        if old:
            shutil.rmtree(old)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return info
