"""The model card: typed, versioned, round-tripped through JSON and the .keras file, migrated from the old dict,
and true for every committed reference model."""

import json
import os

import pytest

import rnnzoo
from rnnzoo import datasets
from rnnzoo.card import CARD_VERSION, DataRecord, ModelCard, SplitRecord, fingerprint
from rnnzoo.trained import card_of
from rnnzoo.evaluation import held_out

ROOT = os.path.join(os.path.dirname(__file__), "..", "saved_models")
# the committed G2P models: the preset and the two ensemble members its documented ensemble command needs
G2P = ("g2p_bahdanau_ls_long_seed2_cmudict", "g2p_bahdanau_ls_long_cmudict", "g2p_bahdanau_cmudict_seed1")


def test_card_round_trips_through_json_and_the_keras_file(tmp_path):
    card = ModelCard(model="gru_classifier", task="classifier", labels=["a", "b"],
                     data=DataRecord("mine.csv", "0123abcd", 10),
                     split=SplitRecord(fractions=[0.8, 0.1, 0.1], seed=2, counts={"train": 8}),
                     settings={"window": None}, metrics={"accuracy": 0.5})
    assert ModelCard.from_dict(json.loads(json.dumps(card.to_dict()))) == card
    model = rnnzoo.build("gru_classifier", vocabulary_size=10, num_classes=2, units=4, metadata=card.to_dict())
    rnnzoo.saving.save(model, str(tmp_path / "m.keras"))
    assert card_of(rnnzoo.load(str(tmp_path / "m.keras"))) == card


def test_a_partial_card_reads_as_the_current_version_and_rnnzoo_0_1_metadata_is_refused():
    card = ModelCard.from_dict({"task": "seq2seq", "text": {"level": "char"}, "settings": {"max_target_length": 28}})
    assert card.card_version == CARD_VERSION and card.task == "seq2seq" and card.get("max_target_length") == 28
    assert ModelCard.from_dict({**card.to_dict(), "card_version": 2}).task == "seq2seq"  # the committed models' cards
    legacy = {"model": "bahdanau_seq2seq", "task": "seq2seq", "seed": 1, "split": [0.8, 0.1, 0.1], "window": None}
    with pytest.raises(ValueError, match=r"unknown fields \['seed', 'window'\]"):
        ModelCard.from_dict(legacy)
    with pytest.raises(ValueError, match="not one this rnnzoo reads"):
        ModelCard.from_dict({"card_version": 1, "task": "seq2seq"})


def test_a_future_card_version_is_refused_clearly():
    with pytest.raises(ValueError, match="newer than this rnnzoo understands"):
        ModelCard.from_dict({"card_version": CARD_VERSION + 1, "task": "classifier"})
    with pytest.raises(ValueError, match="unknown fields"):
        ModelCard.from_dict({"card_version": CARD_VERSION, "colour": "red"})


def test_fingerprint_sees_content_and_order():
    a = datasets.load("sentiment").subset(range(10))
    b = datasets.load("sentiment").subset(range(10), name="another name")
    assert a.fingerprint() == b.fingerprint() == fingerprint([a.texts, a.labels])
    assert a.fingerprint() != datasets.load("sentiment").subset(range(1, 11)).fingerprint()


@pytest.fixture(scope="module")
def cmudict():
    data = datasets.load("cmudict")
    return data, data.split((0.9, 0.02, 0.08), seed=0)


@pytest.mark.parametrize("name", G2P)
def test_g2p_reference_cards_hold_their_true_split(name, cmudict):
    data, (train_part, _, test_part) = cmudict
    card = card_of(rnnzoo.load(os.path.join(ROOT, name), compile=False))
    assert card.split.fractions == [0.9, 0.02, 0.08] and card.split.seed == 0 and card.split.grouping == "source"
    assert card.training["seed"] == (1 if "seed1" in name else 2 if "seed2" in name else 0)
    assert card.data.fingerprint == data.fingerprint()
    part, described = held_out(card, data, "cmudict")  # the 8% of words no model was trained on
    assert part.fingerprint() == card.split.held_out_fingerprint == test_part.fingerprint()
    assert len(part) == card.split.counts["test"] and described.startswith("held-out test split of cmudict")
    assert not set(part.sources) & set(train_part.sources)


def test_g2p_reference_refuses_a_changed_dictionary(cmudict):
    card = card_of(rnnzoo.load(os.path.join(ROOT, G2P[0]), compile=False))
    data = cmudict[0]
    fewer = data.subset(range(1, len(data)), name="cmudict")
    with pytest.raises(ValueError, match="content differs"):
        held_out(card, fewer, "cmudict")


def test_char_lm_card_rebuilds_its_held_out_end_and_refuses_other_text(tmp_path):
    path = os.path.join(ROOT, "..", "..", "shared", "data", "tinyshakespeare.txt")
    if not os.path.exists(path):
        pytest.skip(f"{path} is not on this machine")
    card = card_of(rnnzoo.load("char_lstm_512_tiny_shakespeare", compile=False))
    assert card.split.method == "characters" and card.split.held_out == "test"
    text = open(path, encoding="utf-8").read()
    cut = int(card.split.counts["train"]) + int(card.split.counts["validation"])
    part, described = held_out(card, datasets.load(path), path)
    assert "".join(part.texts) == text[cut:] and described.startswith("held-out test text")
    with pytest.raises(ValueError, match="trained on the first"):  # the same text, but not as a file path
        held_out(card, datasets.load(path), "tinyshakespeare")
    changed = tmp_path / "tinyshakespeare.txt"
    changed.write_text(text[:cut] + text[cut:].replace("the", "teh"), encoding="utf-8")
    with pytest.raises(ValueError):  # a changed held-out end is refused, never scored as if it were the original
        held_out(card, datasets.load(str(changed)), str(changed))


def test_a_character_split_with_a_test_end_rebuilds_the_test_part_only(tmp_path):
    """benchmarks/char_lm.py --test-fraction: train | validation | test; evaluation scores the test end."""
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(ROOT), "benchmarks"))
    from char_lm import character_split

    text = "".join(f"line {i} of the play\n" for i in range(400))
    path = tmp_path / "play.txt"
    path.write_text(text, encoding="utf-8")
    cut, test_cut = int(len(text) * 0.9), int(len(text) * 0.95)
    data, split = character_split(str(path), text, cut, test_cut)
    assert split.held_out == "test" and split.counts == {"train": cut, "validation": test_cut - cut,
                                                         "test": len(text) - test_cut}
    card = ModelCard(model="m", task="language_model", data=data, split=split)
    part, described = held_out(card, datasets.load(str(path)), str(path))
    assert "".join(part.texts) == text[test_cut:] and described.startswith("held-out test text")
    _, old_style = character_split(str(path), text, cut)  # no test end: the validation end, as before
    assert old_style.held_out == "validation" and old_style.counts["test"] == 0
    old_card = ModelCard(model="m", task="language_model", data=data, split=old_style)
    assert "".join(held_out(old_card, datasets.load(str(path)), str(path))[0].texts) == text[cut:]
