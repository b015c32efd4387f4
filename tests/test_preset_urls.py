"""Presets by URL: an archive served on 127.0.0.1 (never the internet) is fetched once into the cache, checked
against its manifest (and a #sha256= fragment), and refused with a clear error when a check fails."""

import hashlib
import http.server
import io
import os
import tarfile
import threading

import pytest

import rnnzoo
from rnnzoo.presets import PresetError, pack

NAME = "sunspots_gru"  # the smallest preset (0.1 MB)


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A static HTTP server on 127.0.0.1 over tmp_path/www, counting its GET requests."""
    www = tmp_path / "www"
    www.mkdir()
    monkeypatch.setenv("RNNZOO_CACHE_DIR", str(tmp_path / "cache"))
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_preset_loads_from_a_url_once_then_from_the_cache(server, tmp_path):
    www, base, hits = server
    archive = pack(NAME, str(www))
    url = f"{base}/{NAME}.tar.gz#sha256={_sha256(archive)}"
    trained = rnnzoo.load(url, compile=False)
    local = rnnzoo.load(NAME, compile=False)
    assert trained.card == local.card and trained.path.startswith(str(tmp_path / "cache"))
    values = rnnzoo.datasets.load("sunspots").values
    from rnnzoo.tasks.forecasting.forecast import Forecaster

    assert Forecaster(trained).forecast(values).tolist() == Forecaster(local).forecast(values).tolist()
    assert hits == [f"/{NAME}.tar.gz"]
    rnnzoo.load(url, compile=False)  # cached: no second download
    assert len(hits) == 1
    assert rnnzoo.load(f"file://{archive}", compile=False).card == local.card  # file:// URLs too


def test_a_url_whose_hash_does_not_match_is_refused_and_nothing_is_cached(server, tmp_path):
    www, base, hits = server
    archive = pack(NAME, str(www))
    with pytest.raises(PresetError, match="does not match the sha256 in its URL"):
        rnnzoo.load(f"{base}/{NAME}.tar.gz#sha256={'0' * 64}", compile=False)
    # an archive whose model file was changed after its manifest was written
    buffer = io.BytesIO()
    with tarfile.open(archive, "r:gz") as src, tarfile.open(fileobj=buffer, mode="w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.endswith("model.keras"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            out.addfile(member, io.BytesIO(data))
    (www / f"{NAME}.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(PresetError, match="sha256 of model.keras does not match its manifest"):
        rnnzoo.load(f"{base}/{NAME}.tar.gz", compile=False)
    cache = tmp_path / "cache"
    assert not [p for p in cache.iterdir() if not p.name.startswith(".")] if cache.exists() else True


def test_bad_preset_urls_say_what_is_wrong(server):
    www, base, _ = server
    with pytest.raises(PresetError, match="ends in .tar.gz or .tgz"):
        rnnzoo.load(f"{base}/{NAME}.zip", compile=False)
    with pytest.raises(PresetError, match="Could not download"):
        rnnzoo.load(f"{base}/missing.tar.gz", compile=False)
    (www / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(PresetError, match="not a readable .tar.gz"):
        rnnzoo.load(f"{base}/junk.tar.gz", compile=False)


def test_an_installed_preset_whose_file_changed_is_refused(tmp_path, monkeypatch):
    import shutil

    from rnnzoo.presets import preset_path

    copy = tmp_path / "presets" / NAME
    shutil.copytree(preset_path(NAME), copy)
    monkeypatch.setenv("RNNZOO_PRESETS_DIR", str(tmp_path / "presets"))
    assert rnnzoo.load(NAME, compile=False).path.startswith(str(copy))
    with open(copy / "metrics.json", "a") as f:
        f.write(" ")
    with pytest.raises(PresetError, match="metrics.json has .* bytes, the manifest says"):
        rnnzoo.load(NAME, compile=False)
