"""Export: every registered model converts to builtins-only TFLite and matches Keras; trained text models export
SavedModel raw-string signatures and streaming step models whose greedy outputs equal the Keras ones exactly."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from model_checks import has_time_axis, tiny
from rnnzoo.datasets import synthetic
from rnnzoo.export import TFLiteModel, convert, device_neutral, export, op_names
from rnnzoo.export.streaming import greedy_lm, greedy_translate
from rnnzoo.text import pad_sequences

LENGTH = 12


@pytest.mark.slow
@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_model_converts_with_builtin_ops_and_matches_keras(name):
    model, spec, task, (x, y) = tiny(name)
    model = device_neutral(model)
    columns = tuple(c[:, :LENGTH] if time else c for c, time in zip(x if isinstance(x, tuple) else (x,),
                                                                   has_time_axis(model)))
    specs = [tf.TensorSpec((1,) + c.shape[1:], tf.as_dtype(c.dtype), name=t.name) for c, t in zip(columns, model.inputs)]
    content = convert(lambda *a: {"output": model(list(a) if len(a) > 1 else a[0], training=False)}, specs)
    ops = op_names(content)
    assert not [op for op in ops if "Flex" in op or "Cudnn" in op or not op.isupper()], ops
    runner = TFLiteModel(content)
    for row in range(3):
        feeds = {t.name: c[row:row + 1] for c, t in zip(columns, model.inputs)}
        keras_out = model.predict(tuple(feeds.values()) if len(feeds) > 1 else next(iter(feeds.values())), verbose=0)
        np.testing.assert_allclose(runner(**feeds)["output"], keras_out, atol=1e-5)


FUSABLE = [n for n in rnnzoo.list_models()
           if "num_layers" in rnnzoo.get_spec(n).options() and rnnzoo.get_spec(n).defaults.get("cell") == "lstm"
           and rnnzoo.get_spec(n).task != "seq2seq"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FUSABLE)
def test_lstm_models_export_the_fused_op_and_match_keras(name):
    from rnnzoo.export.fused import convert_fused, full_length_samples, mask_free

    model, spec, task, (x, y) = tiny(name)
    content, _ = convert_fused(model, LENGTH)
    ops = op_names(content)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops and "WHILE" not in ops, ops
    assert not [op for op in ops if "Flex" in op or not op.isupper()], ops
    runner = TFLiteModel(content)
    name_in = next(iter(runner.inputs))
    samples = full_length_samples(model, LENGTH, count=3)
    for sample in samples + samples[:1]:  # the repeat checks the fused op's state is reset between calls
        out = next(iter(runner(**{name_in: sample}).values()))
        np.testing.assert_allclose(out, model.predict(sample, verbose=0), atol=1e-5)
    if mask_free(model):  # real-valued inputs: exact for any input, e.g. the shared random batch
        sample = x[:1, :LENGTH]
        np.testing.assert_allclose(next(iter(runner(**{name_in: sample}).values())), model.predict(sample, verbose=0),
                                   atol=1e-5)


def test_fused_form_quantizes_to_full_integer_int8():
    from rnnzoo.export.fused import convert_fused, full_length_samples

    model = rnnzoo.build("lstm_classifier", vocabulary_size=50, num_classes=3, units=16)
    samples = full_length_samples(model, LENGTH, count=16)
    content, _ = convert_fused(model, LENGTH, "int8", representative=samples)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in op_names(content) and "WHILE" not in op_names(content)
    runner = TFLiteModel(content)
    name = next(iter(runner.inputs))
    for sample in samples[:4]:
        np.testing.assert_allclose(next(iter(runner(**{name: sample}).values())), model.predict(sample, verbose=0),
                                   atol=0.08)  # int8 activations: close, not equal


def test_fused_export_refuses_graphs_it_cannot_mirror():
    from rnnzoo.export.fused import convert_fused

    model, *_ = tiny("bahdanau_seq2seq")
    with pytest.raises(ValueError, match="fused export does not handle|step model"):
        convert_fused(model, LENGTH)


def test_device_neutral_copy_turns_cudnn_off_and_keeps_weights():
    model = rnnzoo.build("bigru_classifier", vocabulary_size=20, num_classes=2, units=4)
    clean = device_neutral(model)
    recurrent = [l for l in clean._flatten_layers() if type(l).__name__ in ("LSTM", "GRU")]
    assert recurrent and all(l.use_cudnn is False for l in recurrent)
    for a, b in zip(model.get_weights(), clean.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def dates_export(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    result = rnnzoo.train("luong_seq2seq", synthetic.dates(2000, seed=0), epochs=3, units=24, embedding_dim=16,
                          batch_size=64, learning_rate=3e-3, verbose=0, translation_limit=0)
    info = export(result.model, str(root / "dates"), quantize=("dynamic",), sequence_length=40)
    return result.model, str(root / "dates"), info


@pytest.mark.slow
def test_export_directory_and_metadata(dates_export):
    model, path, info = dates_export
    files = set(os.listdir(path))
    assert {"export.json", "saved_model", "model.tflite", "model_dynamic.tflite", "encoder.tflite",
            "decoder_step.tflite"} <= files
    saved = json.load(open(os.path.join(path, "export.json")))
    assert saved["task"] == "seq2seq" and saved["text"]["vocabulary"] and "translate" in saved["signatures"]
    for name, entry in saved["files"].items():
        if "skipped" in entry:
            continue
        assert "error" not in entry, (name, entry)
        assert not [op for op in entry["ops"] if "Flex" in op or "Cudnn" in op]
    assert saved["files"]["model.tflite"]["max_abs_diff_vs_keras"] < 1e-5
    assert "fused export does not handle" in saved["files"]["model_fused.tflite"]["skipped"]  # encoder–decoder
    with pytest.raises(FileExistsError, match="overwrite"):
        export(model, path)
    assert not [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".tmp-export")]


@pytest.mark.slow
def test_streaming_tflite_translation_equals_keras(dates_export):
    model, path, _ = dates_export
    encoder = TFLiteModel(os.path.join(path, "encoder.tflite"))
    step = TFLiteModel(os.path.join(path, "decoder_step.tflite"))
    source_encoder = rnnzoo.TrainedModel.of(model).encoder
    target_encoder = rnnzoo.TrainedModel.of(model).target_encoder
    texts = synthetic.dates(20, seed=5).sources
    keras_out = rnnzoo.translate(model, texts)
    for text, expected in zip(texts, keras_out):
        ids, weights = greedy_translate(encoder, step, source_encoder.encode(text)[0], 30)
        assert target_encoder.decode([i for i in ids if i != 3]) == expected
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_saved_model_translates_raw_strings(dates_export):
    import tensorflow_text  # noqa: F401  (the tokenizer ops)

    model, path, _ = dates_export
    loaded = tf.saved_model.load(os.path.join(path, "saved_model"))
    texts = synthetic.dates(8, seed=6).sources
    out = loaded.signatures["translate"](texts=tf.constant(texts))["translation"].numpy()
    assert [o.decode() for o in out] == rnnzoo.translate(model, texts)
    source = rnnzoo.TrainedModel.of(model).encoder
    ids = pad_sequences(source.encode(texts[:2]))
    target = np.array([[2, 5, 6], [2, 7, 0]], "int32")
    numeric = loaded.signatures["serving_default"](source=tf.constant(ids), target=tf.constant(target))["output"]
    np.testing.assert_allclose(numeric.numpy(), model.predict((ids, target), verbose=0), atol=1e-5)


def test_language_model_streaming_and_saved_model_generation(tmp_path):
    import tensorflow_text  # noqa: F401

    corpus = rnnzoo.datasets.TextCorpus(["to be or not to be, that is the question. " * 40] * 3)
    lm = rnnzoo.train("char_gru_language_model", corpus, epochs=1, units=16, embedding_dim=8, verbose=0).model
    export(lm, str(tmp_path / "lm"), quantize=(), sequence_length=20)
    step = TFLiteModel(str(tmp_path / "lm" / "step.tflite"))
    encoder = rnnzoo.TrainedModel.of(lm).encoder
    expected = rnnzoo.generate(lm, "to be", max_length=30, sampler="greedy")
    ids = greedy_lm(step, encoder.encode("to be")[0], 30)
    assert "to be" + encoder.decode(ids[len("to be"):]) == expected
    loaded = tf.saved_model.load(str(tmp_path / "lm" / "saved_model"))
    generated = loaded.signatures["generate"](texts=tf.constant(["to be"]))["text"].numpy()[0].decode()
    # the signature generates up to 64 new tokens (export's default): the same as rnnzoo.generate with max_length=64
    assert generated == rnnzoo.generate(lm, "to be", max_length=64, sampler="greedy")


def test_classifier_saved_model_predicts_labels(tmp_path):
    import tensorflow_text  # noqa: F401

    data = rnnzoo.datasets.TextClassificationData(["good fun film", "bad dull film"] * 40, ["pos", "neg"] * 40)
    model = rnnzoo.train("gru_classifier", data, epochs=2, units=8, embedding_dim=8, verbose=0,
                         min_frequency=1).model
    info = export(model, str(tmp_path / "clf"), quantize=("dynamic", "float16"), sequence_length=16,
                  parity_data=data)
    assert {"model_dynamic.tflite", "model_float16.tflite"} <= set(info["files"])
    assert info["parity_inputs"].startswith("4 examples of the held-out")  # its own data, not random ids
    assert all(e["within_tolerance"] for e in info["files"].values() if "max_abs_diff_vs_keras" in e)
    loaded = tf.saved_model.load(str(tmp_path / "clf" / "saved_model"))
    texts = ["good fun film", "bad dull film", "a film never seen"]
    out = loaded.signatures["predict_text"](texts=tf.constant(texts))
    expected = rnnzoo.predict_text(model, texts)
    assert [l.decode() for l in out["label"].numpy()] == [e["label"] for e in expected]
    np.testing.assert_allclose(out["probability"].numpy(), [e["probability"] for e in expected], atol=1e-5)


def _leftovers(path):
    return [p for p in os.listdir(path) if p.startswith(".tmp-export-") or p.startswith(".old-export-")]


def test_strict_export_raises_on_a_failed_form_and_writes_nothing(tmp_path, monkeypatch):
    import rnnzoo.export.writer as ex

    real = ex.convert

    def failing(fn, specs, quantization="float32", representative=None):
        if quantization == "dynamic":
            raise RuntimeError("converter crashed (forced by the test)")
        return real(fn, specs, quantization, representative)

    monkeypatch.setattr(ex, "convert", failing)
    model = rnnzoo.build("gru_classifier", vocabulary_size=20, num_classes=2, units=4)
    with pytest.raises(ex.ExportError, match=r"model_dynamic\.tflite \(dynamic\): conversion failed: converter crashed"):
        export(model, str(tmp_path / "x"), quantize=("dynamic",), saved_model=False, sequence_length=8)
    assert not os.path.exists(tmp_path / "x") and _leftovers(tmp_path) == []
    with pytest.warns(UserWarning, match="model_dynamic.tflite"):
        info = export(model, str(tmp_path / "x"), quantize=("dynamic",), saved_model=False, sequence_length=8,
                      strict=False)
    assert "error" in info["files"]["model_dynamic.tflite"] and info["files"]["model.tflite"]["within_tolerance"]
    assert os.path.exists(tmp_path / "x" / "model.tflite") and not os.path.exists(tmp_path / "x" / "model_dynamic.tflite")


def test_strict_export_raises_on_a_parity_breach(tmp_path, monkeypatch):
    import rnnzoo.export.writer as ex

    class Off(ex.TFLiteModel):  # a file that runs but answers 1e-3 away from Keras (a wrong weight, say)
        def __call__(self, **feeds):
            return {k: v + 1e-3 for k, v in super().__call__(**feeds).items()}

    monkeypatch.setattr(ex, "TFLiteModel", Off)
    model = rnnzoo.build("gru_classifier", vocabulary_size=20, num_classes=2, units=4)
    with pytest.raises(ex.ExportError, match=r"model\.tflite \(float32\): max \|TFLite − Keras\| = 0\.001"):
        export(model, str(tmp_path / "x"), quantize=(), saved_model=False, sequence_length=8)
    assert not os.path.exists(tmp_path / "x") and _leftovers(tmp_path) == []
    # 1e-3 is within the dynamic-range tolerance (5e-2), and only float32 is held to 1e-5
    info = export(model, str(tmp_path / "y"), quantize=("dynamic",), saved_model=False, sequence_length=8,
                  strict=False)
    assert [f for f, e in info["files"].items() if not e["within_tolerance"]] == ["model.tflite"]


@pytest.mark.slow
def test_a_failed_fused_variant_keeps_the_files_already_made(tmp_path, monkeypatch):
    """Regression: a failing quantized fused variant used to drop every fused entry and mark model_fused.tflite as
    not written although it was on disk."""
    import rnnzoo.export.fused as fused_export

    real = fused_export.convert_fused

    def failing(model, length, quantization="float32"):
        if quantization == "float16":
            raise RuntimeError("fused float16 failed (forced by the test)")
        return real(model, length, quantization)

    monkeypatch.setattr(fused_export, "convert_fused", failing)
    model = rnnzoo.build("lstm_classifier", vocabulary_size=20, num_classes=2, units=4)
    with pytest.warns(UserWarning, match="model_fused_float16"):
        info = export(model, str(tmp_path / "x"), quantize=("dynamic", "float16"), saved_model=False,
                      sequence_length=8, strict=False)
    files = info["files"]
    assert files["model_fused.tflite"]["within_tolerance"] and files["model_fused_dynamic.tflite"]["bytes"] > 0
    assert "error" in files["model_fused_float16.tflite"]
    for name, entry in files.items():  # the report says exactly what is on disk
        assert os.path.exists(tmp_path / "x" / name) == ("bytes" in entry), name
    with pytest.raises(rnnzoo.export.ExportError, match="model_fused_float16.tflite"):
        export(model, str(tmp_path / "y"), quantize=("dynamic", "float16"), saved_model=False, sequence_length=8)


def test_export_rejects_bad_arguments(tmp_path):
    model = rnnzoo.build("gru_classifier", vocabulary_size=20, num_classes=2, units=4)
    with pytest.raises(ValueError, match="quantization"):
        export(model, str(tmp_path / "x"), quantize=("int4",))
    with pytest.raises(ValueError, match="Nothing to export"):
        export(model, str(tmp_path / "x"), saved_model=False, tflite=False)
    with pytest.raises(FileNotFoundError):
        export(str(tmp_path / "missing"), str(tmp_path / "y"))
    assert not os.path.exists(tmp_path / "x")


@pytest.mark.slow
def test_cli_export(dates_export, tmp_path, capsys):
    from rnnzoo.cli import main

    model, _, _ = dates_export
    rnnzoo.TrainedModel.of(model).save(str(tmp_path / "m.keras"))
    assert main(["export", str(tmp_path / "m.keras"), "--out", str(tmp_path / "e"), "--tflite",
                 "--sequence-length", "32"]) == 0
    assert "decoder_step.tflite" in capsys.readouterr().out
    assert not os.path.exists(tmp_path / "e" / "saved_model")
    assert main(["export", str(tmp_path / "m.keras"), "--out", str(tmp_path / "e")]) == 1  # exists


def test_a_conversion_logs_no_savedmodel_notes(caplog, tmp_path):
    """The converter's temporary SavedModel used to log "Assets written to: /tmp/..." (INFO), which notebooks
    showed in their outputs; an exported SavedModel logs nothing either."""
    import logging

    caplog.set_level(logging.INFO, logger="tensorflow")
    model = rnnzoo.build("gru_tagger", vocabulary_size=20, num_tags=3, units=4, embedding_dim=4)
    export(model, tmp_path / "e", quantize=[], sequence_length=8)
    assert not [r.getMessage() for r in caplog.records if "Assets written" in r.getMessage()]
