"""Presets: trained models that come with rnnzoo, one per task family, loaded by name, path or URL.

A preset is a directory holding `model.keras` (the model card lives inside it), its `metrics.json`, and a
`manifest.json` that lists every file of the directory with its size and sha256. The presets ship inside the
`rnnzoo` wheel (as the package `rnnzoo_presets`, built from `saved_models/` in the repository), so
`rnnzoo.load("pos_bilstm")` works from any install, offline. A preset may also be an archive of such a directory
(`NAME.tar.gz`, written by `pack`) served at an `https://` or `file://` URL: `rnnzoo.load(URL)` downloads it once
into the cache (`$RNNZOO_CACHE_DIR`, else `~/.cache/rnnzoo/presets`), checks every file against the manifest (and
the archive against a `#sha256=HEX` fragment when the URL has one), and loads it from the cache from then on.

Where a name is looked up, first found wins: `$RNNZOO_PRESETS_DIR`, the `saved_models/` folder of a git checkout
beside the package, the installed `rnnzoo_presets` package.

Examples:
>>> [p.name for p in presets()][:2]
['sentiment_bilstm', 'pos_bilstm']
>>> model = rnnzoo.load("pos_bilstm")  # doctest: +SKIP
>>> model = rnnzoo.load("https://example.org/presets/pos_bilstm.tar.gz#sha256=...")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from rnnzoo.names import METRICS_FILE, MODEL_FILE

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = "rnnzoo-preset"
MANIFEST_VERSION = 1
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
URL_SCHEMES = ("https", "http", "file")
_CHECKOUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models")


class PresetError(ValueError):
    """A preset that cannot be used: unknown, incomplete, or failing its manifest's checks."""


def preset_dirs() -> list[str]:
    """The folders searched for presets by name, in order: $RNNZOO_PRESETS_DIR, a checkout's `saved_models/`,
    the installed `rnnzoo_presets` package."""
    found = []
    if os.environ.get("RNNZOO_PRESETS_DIR"):
        found.append(os.environ["RNNZOO_PRESETS_DIR"])
    if os.path.isdir(_CHECKOUT):
        found.append(_CHECKOUT)
    import importlib.util

    spec = importlib.util.find_spec("rnnzoo_presets")
    if spec is not None and spec.submodule_search_locations:
        found.extend(os.fspath(p) for p in spec.submodule_search_locations)
    return found


def cache_dir() -> str:
    """Where presets fetched from a URL are kept: $RNNZOO_CACHE_DIR, else ~/.cache/rnnzoo/presets."""
    return os.environ.get("RNNZOO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "rnnzoo",
                                                               "presets")


@dataclasses.dataclass(frozen=True)
class Preset:
    """One preset.

    Attributes:
        name: str. What `rnnzoo.load(name)` takes (the preset's folder name).
        family: str. The task family.
        verb: str. The command-line verb that uses it (`rnnzoo VERB NAME ...`).
        example: str. An argument for that verb (a text, or the kind of file it reads).
        metric: tuple. Path of the headline held-out figure in its metrics.json, e.g. ("beam", "wer").
        label: str. What that figure is, for the one-line listing.
        selection: tuple. Path of the validation figure the preset was chosen on among its family's models.
    """

    name: str
    family: str
    verb: str
    example: str
    metric: tuple
    label: str
    selection: tuple = ()

    @property
    def path(self) -> str:
        """The preset's folder: the first of `preset_dirs()` that holds it (else where a checkout would)."""
        for root in preset_dirs():
            folder = os.path.join(root, self.name)
            if os.path.isfile(os.path.join(folder, MODEL_FILE)):
                return folder
        return os.path.join(_CHECKOUT, self.name)

    @property
    def available(self) -> bool:
        return os.path.isfile(os.path.join(self.path, MODEL_FILE))

    def size_bytes(self) -> int:
        return os.path.getsize(os.path.join(self.path, MODEL_FILE))

    def _figure(self, keys: tuple) -> Any:
        try:
            with open(os.path.join(self.path, METRICS_FILE)) as f:
                value = json.load(f)
        except (OSError, ValueError):
            return None
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    def headline(self) -> Any:
        """The headline held-out figure from the preset's metrics.json (None when the file lacks it)."""
        return self._figure(self.metric)

    def record(self) -> dict:
        """What `rnnzoo presets --json` and benchmarks/presets.py report of the preset."""
        return {"name": self.name, "family": self.family, "verb": self.verb, "path": self.path,
                "available": self.available, "size_bytes": self.size_bytes() if self.available else None,
                "metric": ".".join(self.metric), "label": self.label,
                "value": self.headline() if self.available else None}

    def line(self) -> str:
        """One line for `rnnzoo presets`: name, family, size, headline figure, verb."""
        if not self.available:
            return f"{self.name:34s} {self.family:26s} (missing: not in {', '.join(preset_dirs()) or 'any folder'})"
        value = self.headline()
        figure = "?" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
        return (f"{self.name:34s} {self.family:26s} {self.size_bytes() / 1e6:4.1f} MB  {self.label} {figure}; "
                f"rnnzoo {self.verb} {self.name} {self.example}")


PRESETS = (
    Preset("sentiment_bilstm", "text classification", "predict", '"a gripping, funny film"', ("accuracy",),
           "Pang & Lee sentences, test accuracy"),
    Preset("pos_bilstm", "sequence tagging", "predict", '"the cat sat on the mat"', ("accuracy",),
           "OANC POS tags, test token accuracy"),
    Preset("dates_bahdanau", "seq2seq with attention", "translate", '"the 3rd of March 2001"', ("exact_match",),
           "synthetic dates → ISO 8601, test exact match"),
    Preset("g2p_bahdanau_ls_long_seed2_cmudict", "grapheme-to-phoneme", "translate", "keras", ("beam", "wer"),
           "CMUdict, test word error rate (beam 5)", ("validation", "greedy", "wer")),
    Preset("char_lstm_512_tiny_shakespeare", "character language model", "generate", '"ROMEO:"',
           ("test_nats_per_char",), "tiny-shakespeare, test nats/char", ("validation_nats_per_char",)),
    Preset("word_lstm_shakespeare", "word language model", "score", '"to be or not to be"', ("perplexity",),
           "Shakespeare lines, test perplexity"),
    Preset("sunspots_gru", "forecasting", "forecast", "series.csv", ("mase",),
           "yearly sunspots 1969-2008 walk-forward, MASE"),
    Preset("speech_bigru_ctc", "speech recognition (CTC)", "recognize", "audio.wav", ("wer",),
           "20 spoken words, unheard voices, WER"),
    Preset("scenes_lstm_captioner", "image captioning", "caption", "image.png", ("beam", "exact_match"),
           "synthetic scenes, test exact match (beam 3)"),
    Preset("listops_tree_lstm", "tree classification", "predict", '"( 3 max ( 4 min 2 ) )"',
           ("accuracy", "height 6"), "max/min trees, accuracy on unseen height 6"),
)


def presets() -> list[Preset]:
    """The presets, one per task family (`Preset` objects; `.line()` describes one).

    Examples:
    >>> len(presets()) >= 9
    True
    """
    return list(PRESETS)


def preset_path(name: str) -> str | None:
    """The directory of the preset `name` (or of another model folder beside the presets in a checkout, such as
    the G2P ensemble's members), or None when there is none of that name."""
    for preset in PRESETS:
        if preset.name == name:
            return preset.path if preset.available else None
    if isinstance(name, str) and name and os.sep not in name and "/" not in name and name not in (".", ".."):
        for root in preset_dirs():
            folder = os.path.join(root, name)
            if os.path.isfile(os.path.join(folder, MODEL_FILE)):
                return folder
    return None


# -- manifests ------------------------------------------------------------------------------------------------
def sha256_of(path: str) -> str:
    """The sha256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: str) -> list[str]:
    return sorted(f for f in os.listdir(folder) if f != MANIFEST_FILE and not f.startswith(".")
                  and os.path.isfile(os.path.join(folder, f)))


def write_manifest(folder: str) -> dict:
    """Writes `folder/manifest.json`: every file of the preset with its size and sha256 (atomically)."""
    from rnnzoo.version import __version__

    if not os.path.isfile(os.path.join(folder, MODEL_FILE)):
        raise PresetError(f"{folder!r} has no {MODEL_FILE}; a preset folder holds a trained model.")
    manifest = {"format": MANIFEST_FORMAT, "manifest_version": MANIFEST_VERSION,
                "name": os.path.basename(os.path.normpath(folder)), "written_by": f"rnnzoo {__version__}",
                "files": [{"path": f, "size": os.path.getsize(os.path.join(folder, f)),
                           "sha256": sha256_of(os.path.join(folder, f))} for f in _files(folder)]}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest-")
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(folder, MANIFEST_FILE))
    return manifest


def read_manifest(folder: str) -> dict:
    """The manifest of a preset folder, checked for its format."""
    path = os.path.join(folder, MANIFEST_FILE)
    try:
        with open(path) as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise PresetError(f"{folder!r} has no {MANIFEST_FILE}: it is not a preset (write one with "
                          "rnnzoo.presets.write_manifest).") from None
    except ValueError as e:
        raise PresetError(f"{path!r} is not valid JSON ({e}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
            or not isinstance(manifest.get("files"), list):
        raise PresetError(f"{path!r} is not an rnnzoo preset manifest (format {MANIFEST_FORMAT!r} with a file list).")
    if manifest.get("manifest_version", 0) > MANIFEST_VERSION:
        raise PresetError(f"{path!r} was written by a newer rnnzoo (manifest version "
                          f"{manifest['manifest_version']}); upgrade rnnzoo to use it.")
    return manifest


def verify(folder: str, hashes: bool = True) -> dict:
    """Checks a preset folder against its manifest: every listed file present with its size (and sha256 with
    `hashes`), `model.keras` listed. Raises `PresetError` naming the first file that differs; returns the manifest."""
    manifest = read_manifest(folder)
    listed = {entry.get("path"): entry for entry in manifest["files"]}
    if MODEL_FILE not in listed:
        raise PresetError(f"The manifest of {folder!r} does not list {MODEL_FILE}.")
    for name, entry in listed.items():
        if not isinstance(name, str) or os.path.basename(name) != name or name in (".", ".."):
            raise PresetError(f"The manifest of {folder!r} lists {name!r}, which is not a plain file name.")
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise PresetError(f"Preset {folder!r} is incomplete: {name} is missing.")
        if os.path.getsize(path) != entry.get("size"):
            raise PresetError(f"Preset {folder!r}: {name} has {os.path.getsize(path)} bytes, the manifest says "
                              f"{entry.get('size')}. The file is damaged or was changed after the manifest was "
                              "written.")
        if hashes and sha256_of(path) != entry.get("sha256"):
            raise PresetError(f"Preset {folder!r}: the sha256 of {name} does not match its manifest. The file is "
                              "damaged or was changed; download or copy the preset again.")
    return manifest


# -- archives and URLs ----------------------------------------------------------------------------------------
def pack(folder: str, out_dir: str) -> str:
    """Writes `out_dir/NAME.tar.gz` of a preset folder (its manifest checked first); returns the archive's path.
    Serve it anywhere: `rnnzoo.load("https://host/NAME.tar.gz")`."""
    folder = preset_path(folder) or folder
    manifest = verify(folder)
    name = os.path.basename(os.path.normpath(folder))
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, name + ".tar.gz")
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}-", suffix=".tar.gz")
    os.close(fd)
    with tarfile.open(tmp, "w:gz") as tar:
        for entry in [{"path": MANIFEST_FILE}] + manifest["files"]:
            info = tar.gettarinfo(os.path.join(folder, entry["path"]), arcname=f"{name}/{entry['path']}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            with open(os.path.join(folder, entry["path"]), "rb") as f:
                tar.addfile(info, f)
    os.replace(tmp, target)
    return target


def is_url(source: object) -> bool:
    return isinstance(source, str) and urllib.parse.urlsplit(source).scheme in URL_SCHEMES


def _archive_name(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    base = os.path.basename(path)
    for suffix in ARCHIVE_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    raise PresetError(f"{url!r} does not name a preset archive: a preset URL ends in "
                      f"{' or '.join(ARCHIVE_SUFFIXES)} (an archive written by rnnzoo.presets.pack).")


def fetch(url: str, progress: bool | None = None) -> str:
    """The local folder of the preset archive at `url` (`https://`, `http://` or `file://`), downloaded and
    unpacked into `cache_dir()` on first use and checked against its manifest. A `#sha256=HEX` fragment also
    checks the archive itself. Raises `PresetError` when a check fails (nothing is left in the cache)."""
    parts = urllib.parse.urlsplit(url)
    expected = dict(urllib.parse.parse_qsl(parts.fragment)).get("sha256") if parts.fragment else None
    name = _archive_name(url)
    where = urllib.parse.urlunsplit(parts._replace(fragment=""))
    key = hashlib.sha256(where.encode()).hexdigest()[:16]
    folder = os.path.join(cache_dir(), f"{name}-{key}")
    if os.path.isdir(folder):
        try:
            verify(folder, hashes=False)  # sizes only: hashed when it was unpacked
            return folder
        except PresetError:
            shutil.rmtree(folder, ignore_errors=True)  # an older, damaged copy: fetch it again
    os.makedirs(cache_dir(), exist_ok=True)
    staging = tempfile.mkdtemp(dir=cache_dir(), prefix=f".{name}-")
    try:
        archive = os.path.join(staging, "archive.tar.gz")
        _download(where, archive, progress)
        if expected is not None and sha256_of(archive) != expected.lower():
            raise PresetError(f"The archive at {where!r} does not match the sha256 in its URL ({expected}); it "
                              "was changed or damaged in transit. Nothing was kept.")
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            if any(not (m.isfile() or m.isdir()) for m in members):
                raise PresetError(f"The archive at {where!r} holds links or devices; a preset holds plain files.")
            tar.extractall(staging, filter="data")
        unpacked = os.path.join(staging, name)
        if not os.path.isdir(unpacked):
            raise PresetError(f"The archive at {where!r} has no top folder {name!r}; write preset archives with "
                              "rnnzoo.presets.pack.")
        verify(unpacked)
        try:
            os.replace(unpacked, folder)
        except OSError:  # another process unpacked it first
            if not os.path.isdir(folder):
                raise
        return folder
    except (tarfile.TarError, EOFError) as e:
        raise PresetError(f"{where!r} is not a readable .tar.gz archive ({e}).") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(url: str, path: str, progress: bool | None) -> None:
    from rnnzoo.progress import Progress

    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (OSError, ValueError) as e:
        raise PresetError(f"Could not download the preset {url!r}: {e}.") from None
    with response, open(path, "wb") as out:
        total = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        bar = Progress(int(total) if total and total.isdigit() else None, f"downloading {os.path.basename(url)}",
                       enabled=progress, unit="B")
        for block in iter(lambda: response.read(1 << 20), b""):
            out.write(block)
            bar.add(len(block))
        bar.close()


def locate(source: str) -> str | None:
    """The local folder or file for a preset name or URL (fetched into the cache), or None when `source` is
    neither (a path: the caller resolves it)."""
    if is_url(source):
        return fetch(source)
    if os.path.exists(source):
        return None
    return preset_path(source)


def write_manifests(names: Iterable[str] | None = None) -> list[str]:
    """Writes the manifest of every preset (or of `names`); returns their folders."""
    folders = [p.path for p in PRESETS if names is None or p.name in set(names)]
    for folder in folders:
        write_manifest(folder)
    return folders
