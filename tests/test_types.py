"""The public API is typed: a `py.typed` marker ships with the package, and mypy (not strict) passes over the
public modules — the package root, the trained-model object, the registry, the card and the presets."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = ["rnnzoo/__init__.py", "rnnzoo/trained.py", "rnnzoo/registry.py", "rnnzoo/card.py", "rnnzoo/presets.py",
          "rnnzoo/progress.py", "rnnzoo/version.py"]


@pytest.mark.slow  # mypy's first run over the imports takes a while
def test_mypy_passes_over_the_public_modules():
    assert os.path.isfile(os.path.join(ROOT, "rnnzoo", "py.typed"))
    proc = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", *PUBLIC], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Success" in proc.stdout


def test_the_public_functions_carry_annotations():
    import inspect

    import rnnzoo
    from rnnzoo import card, registry, trained
    from rnnzoo.presets import fetch, presets, verify

    functions = [rnnzoo.load, rnnzoo.build, rnnzoo.list_models, rnnzoo.get_spec, rnnzoo.register_model,
                 rnnzoo.card_of, rnnzoo.evaluate, trained.TrainedModel.of, trained.TrainedModel.predict,
                 trained.TrainedModel.export, card.read_card, presets, fetch, verify,
                 registry.find_spec]
    bare = [f.__qualname__ for f in functions if not inspect.signature(f).return_annotation
            or inspect.signature(f).return_annotation is inspect.Signature.empty]
    assert not bare, bare
