"""ONNX export with ONNX's own recurrent operators (rnnzoo.export.onnx): native LSTM / GRU / RNN nodes, no
Loop or Scan, dynamic batch and time axes, and ONNX Runtime matching Keras within 1e-5 at the valid positions of a
right-padded batch of 3 at length 11 (a length no export fixes)."""

import json

import numpy as np
import pytest

import rnnzoo
from rnnzoo.export.onnx import (LOOP_OPS, OnnxExportError, RECURRENT_OPS, max_valid_difference, op_types,
                                parity_inputs, seq2seq_parity_inputs, seq2seq_to_onnx, session,
                                teacher_forced_difference, to_onnx)
from rnnzoo.export.onnx_decoder import OnnxDecoder

# Families whose models must export, and what may refuse (with a clear error) and why
MUST_EXPORT = {"classifier", "tagger", "language_model", "regressor", "forecaster", "sequence_forecaster", "ctc",
               "seq2seq", "captioner"}
PARALLEL = ("MinGRU", "MinLSTM", "QRNN", "LRU")
DECODERS = {"seq2seq", "captioner"}  # encoder.onnx + decoder_step.onnx


def _nodes(proto, op):
    return [n for n in proto.graph.node if n.op_type == op]


def test_a_bilstm_classifier_and_a_gru_language_model_export_with_native_nodes(tmp_path):
    classifier = rnnzoo.build("bilstm_classifier", vocabulary_size=40, num_classes=3, units=8, embedding_dim=6,
                              num_layers=2)
    lm = rnnzoo.build("gru_language_model", vocabulary_size=40, units=8, embedding_dim=6)
    for model, op in ((classifier, "LSTM"), (lm, "GRU")):
        info = rnnzoo.export.export(model, tmp_path / model.name, onnx=True, saved_model=False, tflite=False,
                                    quantize=[])
        assert sorted(info["files"]) == (["model.onnx", "step.onnx"] if model is lm else ["model.onnx"])
        import onnx

        proto = onnx.load(str(tmp_path / model.name / "model.onnx"))
        assert _nodes(proto, op) and not set(op_types(proto)) & set(LOOP_OPS), op_types(proto)
        recurrent = _nodes(proto, op)
        assert len(recurrent) == (2 if model is classifier else 1)  # a stack stays a stack
        if model is classifier:
            assert all({a.name: a for a in n.attribute}["direction"].s == b"bidirectional" for n in recurrent)
        else:
            assert {a.name: a for a in recurrent[0].attribute}["linear_before_reset"].i == 1  # reset_after
        dims = [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim]
        assert dims == ["batch", "time"]  # dynamic axes
        x = parity_inputs(model)
        assert x.shape == (3, 11) and (x[2, 4:] == 0).all()
        assert max_valid_difference(model, proto, x) <= 1e-5
        entry = info["files"]["model.onnx"]
        assert entry["within_tolerance"] and entry["max_abs_diff_vs_keras"] <= 1e-5 and entry["recurrence"] == op
        written = json.load(open(tmp_path / model.name / "export.json"))
        assert written["files"]["model.onnx"]["ops"] == op_types(proto)


def test_padding_changes_nothing_at_the_valid_positions():
    """The lengths the graph computes from the ids are what makes padded rows right: the same row, padded to
    another length, gives the same outputs (and the GRU reads only its valid steps)."""
    model = rnnzoo.build("gru_tagger", vocabulary_size=30, num_tags=4, units=8, embedding_dim=5)
    runner = session(to_onnx(model))
    row = np.array([[5, 9, 3, 7]])
    short = runner.run(None, {"tokens": row.astype("int64")})[0]
    padded = runner.run(None, {"tokens": np.pad(row, ((0, 0), (0, 9))).astype("int64")})[0]
    np.testing.assert_allclose(padded[:, :4], short, atol=1e-6)
    bidirectional = rnnzoo.build("bigru_classifier", vocabulary_size=30, num_classes=2, units=8, embedding_dim=5)
    runner = session(to_onnx(bidirectional))
    np.testing.assert_allclose(runner.run(None, {"tokens": np.pad(row, ((0, 0), (0, 9))).astype("int64")})[0],
                               runner.run(None, {"tokens": row.astype("int64")})[0], atol=1e-6)


def test_every_registered_model_exports_or_says_why():
    exported, refused = {}, {}
    for name in rnnzoo.list_models():
        spec = rnnzoo.get_spec(name)
        model = rnnzoo.build(name, **spec.tiny)
        try:
            protos = seq2seq_to_onnx(model) if spec.task in DECODERS else [to_onnx(model)]
        except OnnxExportError as e:
            refused[name] = (spec.task, str(e))
            continue
        ops = set().union(*(op_types(proto) for proto in protos))  # a captioner's encoder is a CNN
        assert ops & set(RECURRENT_OPS) and not ops & set(LOOP_OPS), name
        if spec.task in DECODERS:
            exported[name] = teacher_forced_difference(model, *protos, *seq2seq_parity_inputs(model, seed=1))
        else:
            exported[name] = max_valid_difference(model, protos[0], parity_inputs(model, seed=1))
    assert {n: d for n, d in exported.items() if d > 1e-5} == {}
    for name, (task, message) in refused.items():
        parallel = any(f"({cell})" in message for cell in PARALLEL)
        assert parallel or "TreeRecurrent" in message, (name, task, message)
        assert name.split("_")[0] in message or "'" in message  # names the model or the layer
    exported_tasks = {rnnzoo.get_spec(n).task for n in exported}
    assert MUST_EXPORT <= exported_tasks, MUST_EXPORT - exported_tasks
    cells = {n.split("_")[0].removeprefix("bi").removeprefix("char") for n in exported}
    assert {"lstm", "gru", "rnn"} <= cells | {c.removeprefix("bi") for c in cells}, cells


def test_the_step_file_of_a_language_model_carries_its_states():
    model = rnnzoo.build("lstm_language_model", vocabulary_size=30, units=8, embedding_dim=5, num_layers=2)
    proto = to_onnx(model, step=True)
    assert [i.name for i in proto.graph.input] == ["tokens", "recurrent_1_h", "recurrent_1_c", "recurrent_2_h",
                                                   "recurrent_2_c"]
    runner = session(proto)
    x = np.random.default_rng(0).integers(1, 30, size=(2, 6))
    states = {i.name: np.zeros((2, 8), "float32") for i in proto.graph.input[1:]}
    steps = []
    for k in range(6):
        out = runner.run(None, {"tokens": x[:, k:k + 1].astype("int64"), **states})
        steps.append(out[0][:, 0])
        states = dict(zip([i.name for i in proto.graph.input[1:]], out[1:]))
    np.testing.assert_allclose(np.stack(steps, 1), np.asarray(model(x, training=False)), atol=1e-5)
    with pytest.raises(OnnxExportError, match="bidirectional"):
        to_onnx(rnnzoo.build("bilstm_tagger", vocabulary_size=30, num_tags=3, units=4, embedding_dim=4),
                step=True)


def test_dynamic_int8_stays_within_its_stated_tolerance(tmp_path):
    from rnnzoo.export.writer import TOLERANCES

    info = rnnzoo.export.export("pos_bilstm", tmp_path / "pos", onnx=True, saved_model=False, tflite=False,
                                quantize=["dynamic"])
    entry = info["files"]["model_dynamic.onnx"]
    assert entry["quantization"] == "dynamic" and entry["tolerance"] == TOLERANCES["dynamic"]  # probabilities ≤ 1
    assert entry["within_tolerance"] and entry["bytes"] < info["files"]["model.onnx"]["bytes"] / 3


def test_cli_onnx_alone_writes_onnx_only_and_refusals_are_clear(tmp_path, capsys):
    from rnnzoo.cli import main

    assert main(["export", "sunspots_gru", "--onnx", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "model.onnx" in out and "GRU" in out
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["export.json", "model.onnx"]
    assert main(["export", "listops_tree_lstm", "--onnx", "--out", str(tmp_path / "t")]) == 1
    assert "TreeRecurrent" in capsys.readouterr().err and not (tmp_path / "t").exists()


def test_a_trained_model_serves_through_its_onnx_file_with_its_text_pipeline(tmp_path, monkeypatch):
    rnnzoo.export.export("pos_bilstm", tmp_path / "pos", onnx=True, saved_model=False, tflite=False, quantize=[])
    keras_tagger = rnnzoo.load("pos_bilstm", compile=False)
    served = keras_tagger.with_onnx(tmp_path / "pos" / "model.onnx")
    sentences = ["the old man saw the boats on the river", "a cat sat", "they will not go there today ."]
    called = []
    monkeypatch.setattr(served.model, "__call__", lambda *a, **k: called.append(1))  # Keras must not run
    assert rnnzoo.predict_text(served, sentences) == rnnzoo.predict_text(keras_tagger, sentences)
    assert served.traces == 0 and not called
    with pytest.raises(FileNotFoundError, match="onnx=True"):
        keras_tagger.with_onnx(tmp_path / "missing.onnx")


@pytest.mark.slow  # subprocesses that each import TensorFlow
def test_onnx_alone_exports_on_the_pytorch_backend(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import rnnzoo\n"
            "m = rnnzoo.build('bigru_tagger', vocabulary_size=30, num_tags=4, units=8, embedding_dim=5)\n"
            f"info = rnnzoo.export.export(m, {str(tmp_path / 'e')!r}, onnx=True, saved_model=False, tflite=False)\n"
            "entry = info['files']['model.onnx']\n"
            "assert entry['within_tolerance'] and entry['max_abs_diff_vs_keras'] <= 1e-5, entry\n"
            "import keras; print(keras.backend.backend())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": "torch"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "torch"


@pytest.mark.parametrize("options", [{"attention": "bahdanau", "bidirectional": True, "normalize": True},
                                     {"attention": "luong", "cell": "gru", "score_mode": "scaled_dot"},
                                     {"attention": "luong", "cell": "rnn", "input_feeding": False, "num_layers": 2},
                                     {"attention": None}])
def test_the_encoder_and_decoder_step_decode_as_keras_does(options):
    """The pair matches the teacher-forced Keras model at every valid target position, and OnnxDecoder's greedy
    decoding and beam search return Keras' tokens, lengths and scores (an untrained model: near-uniform logits
    make ties and ranking slips likely, so agreement here is a strict test)."""
    from rnnzoo.decoding import decode_ids
    from rnnzoo.tasks.seq2seq.model import build_seq2seq

    model = build_seq2seq(vocabulary_size=30, target_vocabulary_size=20, units=8, embedding_dim=6, **options)
    encoder, step = seq2seq_to_onnx(model)
    assert "LSTM" in op_types(step) or "GRU" in op_types(step) or "RNN" in op_types(step)
    x, y = seq2seq_parity_inputs(model)
    assert teacher_forced_difference(model, encoder, step, x, y) <= 1e-5
    runner = OnnxDecoder(encoder.SerializeToString(), step.SerializeToString())
    many = np.random.default_rng(5).integers(4, 30, size=(24, 8))  # rows whose beams end at many lengths
    for beam, alpha, rows in ((1, 0.6, x), (4, 0.6, x), (4, 2.0, many)):
        expected = decode_ids(model, rows, 9, beam_width=beam, alpha=alpha)
        got = runner.decode_ids(rows, 9, beam_width=beam, alpha=alpha)
        np.testing.assert_array_equal(got["tokens"], expected["tokens"])
        np.testing.assert_array_equal(got["lengths"], expected["lengths"])
        if beam > 1:
            np.testing.assert_allclose(got["scores"], expected["scores"], atol=1e-4)
    if options["attention"]:
        weights = runner.decode_ids(x, 9, beam_width=3, attention=True)["attention"]
        np.testing.assert_allclose(weights, decode_ids(model, x, 9, beam_width=3, attention=True)["attention"],
                                   atol=1e-5)
    else:
        with pytest.raises(ValueError, match="no attention"):
            runner.decode_ids(x, 9, attention=True)


def test_the_g2p_preset_decodes_through_onnx_as_rnnzoo_translate_does(tmp_path):
    """Acceptance (issue 39): beam search 5 through encoder.onnx + decoder_step.onnx gives rnnzoo.translate's
    output on 100 held-out words (the preset's validation split: never trained on, never the test split)."""
    trained = rnnzoo.load("g2p_bahdanau_ls_long_seed2_cmudict")
    info = rnnzoo.export.export(trained, tmp_path / "g2p", onnx=True, saved_model=False, tflite=False)
    assert sorted(info["files"]) == ["decoder_step.onnx", "encoder.onnx"]
    assert all(e["within_tolerance"] and e["recurrence"] == "LSTM" for e in info["files"].values())
    rule = trained.card.split
    validation = rnnzoo.datasets.load(trained.card.data.source).split(tuple(rule.fractions), seed=rule.seed)[1]
    words = sorted(set(validation.sources))[:100]
    served = trained.with_onnx(tmp_path / "g2p")
    assert served._decoder is not None
    expected = rnnzoo.translate(trained, words, beam_width=5)
    assert rnnzoo.translate(served, words, beam_width=5) == expected
    with pytest.raises(ValueError, match="greedy decoding and beam search"):
        rnnzoo.translate(served, words[:2], sampler="top_k")


def test_a_captioner_exports_its_pair_and_captions_through_it(tmp_path):
    from rnnzoo.tasks.captioning.caption import caption, scenes

    trained = rnnzoo.load("scenes_lstm_captioner")
    info = rnnzoo.export.export(trained, tmp_path / "c", onnx=True, saved_model=False, tflite=False)
    assert {"Conv", "MaxPool", "LSTM"} <= set(info["files"]["encoder.onnx"]["ops"]) | \
        set(info["files"]["decoder_step.onnx"]["ops"])
    assert all(e["within_tolerance"] for e in info["files"].values())
    images = scenes(6, seed=3).images
    assert caption(trained.with_onnx(tmp_path / "c"), images, beam_width=3) == caption(trained, images,
                                                                                       beam_width=3)


def test_the_decoder_driver_imports_without_tensorflow_and_reads_its_ids_from_the_file(tmp_path):
    import subprocess
    import sys

    code = ("import sys, rnnzoo.export.onnx_decoder\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'torch', 'jax') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", (proc.stdout, proc.stderr[-1000:])
    from rnnzoo.tasks.seq2seq.model import build_seq2seq
    from rnnzoo.text.vocabulary import END_ID, START_ID

    encoder, step = seq2seq_to_onnx(build_seq2seq(vocabulary_size=9, target_vocabulary_size=7, units=4))
    runner = OnnxDecoder(encoder.SerializeToString(), step.SerializeToString())
    assert (runner.start_id, runner.end_id) == (START_ID, END_ID)
    del step.metadata_props[:]
    with pytest.raises(ValueError, match="re-export"):
        OnnxDecoder(encoder.SerializeToString(), step.SerializeToString())
    with pytest.raises(FileNotFoundError, match="onnx=True"):
        OnnxDecoder.from_directory(tmp_path)


def test_a_trained_model_serves_through_its_tflite_file(tmp_path):
    rnnzoo.export.export("sentiment_bilstm", tmp_path / "s", tflite=True, saved_model=False, quantize=[],
                         sequence_length=32)
    trained = rnnzoo.load("sentiment_bilstm")
    served = trained.with_tflite(tmp_path / "s" / "model.tflite")
    texts = ["a gripping , funny film", "dull and far too long", "the best thing i have seen this year"]
    from rnnzoo.text import pad_sequences

    ids = pad_sequences(trained.encoder.encode(texts))
    expected, got = trained.predict(ids), served.predict(ids)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [r["label"] for r in rnnzoo.predict_text(served, texts)] == \
        [r["label"] for r in rnnzoo.predict_text(trained, texts)]
    with pytest.raises(ValueError, match="longer than 32"):
        served.predict(pad_sequences(trained.encoder.encode([" ".join(["film"] * 40)])))
