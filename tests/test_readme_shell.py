"""The README's shell examples, run the way a new user copies them: against the committed models, and against
tiny files made here where an example names the user's own (`my_reviews.csv`, `tail.csv`, `scene.png`, ...).
The only change is fewer epochs (`--epochs N` → `--epochs 1`), so the suite stays fast."""

import os
import re
import shlex

import numpy as np
import pytest

from rnnzoo.cli import main as cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    """Every `rnnzoo ...` command in the bash blocks of the README and the docs pages (continuation lines joined,
    comments dropped)."""
    import glob

    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    # the pages in the order the README lists them (an example may use a model an earlier page trained), then any other
    pages = list(dict.fromkeys(re.findall(r"\]\(docs/([\w-]+\.md)", readme)))
    pages += sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))
                    if os.path.basename(p) not in pages)
    text = "\n".join([readme] + [open(os.path.join(ROOT, "docs", p), encoding="utf-8").read() for p in pages])
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for command in block.replace("\\\n", " ").splitlines():
            words = shlex.split(command, comments=True)
            if words and words[0] == "rnnzoo":
                commands.append(words[1:])
    return commands


def _user_files(here):
    """The files and models the README's examples call the user's own."""
    from rnnzoo import datasets

    os.makedirs(here / "saved_models")
    for name in os.listdir(os.path.join(ROOT, "saved_models")):
        os.symlink(os.path.join(ROOT, "saved_models", name), here / "saved_models" / name)
    rows = ["review,stars"] + [f"{t},{s}" for t, s in [("a warm and funny film", 5), ("dull and far too long", 1),
                                                      ("the best cast this year", 5), ("i walked out", 1)] * 10]
    (here / "my_reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (here / "my_pairs.tsv").write_text("".join(f"{w}\t{w[::-1]}\n" for w in ["cat", "dog", "bird", "fish"] * 10))
    sunspots = np.asarray(datasets.load("sunspots").values, "float32")[:, 0]
    (here / "tail.csv").write_text("\n".join(f"{v}" for v in sunspots[-30:]) + "\n")
    from PIL import Image

    from rnnzoo.tasks.captioning.caption import scenes

    image = scenes(1, seed=5).images[0]
    Image.fromarray((image * 255).round().astype("uint8")).save(here / "scene.png")


def _speech_files(here):
    """hello.wav, spoken by espeak-ng (False where it is not installed)."""
    from rnnzoo.tasks.speech import recognize as speech

    if not speech.espeak_available():
        return False
    import subprocess

    subprocess.run(["espeak-ng", "-w", str(here / "hello.wav"), speech.WORDS[0]], check=True)
    return True


@pytest.mark.slow
def test_every_readme_shell_example_runs(tmp_path, monkeypatch, capsys):
    commands = readme_commands()
    assert len(commands) >= 15 and any(c[0] == "generate" for c in commands)
    monkeypatch.chdir(tmp_path)
    _user_files(tmp_path)
    has_speech = _speech_files(tmp_path)
    for words in commands:
        if words[0] == "recognize" and not has_speech:
            continue  # espeak-ng is missing (make system installs it): no speech model to run
        words = [("1" if previous == "--epochs" else w) for previous, w in zip([None] + words, words)]
        code = cli(words)
        captured = capsys.readouterr()
        assert code == 0, (words, captured.err[-2000:])
