"""The parallel-scan layers (minGRU, minLSTM, QRNN, LRU): the equations, parallel = sequential on every backend,
the scan's hand-written gradient, and how they plug into the trunk, the registry and cudnn_report."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from model_checks import run_on_backend
from rnnzoo import reference
from rnnzoo.layers.parallel import LRU, PARALLEL_LAYERS, QRNN, MinGRU
from rnnzoo.layers.scan import gated_scan, linear_scan

B, T, D, U = 4, 9, 5, 6
LENGTHS = np.array([9, 4, 1, 6])


def masks():
    right = np.arange(T)[None] < LENGTHS[:, None]
    return {"none": None, "right": right, "left": right[:, ::-1].copy()}


def make(name, mode="parallel", seed=1, **kwargs):
    extra = {"window": 3} if name == "qrnn" else {}
    keras.utils.set_random_seed(seed)
    return PARALLEL_LAYERS[name](U, mode=mode, normalize=True, **extra, **kwargs)


def inputs(seed=0):
    return np.random.default_rng(seed).normal(size=(B, T, D)).astype("float32")


def _np(values):
    return [keras.ops.convert_to_numpy(v) for v in (values if isinstance(values, (list, tuple)) else [values])]


def mode_gaps():
    """{case: largest |parallel − sequential|} over every layer, mask, return_state and go_backwards case."""
    x = inputs()
    gaps = {}
    for name in PARALLEL_LAYERS:
        for options in ({"return_sequences": True, "return_state": True},
                        {"return_sequences": False, "return_state": True},
                        {"return_sequences": True, "return_state": True, "go_backwards": True},
                        {"return_sequences": False, "go_backwards": True}):
            for mask_name, mask in masks().items():
                parallel = make(name, **options)
                out_p = parallel(x, mask=mask)
                sequential = PARALLEL_LAYERS[name].from_config({**parallel.get_config(), "mode": "sequential"})
                sequential.build(x.shape)
                sequential.set_weights(parallel.get_weights())
                out_s = sequential(x, mask=mask)
                case = f"{name} {mask_name} {sorted(options.items())}"
                gaps[case] = max(float(np.abs(a - b).max()) for a, b in zip(_np(out_p), _np(out_s)))
        # initial states (as a stateful layer or an encoder–decoder hand them over) enter both modes alike
        parallel = make(name, return_sequences=True)
        parallel.build(x.shape)
        states = [np.random.default_rng(3).normal(size=(B, s)).astype("float32") for s in parallel.cell.state_size]
        sequential = PARALLEL_LAYERS[name].from_config({**parallel.get_config(), "mode": "sequential"})
        sequential.build(x.shape)
        sequential.set_weights(parallel.get_weights())
        gaps[f"{name} initial state"] = float(np.abs(
            _np(parallel(x, initial_state=states, mask=masks()["right"]))[0]
            - _np(sequential(x, initial_state=states, mask=masks()["right"]))[0]).max())
    return gaps


def test_parallel_mode_equals_the_step_loop_on_tensorflow():
    gaps = mode_gaps()
    assert len(gaps) == 4 * (4 * 3 + 1)
    assert max(gaps.values()) <= 1e-5, {k: v for k, v in gaps.items() if v > 1e-5}


_BACKEND_SCRIPT = r"""
import json, keras
from test_parallel import mode_gaps
print("RESULTS" + json.dumps({"backend": keras.backend.backend(), "gaps": mode_gaps()}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_parallel_mode_equals_the_step_loop_on_other_backends(backend):
    gaps = run_on_backend(_BACKEND_SCRIPT, backend)["gaps"]
    assert len(gaps) == 4 * (4 * 3 + 1)
    assert max(gaps.values()) <= 1e-5, {k: v for k, v in gaps.items() if v > 1e-5}


@pytest.mark.parametrize("name", list(PARALLEL_LAYERS))
@pytest.mark.parametrize("mask_name", ["none", "right", "left"])
def test_layers_follow_the_numpy_equations(name, mask_name):
    x, mask = inputs(1), masks()[mask_name]
    layer = make(name, return_sequences=True, return_state=True)
    out, *states = _np(layer(x, mask=mask))
    ref_out, ref_states = reference.parallel_cell(layer, x, mask=mask)
    np.testing.assert_allclose(out, ref_out, atol=1e-5)
    assert len(states) == len(ref_states)
    for got, want in zip(states, ref_states):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_reference_rejects_other_layers():
    with pytest.raises(ValueError, match="MinGRU, MinLSTM, QRNN or LRU"):
        reference.parallel_cell(keras.layers.GRU(3), np.zeros((1, 2, 3)))


@pytest.mark.parametrize("method", ["loop", "blocked", "associative"])
@pytest.mark.parametrize("steps", [1, 7, 100])
@pytest.mark.parametrize("complex_", [False, True])
def test_scan_values_and_gradients_match_a_step_loop(method, steps, complex_):
    rng = np.random.default_rng(steps)
    shape = (steps, 3, 4)  # time-major
    a = rng.uniform(0.0, 1.0, shape) * (np.exp(1j * rng.uniform(0, 3, shape)) if complex_ else 1.0)
    b = rng.normal(size=shape) + (1j * rng.normal(size=shape) if complex_ else 0.0)
    h0 = rng.normal(size=(3, 4)) + (1j * rng.normal(size=(3, 4)) if complex_ else 0.0)
    weights = [tf.constant(rng.normal(size=shape), tf.float32) for _ in range(2)]
    parts = lambda v: [tf.constant(v.real, tf.float32)] + ([tf.constant(v.imag, tf.float32)] if complex_ else [])  # noqa: E731
    variables = parts(a) + parts(b) + parts(h0)

    def loop(*v):  # the recurrence written out step by step, differentiated by TensorFlow
        n = 2 if complex_ else 1
        a_, b_, h = v[:n], v[n:2 * n], list(v[2 * n:])
        outs = []
        for t in range(steps):
            if complex_:
                h = [a_[0][t] * h[0] - a_[1][t] * h[1] + b_[0][t], a_[0][t] * h[1] + a_[1][t] * h[0] + b_[1][t]]
            else:
                h = [a_[0][t] * h[0] + b_[0][t]]
            outs.append(h)
        return [tf.stack([o[i] for o in outs], 0) for i in range(n)]

    def scanned(*v):
        if complex_:
            return list(linear_scan((v[0], v[1]), (v[2], v[3]), (v[4], v[5]), method=method))
        return [linear_scan(v[0], v[1], v[2], method=method)]

    results = []
    for fn in (scanned, loop):
        with tf.GradientTape() as tape:
            tape.watch(variables)
            outs = fn(*variables)
            loss = sum(tf.reduce_sum(o * w) for o, w in zip(outs, weights))
        results.append(([o.numpy() for o in outs], [g.numpy() for g in tape.gradient(loss, variables)]))
    (out_s, grad_s), (out_l, grad_l) = results
    for got, want in zip(out_s + grad_s, out_l + grad_l):
        np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-5)


@pytest.mark.parametrize("method", ["loop", "blocked", "associative"])
def test_sixteen_bit_scans_accumulate_in_float32(method):
    # 512 steps adding 1/256 to a state kept at a = 1: exactly 2.0. A bfloat16 running state stops at 1.0 (its
    # spacing there is 1/128, so each 1/256 rounds away); mixed precision must scan in float32 and return bfloat16.
    a = tf.ones((512, 2, 3), tf.bfloat16)
    b = tf.fill((512, 2, 3), tf.constant(1 / 256, tf.bfloat16))
    with tf.GradientTape() as tape:
        tape.watch(b)
        h = linear_scan(a, b, method=method)
        loss = tf.reduce_sum(tf.cast(h[-1], tf.float32))
    assert h.dtype == tf.bfloat16
    np.testing.assert_array_equal(tf.cast(h[-1], tf.float32).numpy(), 2.0)
    np.testing.assert_array_equal(tf.cast(h[255], tf.float32).numpy(), 1.0)
    grad = tape.gradient(loss, b)
    assert grad.dtype == tf.bfloat16 and np.all(tf.cast(grad, tf.float32).numpy() == 1.0)


@pytest.mark.parametrize("name", ["mingru", "minlstm", "qrnn"])
@pytest.mark.parametrize("mask_name", ["none", "left"])
def test_fused_gates_and_scan_equal_the_composition(name, mask_name):
    # On TensorFlow the "loop" scan runs a real-state cell's gates, scan and readout as one XLA function with a
    # hand-written gradient (scan.gated_scan); "associative" composes the transition, the scan and the readout
    # and lets autodiff differentiate them. Values and gradients (through the outputs and every state) agree.
    cell = PARALLEL_LAYERS[name](U).cell
    rng = np.random.default_rng(7)
    p = [tf.constant(rng.normal(size=(T, B, U)), tf.float32) for _ in range(cell.gates)]
    h0 = tf.constant(rng.normal(size=(B, U)), tf.float32)
    mask = masks()[mask_name]
    m = None if mask is None else tf.constant(mask.T[:, :, None])
    w_y, w_h = (tf.constant(rng.normal(size=(T, B, U)), tf.float32) for _ in range(2))
    results = []
    for method in ("loop", "associative"):
        with tf.GradientTape() as tape:
            tape.watch(p + [h0])
            y, h = gated_scan(cell, p, h0, m, method=method)
            loss = tf.reduce_sum(y * w_y) + tf.reduce_sum(h * w_h)
        results.append([v.numpy() for v in [y, h] + tape.gradient(loss, p + [h0])])
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, atol=2e-5, rtol=1e-5)


def test_fused_gates_and_scan_take_bfloat16_and_compute_in_float32():
    cell = QRNN(U).cell
    rng = np.random.default_rng(8)
    p16 = [tf.cast(rng.normal(size=(T, B, U)), tf.bfloat16) for _ in range(3)]
    h0 = tf.zeros((B, U), tf.bfloat16)
    with tf.GradientTape() as tape:
        tape.watch(p16)
        y, h = gated_scan(cell, p16, h0)
        loss = tf.reduce_sum(tf.cast(y, tf.float32))
    grads = tape.gradient(loss, p16)
    assert y.dtype == h.dtype == tf.bfloat16 and all(g.dtype == tf.bfloat16 for g in grads)
    # the same inputs widened to float32 by hand: equal up to the final rounding to bfloat16
    wide = [tf.cast(v, tf.float32) for v in p16]
    with tf.GradientTape() as tape:
        tape.watch(wide)
        y32, _ = gated_scan(cell, wide, tf.zeros((B, U)), method="associative")
        loss32 = tf.reduce_sum(y32)
    np.testing.assert_allclose(tf.cast(y, tf.float32).numpy(), y32.numpy(), rtol=2 ** -8, atol=1e-6)
    for g16, g32 in zip(grads, tape.gradient(loss32, wide)):
        np.testing.assert_allclose(tf.cast(g16, tf.float32).numpy(), g32.numpy(), rtol=2 ** -8, atol=1e-6)


def test_scan_methods_are_checked():
    with pytest.raises(ValueError, match="Unknown scan method"):
        linear_scan(tf.ones((2, 1, 1)), tf.ones((2, 1, 1)), method="fft")
    with pytest.raises(ValueError, match="Unknown scan"):
        rnnzoo.config.set(scan="fft")


@pytest.mark.parametrize("method", ["blocked", "associative"])
def test_layers_give_the_same_outputs_with_every_scan(method):
    x, mask = inputs(4), masks()["left"]
    for name in PARALLEL_LAYERS:
        layer = make(name, return_sequences=True)
        default = _np(layer(x, mask=mask))[0]
        with rnnzoo.config.using(scan=method):
            other = _np(layer(x, mask=mask))[0]
        np.testing.assert_allclose(other, default, atol=1e-5)


@pytest.mark.parametrize("name", list(PARALLEL_LAYERS))
def test_training_gradients_equal_in_both_modes(name):
    x, mask = inputs(2), masks()["right"]
    target = np.random.default_rng(5).normal(size=(B, T, U)).astype("float32")
    grads = []
    for mode in ("parallel", "sequential"):
        layer = make(name, mode=mode, return_sequences=True, return_state=True)
        with tf.GradientTape() as tape:
            outputs, *states = layer(x, mask=mask, training=True)
            # the final states count too (an encoder hands them to its decoder)
            loss = tf.reduce_sum((outputs - target) ** 2) + sum(tf.reduce_sum(s * 0.5) for s in states)
        grads.append([g.numpy() for g in tape.gradient(loss, layer.trainable_weights)])
    for p, s in zip(*grads):
        np.testing.assert_allclose(p, s, atol=1e-4, rtol=1e-4)


def test_layers_work_in_bidirectional_and_round_trip_their_config(tmp_path):
    x, mask = inputs(), masks()["right"]
    for name in PARALLEL_LAYERS:
        bi = keras.layers.Bidirectional(make(name, return_sequences=True))
        out = keras.ops.convert_to_numpy(bi(x, mask=mask))
        assert out.shape == (B, T, 2 * U)
        # the backward half read each row from its last real token: padding is zero on both halves
        assert np.all(out[1, LENGTHS[1]:] == 0)
    inputs_ = keras.Input((None, D))
    model = keras.Model(inputs_, QRNN(U, window=4, return_sequences=True, name="q")(inputs_))
    model.save(tmp_path / "q.keras")
    loaded = keras.saving.load_model(tmp_path / "q.keras")
    assert loaded.get_layer("q").cell.window == 4 and loaded.get_layer("q").mode == "parallel"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="mode"):
        MinGRU(4, mode="fast")
    with pytest.raises(ValueError, match="window"):
        QRNN(4, window=0)
    with pytest.raises(ValueError, match="r_min"):
        LRU(4, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="does not take"):
        rnnzoo.recurrent_layer("mingru", 4, recurrent_initializer="orthogonal")
    with pytest.raises(ValueError, match="decoder_cell"):
        rnnzoo.build("bahdanau_seq2seq", vocabulary_size=20, target_vocabulary_size=20, units=4,
                     decoder_cell="mingru")
    with pytest.raises(ValueError, match="captioner's decoder"):
        rnnzoo.build("lstm_captioner", target_vocabulary_size=20, units=4, cell="qrnn")


def test_stacks_use_prenorm_residual_blocks_where_the_papers_do():
    for cell, blocks in (("mingru", True), ("lru", True), ("qrnn", False), ("lstm", False)):
        model = rnnzoo.build(f"char_{cell}_language_model", vocabulary_size=20, units=8, embedding_dim=8)
        names = {layer.name for layer in model.layers}
        assert ("recurrent_2_residual" in names) == blocks, cell
        if cell != "lstm":  # pre-norm from the second layer on (the first reads the embedding or raw features)
            assert not model.get_layer("recurrent_1").cell.normalize
            assert model.get_layer("recurrent_2").cell.normalize == blocks
    # the default can be turned off
    plain = rnnzoo.build("char_mingru_language_model", vocabulary_size=20, units=8, embedding_dim=8, residual=False)
    assert "recurrent_2_residual" not in {layer.name for layer in plain.layers}


def test_registry_has_each_new_cell_for_each_sequence_shape():
    for cell in PARALLEL_LAYERS:
        for name in (f"char_{cell}_language_model", f"bi{cell}_classifier", f"bi{cell}_tagger",
                     f"{cell}_bahdanau_seq2seq"):
            assert rnnzoo.get_spec(name).defaults["cell"] == cell


def test_cudnn_report_says_the_parallel_cells_need_none():
    model = rnnzoo.build("bilru_classifier", vocabulary_size=20, units=4)
    report = rnnzoo.cudnn_report(model, strict=True)  # strict concerns LSTM/GRU only
    assert report and all(r["needs_cudnn"] is False and "needs no cuDNN" in r["reasons"][0] for r in report)
    lstm = rnnzoo.cudnn_report(rnnzoo.build("bilstm_classifier", vocabulary_size=20, units=4))
    assert all(r["needs_cudnn"] and r["cudnn"] for r in lstm)


@pytest.mark.parametrize("cell", [c if c == "mingru" else pytest.param(c, marks=pytest.mark.slow)
                                  for c in PARALLEL_LAYERS])
def test_language_model_exports_and_tflite_greedy_text_equals_generate(cell, tmp_path):
    import tensorflow_text  # noqa: F401

    from rnnzoo.export import TFLiteModel, export
    from rnnzoo.export.streaming import greedy_lm

    corpus = rnnzoo.datasets.TextCorpus(["to be or not to be, that is the question. " * 40] * 3)
    lm = rnnzoo.train(f"char_{cell}_language_model", corpus, epochs=2, units=16, embedding_dim=16, verbose=0).model
    # Full-integer int8 is left out: TensorFlow's calibrator crashes (signal 11) on the WHILE loop of a sequential
    # layer. LRU's float16 weights miss the float16 tolerance (0.0048 against 0.0040 here: |λ| = exp(−exp(ν))
    # amplifies the rounding of ν), so LRU exports float32 and dynamic-range forms.
    quantize = ("dynamic",) if cell == "lru" else ("dynamic", "float16")
    info = export(lm, str(tmp_path / "lm"), quantize=quantize, sequence_length=20)
    # every form converted with builtin ops and matched Keras within the export's tolerance
    assert {"model.tflite", "step.tflite"} | {f"model_{q}.tflite" for q in quantize} <= set(info["files"])
    assert all(e["within_tolerance"] for e in info["files"].values() if "max_abs_diff_vs_keras" in e), info["files"]
    step = TFLiteModel(str(tmp_path / "lm" / "step.tflite"))
    # the streaming step holds the small per-layer states: two layers, LRU's real and imaginary halves, QRNN's window
    sizes = sorted(shape[-1] for name, (shape, _) in step.inputs.items() if name.startswith("state_"))
    expected_sizes = {"mingru": [16, 16], "minlstm": [16, 16], "lru": [16] * 4, "qrnn": [16, 16, 16, 16]}[cell]
    assert sizes == expected_sizes
    encoder = rnnzoo.TrainedModel.of(lm).encoder
    expected = rnnzoo.generate(lm, "to be", max_length=30, sampler="greedy")
    ids = greedy_lm(step, encoder.encode("to be", add_start=True)[0], 30)  # [START] t o _ b e, as generate reads it
    assert "to be" + encoder.decode(ids[1 + len("to be"):]) == expected
