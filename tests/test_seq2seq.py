"""Seq2seq decoding and the translate API: beam search, greedy equivalence, errors, save/load, training."""

import json

import keras
import numpy as np
import pytest
from keras import ops

import rnnzoo
from rnnzoo.datasets import PairData, synthetic
from rnnzoo.decoding import beam_search
from rnnzoo.decoding import EnsembleStep, Seq2SeqStep, decode_ids
from rnnzoo.metrics import edit_distance, error_rates
from rnnzoo.tasks.seq2seq.translation import Ensemble, translate

PAD, UNK, START, END = 0, 1, 2, 3


class TableStep:
    """A fake decoder: the next-token distribution depends only on the previous token (the state)."""

    def __init__(self, table):
        self.table = np.log(np.asarray(table, "float32") + 1e-9)
        self.vocabulary_size = len(table)

    def __call__(self, tokens, states):
        logits = ops.take(ops.convert_to_tensor(self.table), tokens, axis=0)
        return logits, {"last": tokens}


# From [START]: A (4) 0.6, B (5) 0.4. After A: END 0.3 and the rest spread out; after B: END 0.9.
TABLE = np.full((6, 6), 0.0)
TABLE[START] = [0, 0, 0, 0, 0.6, 0.4]
TABLE[4] = [0, 0, 0, 0.3, 0.35, 0.35]
TABLE[5] = [0, 0, 0, 0.9, 0.05, 0.05]
TABLE[END] = [1, 0, 0, 0, 0, 0]
TABLE[PAD] = [1, 0, 0, 0, 0, 0]


def _search(beam, alpha=0.0, max_length=4, table=TABLE):
    states = {"last": ops.zeros((beam,), "int32")}
    tokens, scores, lengths, _ = beam_search(TableStep(table), states, 1, beam, max_length, alpha=alpha)
    return ops.convert_to_numpy(tokens)[0], ops.convert_to_numpy(scores)[0], ops.convert_to_numpy(lengths)[0]


def test_beam_search_finds_what_greedy_misses():
    greedy, _, _ = _search(1, max_length=2)
    assert list(greedy[0]) == [4, 4]  # greedy: A then A (0.6 · 0.35), never the better "B [END]"
    tokens, scores, lengths = _search(3, max_length=2)
    assert list(tokens[0]) == [5, END] and lengths[0] == 2
    np.testing.assert_allclose(scores[0], np.log(0.4 * 0.9), atol=1e-5)
    assert np.all(np.diff(scores) <= 1e-6)  # n-best sorted, best first


# A case where α changes the winner: "B [END]" has probability 0.6 · 0.75 = 0.45 (2 tokens), "A C D [END]" has
# 0.4 (4 tokens). By total log-probability (α = 0) the short one wins; with GNMT's penalty at α = 2,
# log 0.45 / (7/6)² = −0.587 loses to log 0.4 / (9/6)² = −0.407.
A, B, C, D = 4, 5, 6, 7
PENALTY_TABLE = np.full((8, 8), 0.0)
PENALTY_TABLE[START, [A, B]] = [0.4, 0.6]
PENALTY_TABLE[B, [END, B]] = [0.75, 0.25]
PENALTY_TABLE[A, C] = PENALTY_TABLE[C, D] = PENALTY_TABLE[D, END] = 1.0
PENALTY_TABLE[END, PAD] = PENALTY_TABLE[PAD, PAD] = 1.0


def test_length_penalty_changes_the_winner_by_gnmt_formula():
    tokens0, scores0, lengths0 = _search(4, alpha=0.0, max_length=4, table=PENALTY_TABLE)
    tokens2, scores2, lengths2 = _search(4, alpha=2.0, max_length=4, table=PENALTY_TABLE)
    assert list(tokens0[0][:2]) == [B, END] and lengths0[0] == 2
    assert list(tokens2[0]) == [A, C, D, END] and lengths2[0] == 4
    np.testing.assert_allclose(scores0[0], np.log(0.45), atol=1e-5)
    np.testing.assert_allclose(scores2[0], np.log(0.4) / (9 / 6) ** 2, atol=1e-5)
    np.testing.assert_allclose(rnnzoo.decoding.length_penalty(np.array([2, 4]), 0.6), [(7 / 6) ** 0.6, 1.5 ** 0.6],
                               rtol=1e-6)


def _tiny_model(name="bahdanau_seq2seq", seed=0, **options):
    keras.utils.set_random_seed(seed)
    model = rnnzoo.build(name, vocabulary_size=20, target_vocabulary_size=12, units=8, embedding_dim=8, **options)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    return model


SOURCE = np.array([[5, 6, 7, 8, 9], [10, 11, 4, 0, 0], [12, 0, 0, 0, 0]], "int32")


@pytest.mark.parametrize("name", ["bahdanau_seq2seq", "luong_seq2seq", "lstm_seq2seq", "gru_bahdanau_seq2seq"])
def test_beam_width_one_is_greedy(name):
    model = _tiny_model(name)
    greedy = decode_ids(model, SOURCE, 8)["tokens"][:, 0]
    step = Seq2SeqStep(model)
    tokens, _, _, _ = beam_search(step, step.encode(ops.convert_to_tensor(SOURCE)), 3, 1, 8)
    np.testing.assert_array_equal(ops.convert_to_numpy(tokens)[:, 0], greedy)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_greedy_decoding_follows_the_teacher_forced_model(dropout):
    """Feeding the greedy output back through the training model reproduces each greedy choice.

    With dropout the training graph holds dropout layers the decoding steps skip; at inference they are identity.
    """
    model = _tiny_model("luong_seq2seq", num_layers=2, dropout=dropout)
    names = {layer.name for layer in model.layers}
    assert ({"target_embedding_dropout", "decoder_dropout"} <= names) == bool(dropout)
    tokens = decode_ids(model, SOURCE, 6)["tokens"][:, 0]
    target_in = np.concatenate([np.full((3, 1), START), tokens[:, :-1]], 1)
    target_in = np.where(np.cumsum(target_in == END, 1) > 0, PAD, target_in)  # nothing after [END]
    logits = model.predict((SOURCE, target_in), verbose=0)
    suppressed = logits.copy()
    suppressed[..., [PAD, UNK, START]] = -np.inf
    for row in range(3):
        n = int((target_in[row] != PAD).sum())
        np.testing.assert_array_equal(suppressed[row, :n].argmax(-1), tokens[row, :n])
    if dropout:  # and the layers are active in training
        assert not np.allclose(model((SOURCE, target_in), training=True), logits, atol=1e-3)


@pytest.mark.slow
def test_ensemble_averages_member_log_probabilities():
    """An ensemble of one model, or of a model with itself, decodes exactly as the model; with two different
    members each step's log-probabilities are the members' mean, and beam width 1 is still greedy."""
    a, b = _tiny_model(seed=0), _tiny_model(seed=1)
    alone = decode_ids(a, SOURCE, 8, beam_width=3)
    for members in ([a], [a, a]):
        twin = decode_ids(Ensemble(members), SOURCE, 8, beam_width=3)
        np.testing.assert_array_equal(twin["tokens"], alone["tokens"])
        np.testing.assert_allclose(twin["scores"], alone["scores"], atol=1e-5)
    ensemble = Ensemble([a, b])
    step = EnsembleStep([Seq2SeqStep(a), Seq2SeqStep(b)])
    tokens = ops.convert_to_tensor(np.array([START, 5, 7], "int32"))
    mixed, _ = step(tokens, step.encode(ops.convert_to_tensor(SOURCE)))
    expected = np.mean([ops.convert_to_numpy(ops.log_softmax(s(tokens, s.encode(ops.convert_to_tensor(SOURCE)))[0]))
                        for s in step.steps], axis=0)
    np.testing.assert_allclose(ops.convert_to_numpy(mixed), expected, atol=1e-5)
    greedy = decode_ids(ensemble, SOURCE, 8)["tokens"][:, 0]
    np.testing.assert_array_equal(decode_ids(ensemble, SOURCE, 8, beam_width=1)["tokens"][:, 0], greedy)
    attention = decode_ids(ensemble, SOURCE, 8, beam_width=2, attention=True)["attention"]
    np.testing.assert_allclose(attention.sum(-1)[..., 0], 1.0, atol=1e-5)  # a mean of distributions


@pytest.mark.slow
def test_ensemble_translates_strings_and_rejects_other_vocabularies(dates_model):
    result, out = dates_model
    texts = ["12/25/99", "the 3rd of March 2001"]
    assert translate([out, result.model], texts, beam_width=3) == translate(result.model, texts, beam_width=3)
    other = rnnzoo.build("bahdanau_seq2seq", vocabulary_size=20, target_vocabulary_size=12, units=8,
                         metadata={"task": "seq2seq", "text": {"level": "char", "vocabulary": ["[PAD]", "x"]}})
    with pytest.raises(ValueError, match="different vocabulary"):
        Ensemble([result.model, other])
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])


def test_compiled_and_eager_loops_agree_and_beams_are_sorted():
    model = _tiny_model()
    a = decode_ids(model, SOURCE, 8, beam_width=4, attention=True)
    b = decode_ids(model, SOURCE, 8, beam_width=4, attention=True, compile=False)
    np.testing.assert_array_equal(a["tokens"], b["tokens"])
    np.testing.assert_allclose(a["scores"], b["scores"], atol=1e-5)
    assert np.all(np.diff(a["scores"], axis=1) <= 1e-6)
    assert a["attention"].shape == (3, 4, 8, 5)
    np.testing.assert_allclose(a["attention"][2, 0, 0, 1:], 0.0, atol=1e-7)  # one real source token only


def test_edit_distance_and_error_rates():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["A"]) == 1
    rates = error_rates([["K", "AE", "T"], ["D", "AO"]], [[["K", "AE", "T"]], [["D", "AO", "G"], ["D", "AA", "G"]]])
    assert rates["wer"] == 0.5 and rates["exact_match"] == 0.5
    assert rates["token_error_rate"] == pytest.approx(1 / 6)


@pytest.fixture(scope="module")
def dates_model(tmp_path_factory):
    """A Bahdanau model trained briefly on synthetic dates (seconds on 2 cores)."""
    out = tmp_path_factory.mktemp("dates")
    result = rnnzoo.train("bahdanau_seq2seq", synthetic.dates(4000, seed=0), epochs=12, units=48,
                          embedding_dim=24, batch_size=64, learning_rate=3e-3, verbose=0, out=str(out),
                          translation_limit=300)
    return result, str(out)


def test_dates_model_learns_and_translates(dates_model):
    result, out = dates_model
    metrics = json.load(open(f"{out}/metrics.json"))
    assert metrics["exact_match"] > 0.5, metrics  # from 0 before training, on 300 held-out dates
    assert metrics["token_error_rate"] < 0.15
    model = rnnzoo.load(out)
    assert translate(model, "March 3, 1999", beam_width=3) == translate(result.model, "March 3, 1999", beam_width=3)
    outputs = translate(model, ["3 March 1999", "the 1st of May 2020"], beam_width=4, details=True)
    assert len(outputs[0].n_best) == 4 and outputs[0].score >= outputs[0].n_best[-1][1]
    assert outputs[0].attention.shape == (len(outputs[0].tokens) + 1, len(outputs[0].source_tokens))
    greedy = translate(model, ["3 March 1999", "the 1st of May 2020"])
    sampled = translate(model, ["3 March 1999"] * 2, sampler="top_k", seed=1)
    assert all(isinstance(t, str) for t in greedy + sampled)


def test_translate_rejects_bad_input(dates_model):
    model = dates_model[0].model
    with pytest.raises(ValueError, match="empty"):
        translate(model, "   ")
    with pytest.raises(ValueError, match="never saw"):
        translate(model, "3 März 1999 ☃")
    assert isinstance(translate(model, "3 März 1999 ☃", on_unknown="unk"), str)
    with pytest.raises(ValueError, match="beam_width"):
        translate(model, "3 March 1999", beam_width=0)
    with pytest.raises(ValueError, match="not a seq2seq"):
        translate(rnnzoo.build("gru_classifier", vocabulary_size=20, num_classes=2, units=4), "x")


def test_cli_translate(dates_model, capsys):
    from rnnzoo.cli import main

    assert main(["translate", dates_model[1], "3 March 1999", "--beam", "3"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert line["text"] == "3 March 1999" and isinstance(line["translation"], str)
    assert main(["translate", dates_model[1], ""]) == 1
    assert main(["translate", dates_model[1], "3 March 1999", "--beam", "3", "--ensemble", dates_model[1]]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == line  # a model with itself: the same


def test_user_pairs_file_word_level(tmp_path):
    path = tmp_path / "pairs.tsv"
    rows = [("one two", "un deux"), ("two three", "deux trois"), ("three one", "trois un")] * 30
    path.write_text("\n".join(f"{a}\t{b}" for a, b in rows))
    data = rnnzoo.datasets.load(str(path), task="seq2seq", level="word")
    result = rnnzoo.train("lstm_seq2seq", data, epochs=1, units=8, embedding_dim=8, verbose=0, min_frequency=1,
                          translation_limit=5)
    assert rnnzoo.text.TextEncoder.from_config(rnnzoo.card_of(result.model).target_text).level == "word"
    assert isinstance(translate(result.model, "one three"), str)
    with pytest.raises(ValueError, match="level"):
        rnnzoo.datasets.load(str(path), task="seq2seq", level="sentence")


def test_sampling_draws_differ_between_batches_of_texts(dates_model, monkeypatch):
    """Each batch of texts gets its own sampling seed: text i and text i + batch_size do not share their draws."""
    from rnnzoo.tasks.seq2seq import translation

    seeds, real = [], translation.decode_ids

    def recording(*args, **kwargs):
        seeds.append(kwargs["seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(translation, "decode_ids", recording)
    model = dates_model[1]
    texts = ["March 3, 1999"] * 5
    first = translate(model, texts, sampler="random", seed=7, batch_size=2)
    assert len(seeds) == 3 and seeds[0] == 7 and len(set(seeds)) == 3, seeds
    seeds.clear()
    assert translate(model, texts, sampler="random", seed=7, batch_size=2) == first  # still reproducible
    assert seeds == [7, translation.chunk_seed(7, 2), translation.chunk_seed(7, 4)]
    seeds.clear()
    translate(model, texts, batch_size=2)
    assert seeds == [None, None, None]  # no seed asked: none made up


def test_sources_of_many_lengths_share_one_compiled_loop_without_retracing_warnings(capfd):
    """decode_ids pads the source ids to a length bucket, so texts of different lengths reuse one XLA loop (each
    new length used to cost a compile, ~2 s, and TensorFlow's retracing warning after five); the padding is masked,
    so the tokens and the attention over the real positions are the same as without it."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("counts tf.function traces")
    from rnnzoo.decoding import DECODERS

    model = rnnzoo.load("dates_bahdanau").model
    DECODERS.clear()
    rows = [np.arange(4, 4 + n)[None] % 30 + 4 for n in (5, 7, 9, 11, 12, 13, 15)]  # 7 lengths, one bucket (16)
    outputs = [decode_ids(model, r, 12, beam_width=3, attention=True) for r in rows]
    loops = [f for k, f in DECODERS._loops[model].items() if k[0][0] == "seq2seq_beam"]
    assert len(loops) == 1 and loops[0].experimental_get_tracing_count() == 1
    assert "retracing" not in capfd.readouterr().err
    assert [o["attention"].shape[-1] for o in outputs] == [r.shape[1] for r in rows]
    longer = decode_ids(model, np.pad(rows[0], ((0, 0), (0, 15))), 12, beam_width=3, attention=True)  # bucket 20
    np.testing.assert_array_equal(outputs[0]["tokens"], longer["tokens"])
    np.testing.assert_allclose(outputs[0]["attention"], longer["attention"][..., :5], atol=1e-5)
    assert np.abs(longer["attention"][..., 5:]).max() < 1e-6  # no weight on the padding
