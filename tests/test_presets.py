"""The committed presets: one per task family, small, carded, loaded by name, and each runs its verb."""

import json
import os
import subprocess

import numpy as np
import pytest

import rnnzoo
from rnnzoo.cli import main as cli
from rnnzoo.presets import presets

MB = 1e6
SAVED = os.path.join(os.path.dirname(__file__), "..", "saved_models")
WEIGHTS_BUDGET = 45 * MB  # the presets plus the G2P ensemble members a documented command needs (issue 36)


def _committed(folder):
    """What is (or would be) committed under `folder`, from git (None outside a checkout)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "."],
                            capture_output=True, cwd=folder)
    return [f for f in listed.stdout.decode().split("\0") if f] if listed.returncode == 0 else None


def test_presets_cover_the_task_families_within_the_weights_budget():
    listed = presets()
    assert len({p.family for p in listed}) == len(listed) >= 9 and all(p.available for p in listed), \
        [p.line() for p in listed]
    files = _committed(SAVED)
    if files is None:
        pytest.skip("not a git checkout: the committed files cannot be listed")
    assert not any(f.startswith("demo_") for f in files)
    weights = sum(os.path.getsize(os.path.join(SAVED, f)) for f in files
                  if f.endswith(".keras") and os.path.isfile(os.path.join(SAVED, f)))
    assert weights <= WEIGHTS_BUDGET, f"committed model weights: {weights / MB:.1f} MB"


def test_each_preset_is_the_best_committed_model_of_its_family_on_validation():
    """Among the committed models of a preset's family (same task and data), none has a better validation figure."""
    import json

    def figure(folder, keys):
        value = json.load(open(os.path.join(folder, "metrics.json")))
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    compared = 0
    for preset in presets():
        if not preset.selection:
            continue
        family = [d for d in os.listdir(SAVED) if os.path.isfile(os.path.join(SAVED, d, "model.keras"))
                  and d.split("_")[0] == preset.name.split("_")[0] and d != preset.name]
        mine = figure(preset.path, preset.selection)
        assert isinstance(mine, float), (preset.name, preset.selection)
        for other in family:
            theirs = figure(os.path.join(SAVED, other), preset.selection)
            if theirs is not None:
                assert mine <= theirs, (preset.name, mine, other, theirs)  # lower is better: WER, nats/char
                compared += 1
    assert compared >= 1  # the G2P preset against the ensemble member beside it that has a validation figure


@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.name)
def test_each_preset_matches_its_manifest(preset):
    from rnnzoo.presets import MANIFEST_FILE, verify

    manifest = verify(preset.path)  # sizes and sha256 of every file
    listed = {entry["path"] for entry in manifest["files"]}
    on_disk = {f for f in os.listdir(preset.path) if f != MANIFEST_FILE and not f.startswith(".")}
    assert listed == on_disk and "model.keras" in listed and manifest["name"] == preset.name


def test_presets_listing_from_python_and_the_shell(capsys):
    assert cli(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [p.name for p in rnnzoo.presets()]
    assert all("MB" in line and "rnnzoo " in line and " ? " not in line for line in lines), lines
    assert cli(["presets", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(isinstance(r["value"], (int, float)) for r in rows), rows  # every headline figure is found


@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.name)
def test_each_preset_has_a_full_card(preset):
    card = rnnzoo.card_of(rnnzoo.load(preset.name, compile=False))
    assert card.task and card.data.source and card.data.licence, card.data
    assert card.split is not None and card.split.counts and card.metrics
    assert card.training.get("preset_command") or card.training.get("commands") or card.training.get("command")


def _example_files(tmp_path):
    """A sunspot CSV, two scene images and (where espeak-ng is installed) two spoken WAV files."""
    from PIL import Image

    from rnnzoo import datasets
    from rnnzoo.tasks.captioning.caption import scenes
    from rnnzoo.tasks.speech.recognize import espeak_available

    series = datasets.load("sunspots")
    values = np.asarray(series.values)[:, 0]
    (tmp_path / "sunspots.csv").write_text("value\n" + "\n".join(f"{v:.1f}" for v in values[-30:]) + "\n")
    shown = scenes(2, seed=11, noise=0)
    for i, image in enumerate(shown.images):
        Image.fromarray((image * 255).round().astype("uint8")).save(tmp_path / f"scene{i}.png")
    spoken = []
    if espeak_available():
        for i, text in enumerate(["seven", "left stop"]):
            subprocess.run(["espeak-ng", "-v", "en-029+m4", "-w", str(tmp_path / f"said{i}.wav"), text], check=True)
            spoken.append(text)
    return values, shown.captions, spoken


ARGUMENTS = {"sunspots_gru": ["sunspots.csv"], "scenes_lstm_captioner": ["scene0.png", "scene1.png", "--beam", "3"],
             "speech_bigru_ctc": ["said0.wav", "said1.wav"], "char_lstm_512_tiny_shakespeare": ["ROMEO:", "--seed", "1",
                                                                                          "--max-length", "30"]}


@pytest.mark.slow
@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.name)
def test_each_preset_loads_by_name_and_runs_its_verb(preset, tmp_path, capsys, monkeypatch):
    values, captions, spoken = _example_files(tmp_path)
    if preset.verb == "recognize" and not spoken:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")
    monkeypatch.chdir(tmp_path)
    arguments = ARGUMENTS.get(preset.name, [json.loads(preset.example) if preset.example.startswith('"')
                                            else preset.example])
    json_flag = [] if preset.verb == "translate" else ["--json"]  # translate always prints JSON lines
    assert cli([preset.verb, preset.name, *arguments, *json_flag]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows
    first = rows[0]
    if preset.name == "sentiment_bilstm":
        assert first["prediction"]["label"] in ("positive", "negative")
    elif preset.name == "pos_bilstm":  # "the cat sat on the mat"
        tags = [tag for _, tag in first["prediction"]]
        assert (tags[0], tags[2], tags[3], tags[4]) == ("DT", "VBD", "IN", "DT"), first
    elif preset.name == "dates_bahdanau":
        assert first["translation"] == "2001-03-03"
    elif preset.name == "g2p_bahdanau_ls_long_seed2_cmudict":
        assert first["translation"].split()[0] == "K" and 4 <= len(first["translation"].split()) <= 6, first
    elif preset.verb == "generate":
        assert first["text"].startswith("ROMEO:") and len(first["text"]) > len("ROMEO:")
    elif preset.verb == "score":
        assert first["perplexity"] > 1 and first["unknown"] == []
    elif preset.verb == "forecast":
        assert first["horizon"] == 1 and 0 <= first["forecast"][0] < 300
    elif preset.verb == "caption":
        assert [r["caption"] for r in rows] == captions  # noise-free scenes of the training grammar
    elif preset.verb == "recognize":
        assert sum(r["transcript"] == s for r, s in zip(rows, spoken)) >= 1, (rows, spoken)
    elif preset.name == "listops_tree_lstm":  # ( 3 max ( 4 min 2 ) ) = 3
        assert first["prediction"]["label"] == "3"
