"""The package as a new user gets it: the wheel built from this checkout, installed into a fresh virtual environment
outside the checkout with only its declared dependencies (pip resolves them; its cache and the configured indexes
make that quick), then used the way the README says."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(cmd, cwd, env, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.mark.slow
def test_the_wheel_installs_with_its_declared_dependencies_and_works_outside_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RNNZOO_PRESETS_DIR", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(tmp_path / "dist"), ROOT],
         tmp_path, env)
    wheel = next((tmp_path / "dist").glob("rnnzoo-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bin_ = venv / "bin"
    _run([bin_ / "python", "-m", "pip", "install", "--quiet", str(wheel)], tmp_path, env)
    assert "No broken requirements" in _run([bin_ / "python", "-m", "pip", "check"], tmp_path, env)
    away = tmp_path / "elsewhere"  # no checkout in sight: presets come from the installed package
    away.mkdir()
    listing = _run([bin_ / "rnnzoo", "presets"], away, env)
    assert "pos_bilstm" in listing and "(missing" not in listing, listing
    translated = _run([bin_ / "rnnzoo", "translate", "dates_bahdanau", "the 3rd of March 2001"], away, env)
    assert '"translation": "2001-03-03"' in translated, translated
    code = ("import rnnzoo\nt = rnnzoo.load('pos_bilstm')\nassert 'site-packages' in t.path, t.path\n"
            "print(rnnzoo.predict_text(t, ['the cat sat on the mat'])[0])")
    tagged = _run([bin_ / "python", "-c", code], away, env)
    assert "('the', 'DT')" in tagged and "('sat', 'VBD')" in tagged, tagged
    assert _run([bin_ / "rnnzoo", "--version"], away, env).startswith("rnnzoo ")
