"""One-to-many generation: captions for images of synthetic scenes, decoded greedily or with beam search.

`scenes(n)` draws images with one or two coloured shapes and a caption that follows from the picture:
"a red circle", or for two shapes the relation along the axis where they are further apart, the left (or upper)
one named first: "a red circle left of a blue square", "a green triangle above a red circle". `rnnzoo.train`
trains a registered captioner (`lstm_captioner`, `gru_captioner`; `prepare` below), `caption` writes captions,
and the evaluation reports exact match and corpus BLEU-4 on held-out scenes.

Examples:
>>> from rnnzoo.tasks.captioning.caption import scenes, caption
>>> result = rnnzoo.train("lstm_captioner", scenes(8000), epochs=20)  # doctest: +SKIP
>>> caption(result.trained, scenes(3, seed=9).images, beam_width=3)  # doctest: +SKIP
"""

import collections
import dataclasses
import math
import os

import numpy as np

from rnnzoo.card import DataRecord, ModelCard, SplitRecord, fingerprint
from rnnzoo.datasets.base import Dataset
from rnnzoo.decoding import decode_length
from rnnzoo.trained import TrainedModel

TASK_NAME = "captioner"  # the task this module's verbs serve (`rnnzoo.tasks.captioning.task`)

COLOURS = {"red": (0.9, 0.1, 0.1), "green": (0.1, 0.75, 0.2), "blue": (0.15, 0.3, 0.95), "yellow": (0.95, 0.85, 0.1)}
SHAPES = ("circle", "square", "triangle")


@dataclasses.dataclass
class CaptionData(Dataset):
    """Images (n, size, size, 3) in [0, 1] and one caption each."""

    images: np.ndarray
    captions: list
    name: str = "scenes"
    task = "captioner"
    _fields = ("captions",)

    def subset(self, index, name=None):
        index = list(index)
        return CaptionData(self.images[index], [self.captions[i] for i in index], name or self.name)

    def fingerprint(self):
        return fingerprint([np.ascontiguousarray(self.images), self.captions])


def _draw(image, shape, colour, cx, cy, r):
    size = image.shape[0]
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    if shape == "circle":
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    elif shape == "square":
        inside = (np.abs(xx - cx) <= r * 0.85) & (np.abs(yy - cy) <= r * 0.85)
    else:  # triangle pointing up: the width grows from the apex to the base
        top, bottom = cy - r, cy + r
        half = (yy - top) / (2 * r) * r
        inside = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half)
    image[inside] = colour


def scenes(n=8000, image_size=32, two_objects=0.7, seed=0, noise=0.03):
    """Random scenes of one or two shapes with their captions (see the module docstring).

    Args:
        n: int. Number of scenes.
        image_size: int. Height and width in pixels.
        two_objects: float. Fraction of scenes with two shapes.
        seed: int. Random seed.
        noise: float. Standard deviation of pixel noise added to every image.

    Examples:
    >>> data = scenes(4, seed=1)
    >>> data.images.shape, data.captions[0].startswith("a ")
    ((4, 32, 32, 3), True)
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, image_size, image_size, 3), "float32")
    captions = []
    r = image_size / 8
    for i in range(n):
        count = 2 if rng.random() < two_objects else 1
        objects = []
        while len(objects) < count:
            cx, cy = rng.uniform(r + 1, image_size - r - 1, size=2)
            # a second shape must not overlap, and must be clearly apart along the axis the caption names
            if objects and (max(abs(cx - objects[0][2]), abs(cy - objects[0][3])) < 2.4 * r or
                            abs(abs(cx - objects[0][2]) - abs(cy - objects[0][3])) < 0.5 * r):
                continue
            shape, colour = SHAPES[rng.integers(len(SHAPES))], list(COLOURS)[rng.integers(len(COLOURS))]
            if objects and (shape, colour) == objects[0][:2]:
                continue
            objects.append((shape, colour, cx, cy))
        for shape, colour, cx, cy in objects:
            _draw(images[i], shape, COLOURS[colour], cx, cy, r)
        if count == 1:
            captions.append(f"a {objects[0][1]} {objects[0][0]}")
        else:
            a, b = objects
            if abs(a[2] - b[2]) >= abs(a[3] - b[3]):
                first, second = sorted(objects, key=lambda o: o[2])
                relation = "left of"
            else:
                first, second = sorted(objects, key=lambda o: o[3])
                relation = "above"
            captions.append(f"a {first[1]} {first[0]} {relation} a {second[1]} {second[0]}")
    if noise:
        images = np.clip(images + rng.normal(0, noise, images.shape), 0, 1).astype("float32")
    return CaptionData(images, captions, name="scenes")


def bleu(hypotheses, references, max_n=4):
    """Corpus BLEU (Papineni et al. 2002): clipped n-gram precisions for n ≤ `max_n`, geometric mean, brevity
    penalty. Token lists in; one reference list per hypothesis (each a list of token lists). Returns 0–1."""
    matches, totals = [0] * max_n, [0] * max_n
    length, reference_length = 0, 0
    for hypothesis, refs in zip(hypotheses, references):
        length += len(hypothesis)
        reference_length += min((abs(len(r) - len(hypothesis)), len(r)) for r in refs)[1]
        for n in range(1, max_n + 1):
            counts = collections.Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
            best = collections.Counter()
            for r in refs:
                best |= collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            matches[n - 1] += sum(min(c, best[g]) for g, c in counts.items())
            totals[n - 1] += max(len(hypothesis) - n + 1, 0)
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if length > reference_length else math.exp(1 - reference_length / max(length, 1))
    return brevity * math.exp(log_precision)


def caption(model, images, beam_width=1, alpha=0.0, max_length=None, batch_size=256):
    """Captions for images (n, size, size, channels) in [0, 1] with a trained captioner (any form
    `TrainedModel.of` takes)."""
    from rnnzoo.text import END_ID

    trained = TrainedModel.of(model)
    if trained.task.name != TASK_NAME:
        raise ValueError(f"{trained.name!r} is a {trained.task.name}, not a captioner.")
    model = trained.model
    images = np.asarray(images)
    if images.dtype.kind != "f":
        raise ValueError(f"Images must be floats in [0, 1]; got dtype {images.dtype} (divide uint8 images by 255).")
    expected = tuple(model.inputs[0].shape[1:])
    if images.ndim == 3:
        images = images[None]
    if tuple(images.shape[1:]) != expected:
        raise ValueError(f"This captioner takes images of shape {expected}; got {tuple(images.shape[1:])}.")
    encoder = trained.target_encoder
    max_length = int(max_length or decode_length(trained.card))
    out = []
    for start in range(0, len(images), batch_size):
        decoded = trained.decode_ids(images[start:start + batch_size].astype("float32"), max_length,
                                     beam_width=beam_width, alpha=alpha)
        for row, n in zip(decoded["tokens"][:, 0], decoded["lengths"][:, 0]):
            row = row[:n]
            out.append(encoder.decode(row[:-1] if n and row[-1] == END_ID else row))
    return out


def read_image(path, shape):
    """An image file (PNG, JPEG, BMP, GIF: whatever Pillow reads) as floats in [0, 1] of `shape` (height, width,
    channels): converted to RGB (or grey) and resized to what the captioner takes."""
    from PIL import Image, UnidentifiedImageError

    if not os.path.exists(path):
        raise FileNotFoundError(f"No such image file: {path}")
    height, width, channels = (int(n) for n in shape)
    try:
        with Image.open(path) as image:
            image = image.convert("RGB" if channels == 3 else "L")
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, "float32") / 255.0
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"{path} is not an image file Pillow can read ({e}); pass a PNG or JPEG.") from None
    return pixels.reshape(height, width, channels)


def evaluate_captions(model, data, beam_width=1, alpha=0.0):
    """Exact match and BLEU-4 of the model's captions against the scenes' captions."""
    predicted = caption(model, data.images, beam_width=beam_width, alpha=alpha)
    exact = float(np.mean([p == t for p, t in zip(predicted, data.captions)]))
    score = bleu([p.split() for p in predicted], [[t.split()] for t in data.captions])
    return {"exact_match": exact, "bleu": score, "beam_width": int(beam_width), "examples": len(data),
            "samples": [{"caption": t, "predicted": p} for p, t in list(zip(predicted, data.captions))[:5]]}




OPTIONS = {"split": (0.8, 0.1, 0.1), "beam_width": 3, "scenes": 8000}
"""A captioner's training options (`rnnzoo.train`):

    split: tuple. Train/validation/test fractions of user data when no validation_data is given (for the synthetic
        scenes, fresh scenes are drawn for validation and test instead).
    beam_width: int. Beam width of the second held-out evaluation (0 or 1 skips it).
    scenes: int. With data="scenes": how many synthetic scenes to train on.
"""


def prepare(spec, data, config, validation_data=None, test_data=None):
    """The `Plan` of a captioner (`rnnzoo.train`): the caption vocabulary fitted on the training captions,
    teacher-forced batches, and held-out exact match and BLEU-4 (greedy and beam)."""
    from rnnzoo.fitting import Plan
    from rnnzoo.text import TextEncoder, pad_sequences

    option, seed = config.task.get, config.seed
    if isinstance(data, str):
        if data != "scenes":
            raise ValueError(f"Captioners train on CaptionData or the synthetic 'scenes'; got {data!r}.")
        data = scenes(int(option("scenes")), seed=seed)
    if not len(data):
        raise ValueError("No training scenes; pass CaptionData with images and captions.")
    size = data.images.shape[1]
    if validation_data is None and test_data is None and data.name == "scenes":
        validation, test = scenes(1000, size, seed=seed + 1000), scenes(1000, size, seed=seed + 2000)
        train, method = data, "generated"
    elif validation_data is None and test_data is None:
        (train, validation, test), method = data.split(tuple(option("split")), seed=seed), "fractions"
    else:
        train, method = data, "explicit"
        validation = validation_data if validation_data is not None else scenes(1000, size, seed=seed + 1000)
        test = test_data if test_data is not None else scenes(1000, size, seed=seed + 2000)
    encoder = TextEncoder.fit(train.captions, level="word", min_frequency=1)
    ids = encoder.encode(train.captions, add_start=True, add_end=True)
    card = ModelCard(model=spec.name, task=TASK_NAME, target_text=encoder.get_config(),
                     settings={"max_target_length": int(max(len(i) for i in ids))},
                     data=DataRecord(source=data.name, fingerprint=data.fingerprint(), examples=len(data)),
                     split=SplitRecord(method=method, counts={"train": len(train), "validation": len(validation),
                                                              "test": len(test)},
                                       held_out_fingerprint=test.fingerprint(), seed=seed),
                     training={"model_options": dict(config.model)})
    beam_width = int(option("beam_width") or 0)

    def arrays(d):
        seqs = pad_sequences(encoder.encode(d.captions, add_start=True, add_end=True))
        return (d.images, seqs[:, :-1]), seqs[:, 1:]

    def held_out_metrics(trained):
        trained = TrainedModel(trained, card, TASK_NAME)
        metrics = {"greedy": evaluate_captions(trained, test)}
        if beam_width > 1:
            metrics["beam"] = evaluate_captions(trained, test, beam_width=beam_width)
        metrics.update(train=len(train), test=len(test))
        return metrics

    return Plan(card=card, train=arrays(train), validation=arrays(validation),
                build={"image_size": size, "channels": data.images.shape[-1], "target_vocabulary_size": len(encoder)},
                evaluate=held_out_metrics, shuffle=True, details={"splits": (train, validation, test)})
