"""Gives the committed reference models their true model cards (card version 2), once.

The models were trained before rnnzoo had model cards. Their metadata recorded the arguments of `train` rather
than the split that was used: the three G2P models said "cmudict[train]" with an 80/10/10 split, while the
benchmark split the words 90/2/8 with seed 0 (and the seed-1 model's split also used seed 0); the char LM said
nothing of its split (the first 90% of the characters of tiny-shakespeare, the last 10% for validation). This
script rebuilds each split from the data, fingerprints it, and re-saves each model with weights unchanged.

Run from the repository root: python saved_models/recard.py (needs ../shared/data/tinyshakespeare.txt).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_SHAKESPEARE = os.path.join(HERE, "..", "..", "shared", "data", "tinyshakespeare.txt")
G2P = {"g2p_bahdanau_cmudict": 0, "g2p_bahdanau_cmudict_seed1": 1, "g2p_bahdanau_cmudict_dropout25": 0}


def _commands(directory):
    with open(os.path.join(directory, "metrics.json")) as f:
        metrics = json.load(f)
    return [s.get("command") for s in metrics.get("stages", [])] + [metrics.get("command")], metrics


def _recard(name, data_record, split_record, training):
    import rnnzoo
    from rnnzoo.card import set_card, versions
    from rnnzoo.trained import card_of
    from rnnzoo.saving import save

    directory = os.path.join(HERE, name)
    model = rnnzoo.load(directory, compile=False)
    old = card_of(model)
    commands, metrics = _commands(directory)
    old.data, old.split = data_record, split_record
    old.training = {**training, "commands": [c for c in commands if c]}
    old.metrics = {k: v for k, v in metrics.items() if k not in ("history", "config", "stages", "command")}
    old.versions = {**versions(), "card": "re-carded by saved_models/recard.py (trained before card version 2)"}
    old.card_version = 2
    set_card(model, old)
    save(model, os.path.join(directory, "model.keras"), include_optimizer=False)
    print(f"{name}: {split_record.method} split, held out {split_record.held_out} "
          f"({split_record.counts}), fingerprint {data_record.fingerprint}")


def main():
    from rnnzoo import datasets, fitting
    from rnnzoo.card import DataRecord

    cmudict = datasets.load("cmudict")
    record = DataRecord(source="cmudict", fingerprint=cmudict.fingerprint(), examples=len(cmudict))
    _, split = fitting.split(cmudict, (0.9, 0.02, 0.08), 0)
    for name, seed in G2P.items():
        _recard(name, record, split, {"call": "benchmarks/g2p.py → rnnzoo.train", "seed": seed, "split_seed": 0})

    lines = datasets.load("shakespeare_lines")
    _, split = fitting.split(lines, (0.8, 0.1, 0.1), 0)
    _recard("word_lstm_shakespeare", DataRecord(source="shakespeare_lines", fingerprint=lines.fingerprint(),
                                                examples=len(lines)), split,
            {"call": "benchmarks/word_lm.py → rnnzoo.train", "seed": 0, "split_seed": 0})

    if not os.path.exists(TINY_SHAKESPEARE):
        sys.exit(f"{TINY_SHAKESPEARE} not found: the char LM keeps its card")
    sys.path.insert(0, os.path.join(HERE, "..", "benchmarks"))
    from char_lm import character_split

    text = open(TINY_SHAKESPEARE, encoding="utf-8").read()
    data, split = character_split(TINY_SHAKESPEARE, text, int(len(text) * 0.9))  # the benchmark's own cut
    _recard("char_lstm_tiny_shakespeare", data, split,
            {"call": "benchmarks/char_lm.py", "seed": 0, "split": "first 90% of the characters, last 10% validation"})


if __name__ == "__main__":
    main()
