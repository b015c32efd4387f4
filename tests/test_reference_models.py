"""The committed reference language models meet the figures their metrics.json files state."""

import json
import os

import pytest

import rnnzoo

ROOT = os.path.join(os.path.dirname(__file__), "..")
WORD = os.path.join(ROOT, "saved_models", "word_lstm_shakespeare")
TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")


def test_word_model_ranks_real_lines_above_shuffled_ones():
    import sys

    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from word_lm import shuffled_test

    from rnnzoo import datasets

    model = rnnzoo.load(WORD)
    split = rnnzoo.card_of(model).split
    held_out = datasets.load("shakespeare_lines").split(tuple(split.fractions), seed=split.seed)[2]
    wins, _ = shuffled_test(model, held_out.texts, n=200)
    assert wins >= 0.95
    assert wins == pytest.approx(json.load(open(os.path.join(WORD, "metrics.json")))["shuffled_sentence_ranking"])


def test_best_char_model_scores_its_test_end_as_its_metrics_state():
    """`rnnzoo evaluate` rebuilds the test end (the last 5%) from the card and gets the benchmark's figure."""
    best = os.path.join(ROOT, "saved_models", "char_lstm_512_tiny_shakespeare")
    if not os.path.exists(TINY_SHAKESPEARE):
        pytest.skip(f"{TINY_SHAKESPEARE} is not on this machine")
    stated = json.load(open(os.path.join(best, "metrics.json")))
    result = rnnzoo.evaluate(best, TINY_SHAKESPEARE)
    assert result["evaluated_on"].startswith("held-out test text")
    # the benchmark scored windows of 100 with no state carried in; evaluate reads the same text its own way
    assert result["loss"] == pytest.approx(stated["test_nats_per_char"], abs=0.05)
