"""The command line as a new user meets it: each task's verb, `info`, errors that say what to do, quiet output."""

import json
import os
import subprocess
import sys

import pytest

import rnnzoo
from rnnzoo import datasets
from rnnzoo.cli import main as cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAR_LM = os.path.join(ROOT, "saved_models", "char_lstm_512_tiny_shakespeare")
WORD_LM = os.path.join(ROOT, "saved_models", "word_lstm_shakespeare")
G2P = os.path.join(ROOT, "saved_models", "g2p_bahdanau_cmudict_seed1")
COMMITTED = sorted(os.path.join(ROOT, "saved_models", d) for d in os.listdir(os.path.join(ROOT, "saved_models"))
                   if os.path.exists(os.path.join(ROOT, "saved_models", d, "model.keras"))
                   and not d.startswith("demo_"))  # `make demo` writes demo_* here (git-ignored, not committed)
NOISE = ("E0000", "W0000", "I0000", "To enable", "WARNING: All log messages")


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("cli") / "clf")
    data = datasets.TextClassificationData(["good fun film", "bad dull film"] * 20, ["pos", "neg"] * 20)
    rnnzoo.train("gru_classifier", data, epochs=1, units=4, embedding_dim=4, verbose=0, min_frequency=1, out=out)
    return out


@pytest.mark.slow
def test_generate_from_the_shell_prints_text_and_no_startup_noise():
    proc = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "generate", CHAR_LM, "ROMEO:", "--seed", "1",
                           "--max-length", "40"], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ROMEO:") and len(proc.stdout.strip()) > len("ROMEO:")
    lines = (proc.stdout + proc.stderr).splitlines()
    assert not [line for line in lines if line.startswith(NOISE)], lines
    again = subprocess.run([sys.executable, "-m", "rnnzoo.cli", "generate", CHAR_LM, "ROMEO:", "--seed", "1",
                            "--max-length", "40"], capture_output=True, text=True, timeout=300)
    assert again.stdout == proc.stdout  # the same seed, the same text


def test_score_reads_arguments_files_and_stdin(tmp_path, capsys, monkeypatch):
    import io

    assert cli(["score", WORD_LM, "to be or not to be", "be not to or be to", "--json"]) == 0
    real, shuffled = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert real["log_prob"] > shuffled["log_prob"] and real["perplexity"] < shuffled["perplexity"]
    (tmp_path / "lines.txt").write_text("to be or not to be\n\nzzxqj thou\n", encoding="utf-8")
    assert cli(["score", WORD_LM, "--file", str(tmp_path / "lines.txt"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["to be or not to be", "zzxqj thou"] and rows[1]["unknown"] == ["zzxqj"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("thou art\n"))
    assert cli(["generate", WORD_LM, "-", "--max-length", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["prompt"] == "thou art"


def test_wrong_task_missing_file_and_bad_format_errors(classifier, tmp_path, capsys):
    cases = [
        (["predict", WORD_LM, "to be"], "is a language_model model.*For this model use: rnnzoo generate, rnnzoo score"),
        (["generate", classifier, "good"], "is a classifier model.*For this model use: rnnzoo predict"),
        (["score", G2P, "hello"], "is a seq2seq model.*rnnzoo translate"),
        (["generate", str(tmp_path / "missing"), "x"], "No saved model at"),
        (["score", WORD_LM, "--file", str(tmp_path / "missing.txt")], "No such file"),
        (["predict", classifier, "--file", str(tmp_path / "latin1.txt")], "is not UTF-8 text"),
        (["generate", str(tmp_path / "latin1.txt"), "x"], "is not a .keras file"),
        (["predict", str(tmp_path / "broken.keras"), "x"], "is not a complete .keras file"),
        (["caption", WORD_LM, "x.png"], "is a language_model model.*For this model use: rnnzoo generate"),
        (["caption", "scenes_lstm_captioner", str(tmp_path / "missing.png")], "No such image file"),
        (["caption", "scenes_lstm_captioner", str(tmp_path / "latin1.txt")], "is not an image file.*PNG or JPEG"),
        (["recognize", "listops_tree_lstm", "x.wav"], "is a tree_classifier model.*For this model use: rnnzoo predict"),
        (["recognize", "speech_bigru_ctc", str(tmp_path / "missing.wav")], "No such audio file"),
        (["recognize", "speech_bigru_ctc", str(tmp_path / "latin1.txt")], "is not an audio file soundfile can read"),
        (["predict", "listops_tree_lstm", "( 9 min"], "ends too early.*Known tokens: 0 1 2"),
        (["predict", "listops_tree_lstm", "( 3 plus 4 )"], "Unknown token 'plus'"),
        (["generate", "no_such_preset", "x"], "No saved model at.*preset name"),
    ]
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04 truncated")
    for argv, message in cases:  # 2: the command line cannot work (a verb for another task); 1: runtime errors
        code = cli(argv)
        import re

        err = capsys.readouterr().err
        assert re.search(message, err), (argv, err)
        assert code == (2 if re.search(r"is a \w+ model, and `rnnzoo", err) else 1), (argv, code)


def test_predict_verb_on_a_classifier(classifier, capsys):
    assert cli(["predict", classifier, "good fun film", "bad dull film"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["good fun film", "bad dull film"]
    assert all(r["prediction"]["label"] in ("pos", "neg") for r in rows)


@pytest.mark.parametrize("path", COMMITTED, ids=os.path.basename)
def test_info_on_every_committed_model(path, capsys):
    assert cli(["info", path]) == 0
    out = capsys.readouterr().out
    card = rnnzoo.card_of(rnnzoo.load(path, compile=False))
    assert out.startswith(f"{card.model} ({card.task})") and "parameters" in out and card.data.source in out
    assert cli(["info", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["split"]["fractions"] == card.split.fractions


def test_a_new_tasks_verb_appears_without_editing_the_cli(capsys):
    from rnnzoo.cli import parser
    from rnnzoo.task import TASKS, Task, Verb

    class Shout(Task):
        name = "shout_example"

        def verbs(self):
            return [Verb("shout", "upper-case texts", lambda model, items, o: [t.upper() for t in items])]

    TASKS["shout_example"] = Shout()
    try:
        assert "shout" in parser()._subparsers._group_actions[0].choices
    finally:
        del TASKS["shout_example"]


G2P_MODELS = [p for p in COMMITTED if os.path.basename(p).startswith("g2p_")]
# `rnnzoo evaluate` on every committed model: text models and the forecaster on their training source (its held-out
# split is rebuilt from the card); models of files on a list of new files made here (their synthetic data is drawn,
# never stored); the char LM on ../shared's text (test_evaluate_the_committed_char_model_...).
ON_SOURCE = {**{os.path.basename(p): ("cmudict", ["--limit", "40"]) for p in G2P_MODELS},
             "word_lstm_shakespeare": ("shakespeare_lines", []), "sentiment_bilstm": ("sentiment", []),
             "pos_bilstm": ("pos", []), "dates_bahdanau": ("dates", ["--limit", "100"]),
             "sunspots_gru": ("sunspots", [])}
ON_FILES = {"scenes_lstm_captioner": ("exact_match", 0.8), "listops_tree_lstm": ("accuracy", 0.9),
            "speech_bigru_ctc": ("wer", 0.5)}


def test_every_committed_model_has_an_evaluate_test():
    # the best char LM's evaluate test: tests/test_reference_models.py::test_best_char_model_scores_its_test_end_...
    char_lms = {os.path.basename(CHAR_LM)}
    assert {os.path.basename(p) for p in COMMITTED} == set(ON_SOURCE) | set(ON_FILES) | char_lms


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ON_SOURCE))
def test_evaluate_a_committed_model_on_its_held_out_split(name, capsys):
    data, extra = ON_SOURCE[name]
    assert cli(["evaluate", name, "--data", data, *extra]) == 0
    metrics = json.loads(capsys.readouterr().out)
    card = rnnzoo.card_of(rnnzoo.load(name, compile=False))
    held = "held-out test period of" if card.task == "forecaster" else "held-out test split of"
    assert metrics["evaluated_on"].startswith(f"{held} {data}") and metrics["examples"] > 0
    assert metrics.get("loss", 1) > 0
    for key in ("perplexity", "accuracy", "mase"):  # the card's figure, reproduced from the rebuilt split
        if key in metrics and key in card.metrics:
            assert metrics[key] == pytest.approx(card.metrics[key], rel=1e-3), key


def _files_for(name, here):
    """A TSV of new files and their labels, in the format `rnnzoo evaluate` reads for this model."""
    from PIL import Image

    from rnnzoo.tasks.captioning.caption import scenes
    from rnnzoo.tasks.speech import recognize as speech
    from rnnzoo.tasks.trees.data import arithmetic_trees, to_text

    lines = []
    if name == "scenes_lstm_captioner":
        drawn = scenes(40, seed=77)
        for i, (image, text) in enumerate(zip(drawn.images, drawn.captions)):
            Image.fromarray((image * 255).round().clip(0, 255).astype("uint8")).save(here / f"{i}.png")
            lines.append(f"{i}.png\t{text}")
    elif name == "listops_tree_lstm":
        trees = arithmetic_trees(100, depths=(2, 5), seed=77, operators=("max", "min"))
        lines = [f"{to_text(t)}\t{trees.label_names[y]}" for t, y in zip(trees.trees, trees.labels)]
    else:
        if not speech.espeak_available():
            pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")
        for i, text in enumerate(["seven", "go left", "zero", "stop on"]):
            subprocess.run(["espeak-ng", "-v", speech.TEST_VOICES[i % 6], "-w", str(here / f"{i}.wav"), text],
                           check=True)
            lines.append(f"{i}.wav\t{text}")
    (here / "list.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(here / "list.tsv")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ON_FILES))
def test_evaluate_a_committed_model_of_files_on_new_files(name, tmp_path, capsys):
    listing = _files_for(name, tmp_path)
    assert cli(["evaluate", name, "--data", listing]) == 0
    metrics = json.loads(capsys.readouterr().out)
    key, bound = ON_FILES[name]
    assert metrics["evaluated_on"].startswith(f"all of {listing}") and metrics["examples"] > 0
    assert (metrics[key] <= bound) if key == "wer" else (metrics[key] >= bound), metrics
    (tmp_path / "list.tsv").write_text("nothing.png\tno file\n")
    assert cli(["evaluate", name, "--data", listing]) == 1
    assert "do not exist" in capsys.readouterr().err or name == "listops_tree_lstm"


def test_forecast_verb_reads_series_files(tmp_path, capsys):
    import numpy as np


    series = np.sin(np.arange(200) / 5.0).astype("float32") * 10 + 20
    out = str(tmp_path / "fc")
    rnnzoo.train("gru_forecaster", series, input_length=12, horizon=3, epochs=2, units=8, out=out, verbose=0)
    (tmp_path / "tail.csv").write_text("value\n" + "\n".join(f"{v:.4f}" for v in series[-20:]) + "\n")
    assert cli(["forecast", out, str(tmp_path / "tail.csv"), "--horizon", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["horizon"] == 2 and len(row["forecast"]) == 2 and all(np.isfinite(row["forecast"]))
    expected = rnnzoo.tasks.forecasting.forecast.Forecaster(rnnzoo.load(out, compile=False)).forecast(series[-20:])[:2]
    np.testing.assert_allclose(row["forecast"], expected, rtol=1e-5)
    (tmp_path / "bad.csv").write_text("value\n1.0\nabc\n")
    (tmp_path / "short.csv").write_text("1\n2\n")
    for argv, message in [(["forecast", out, str(tmp_path / "bad.csv")], "line 3.*not all numbers"),
                          (["forecast", out, str(tmp_path / "short.csv")], "needs the last 12"),
                          (["forecast", out, str(tmp_path / "tail.csv"), "--horizon", "5"], "forecasts 3 steps"),
                          (["forecast", WORD_LM, str(tmp_path / "tail.csv")], "For this model use: rnnzoo generate")]:
        assert cli(argv) == (2 if "For this model use" in message else 1), argv
        import re

        assert re.search(message, capsys.readouterr().err), argv


TINY_SHAKESPEARE = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")


@pytest.mark.parametrize("model, data, options", [
    ("gru_forecaster", "sunspots", ["--set", "input_length=12", "--set", "season=11"]),
    ("gru_captioner", "scenes", ["--set", "scenes=64", "--set", "image_size=16", "--set", "filters=[4]"]),
    ("tree_lstm_classifier", "trees", ["--set", "trees=96", "--set", 'heights=[1, 2]']),
    ("bigru_ctc", "spoken_words", ["--set", "utterances=24", "--set", "num_layers=1"]),
])
def test_train_command_trains_every_kind_of_task(model, data, options, tmp_path, capsys):
    """`rnnzoo train MODEL --data … --epochs 1 --out DIR` for the tasks without a text pipeline: forecasting on a
    real series, captioning, trees and speech, each writing model.keras, metrics.json and history.json; the JSON
    on stdout is the metrics."""
    if data == "spoken_words":
        from rnnzoo.tasks.speech import recognize as speech

        if not speech.espeak_available():
            pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; make setup does it)")
    out = tmp_path / "run"
    assert cli(["train", model, "--data", data, "--epochs", "1", "--out", str(out), "--set", "units=4",
                *options]) == 0
    assert {"model.keras", "metrics.json", "history.json"} <= set(os.listdir(out))
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs_run"] == 1 and printed == {"model": model, "out": str(out), **json.load(
        open(out / "metrics.json"))}
    card = rnnzoo.load(str(out), compile=False).card
    assert card.task == rnnzoo.get_spec(model).task and card.training["config"]["epochs"] == 1
    assert cli(["train", model, "--data", data, "--set", "no_such_option=1", "--out", str(tmp_path / "x")]) == 1
    assert "Unknown training settings ['no_such_option']" in capsys.readouterr().err


def test_version_answers_without_importing_tensorflow():
    code = ("import sys\nfrom rnnzoo.cli import main\nassert main(['--version']) == 0\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'torch', 'jax') if m in sys.modules)\n"
            "print('imported:', heavy)\nassert main(['presets']) == 0\n"  # listing the presets needs no TensorFlow
            "print('imported:', sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[:2] == [f"rnnzoo {rnnzoo.__version__}", "imported: []"] and lines[-1] == "imported: []", lines
    assert len(lines) == 2 + len(rnnzoo.presets()) + 1
    import tomllib

    project = tomllib.load(open(os.path.join(ROOT, "pyproject.toml"), "rb"))["project"]
    assert "version" not in project and project["dynamic"] == ["version"]  # one place: rnnzoo/version.py


@pytest.mark.slow  # subprocesses that each import TensorFlow
def test_python_dash_m_runs_the_command_with_exit_codes_for_usage_and_runtime_errors(tmp_path):
    run = [sys.executable, "-m", "rnnzoo"]
    ok = subprocess.run(run + ["--help"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "usage: rnnzoo" in ok.stdout and "--version" in ok.stdout
    usage = subprocess.run(run + ["train"], capture_output=True, text=True, timeout=300)  # --data missing
    assert usage.returncode == 2 and "the following arguments are required" in usage.stderr
    missing = subprocess.run(run + ["info", str(tmp_path / "nothing.keras")], capture_output=True, text=True,
                             timeout=300)
    assert missing.returncode == 1 and "No saved model at" in missing.stderr and not missing.stdout


def test_verbose_and_quiet_are_accepted_anywhere(capsys, monkeypatch):
    from rnnzoo import progress

    assert cli(["presets", "--quiet"]) == 0 and progress.quiet()
    first = capsys.readouterr().out
    assert cli(["-q", "presets"]) == 0
    assert cli(["presets", "--verbose"]) == 0 and not progress.quiet()
    assert capsys.readouterr().out == first * 2


@pytest.mark.slow  # subprocesses that each import TensorFlow
def test_train_json_pipes_cleanly_with_progress_on_stderr(tmp_path):
    """`rnnzoo train ... --json | python -m json.tool`: standard output holds the result alone."""
    data = tmp_path / "films.csv"
    data.write_text("text,label\n" + "good fun film,pos\nbad dull film,neg\n" * 20)
    train = subprocess.run([sys.executable, "-m", "rnnzoo", "train", "gru_classifier", "--data", str(data),
                            "--epochs", "2", "--set", "units=4", "--set", "min_frequency=1", "--json",
                            "--out", str(tmp_path / "clf")], capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    assert "Epoch 2/2" in train.stderr and "training in float32" in train.stderr  # progress went to stderr
    tool = subprocess.run([sys.executable, "-m", "json.tool"], input=train.stdout, capture_output=True, text=True)
    assert tool.returncode == 0, train.stdout[:2000]
    assert json.loads(train.stdout)["model"] == "gru_classifier"
