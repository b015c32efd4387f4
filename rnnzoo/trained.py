"""The trained-model object: one Keras model with its card, its task and its text pipelines.

`rnnzoo.load` returns a `TrainedModel`; every verb (`predict_text`, `generate`, `score`, `translate`, `forecast`,
`recognize`, `caption`, tree `classify`), `evaluate`, `export` and the CLI take one, or anything it can be made
from: a preset name, a `str` or `pathlib.Path` to a `.keras` file or a training directory, or a `keras.Model`
built by rnnzoo. `TrainedModel.of` turns any of them into the object, and it is the only place that reads a
model's card: the object made for a `keras.Model` is kept on that model (until its card is replaced), so load +
verb + evaluate + export decode the card once.

The object is not a `keras.Model`; code that needs Keras uses `t.model`. It owns one compiled forward call
(`t.predict`): `tf.function` on TensorFlow, `jax.jit` on JAX, `torch.no_grad` on PyTorch, never the eager
per-step loop, with token inputs padded up to a length bucket so that shapes do not retrace without bound.

Layering: the object sits above the core (card, saving, task contract, evaluation, the export writers) and below
the tasks, whose verbs resolve their argument through it.

Examples:
>>> t = rnnzoo.load("dates_bahdanau")  # doctest: +SKIP
>>> t.card.metrics["exact_match"], t.task.name  # doctest: +SKIP
>>> rnnzoo.translate(t, "the 3rd of March 1999")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Union

import keras
import numpy as np

from rnnzoo.card import ModelCard, read_card, stored_card
from rnnzoo.inference import length_bucket
from rnnzoo.registry import find_spec
from rnnzoo.task import TASKS, Task, get_task

_KEPT = "_rnnzoo_trained"  # attribute of a keras.Model holding the object made for it


#: What `TrainedModel.of` (and every verb) takes: a preset name or URL, a path, a keras.Model built by rnnzoo, or
#: the object itself.
ModelSource = Union[str, "os.PathLike[str]", keras.Model, "TrainedModel"]


class TrainedModel:
    """A trained rnnzoo model: `model` (keras.Model), `card` (`ModelCard`), `task` (task object) and `path` (the
    `.keras` file it was loaded from, or None), with its text pipelines built on first use.

    Make one with `TrainedModel.of(anything)` or `rnnzoo.load(path_or_preset)`; `rnnzoo.train(...)` returns one as
    `result.trained`.

    Attributes:
        model: keras.Model.
        card: `rnnzoo.ModelCard`.
        task: the task object (`rnnzoo.get_task(card.task)`).
        path: str or None.
    """

    def __init__(self, model: keras.Model, card: ModelCard | None = None, task: Task | str | None = None,
                 path: str | os.PathLike | None = None) -> None:
        if not isinstance(model, keras.Model):
            raise ValueError(f"TrainedModel wraps a keras.Model; got {type(model).__name__}. Use TrainedModel.of(...) "
                             "for a path, a preset name or another form.")
        self.model = model
        self.card = read_card(model) if card is None else card
        name = task if task is not None else (self.card.task or getattr(find_spec(model.name), "task", None))
        if name is None:
            raise ValueError(f"Cannot tell which task model {model.name!r} solves: it carries no rnnzoo model card. "
                             f"Build it with rnnzoo.build (or pass task= one of {sorted(TASKS)}).")
        self.task = get_task(name)
        self.path = None if path is None else os.fspath(path)
        self._encoders: dict[str, Any] = {}
        self._calls: dict[Any, Any] = {}
        self.traces = 0  # compiled forward calls traced so far (one per length bucket and input layout)
        self._runtime: Any = None  # with_onnx / with_tflite: the exported file runs instead of Keras
        self._decoder: Any = None  # with_onnx on an encoder–decoder: OnnxDecoder runs translate / caption

    # -- making one ---------------------------------------------------------------------------------------------
    @classmethod
    def of(cls, source: ModelSource, compile: bool = False) -> TrainedModel:
        """The object for `source`: a `TrainedModel` (returned as is), a preset name, a `str` or `pathlib.Path`
        to a `.keras` file or training directory, or a `keras.Model` built by rnnzoo (the object made for it is
        kept on the model, so its card is read once). `compile=True` also compiles a loaded model with its
        task's loss and metrics (for `evaluate` or further training)."""
        if isinstance(source, cls):
            if compile:
                source.ensure_compiled()
            return source
        if isinstance(source, (str, os.PathLike)):
            return load(source, compile=compile)
        if isinstance(source, keras.Model):
            kept = getattr(source, _KEPT, None)
            if kept is not None and kept._stored is stored_card(source):
                trained = kept
            else:
                trained = cls(source)
                trained.keep()
            if compile:
                trained.ensure_compiled()
            return trained
        raise ValueError(f"Expected a trained rnnzoo model: a preset name, a path (str or pathlib.Path) to a .keras "
                         f"file or training directory, a keras.Model built by rnnzoo, or a TrainedModel; got "
                         f"{type(source).__name__}.")

    def keep(self) -> TrainedModel:
        """Keeps this object on its keras.Model, so `TrainedModel.of(model)` returns it (until the card changes)."""
        self._stored = stored_card(self.model)
        object.__setattr__(self.model, _KEPT, self)
        return self

    # -- what it carries ----------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.card.model or self.model.name

    @property
    def settings(self) -> dict:
        """Task settings the model needs at inference (`card.settings`)."""
        return self.card.settings

    @property
    def encoder(self) -> Any:
        """The input `TextEncoder` (built once from the card)."""
        return self._text_side("text", "carries no text pipeline; it was built without one (train it with "
                                       "rnnzoo.train, which fits one and records it in the card)")

    @property
    def target_encoder(self) -> Any:
        """The output `TextEncoder` of a seq2seq model or captioner."""
        return self._text_side("target_text", "carries no target text pipeline; train it with rnnzoo.train")

    def _text_side(self, field, missing):
        if field not in self._encoders:
            from rnnzoo.text import TextEncoder

            config = getattr(self.card, field)
            if not config:
                raise ValueError(f"Model {self.name!r} {missing}.")
            self._encoders[field] = TextEncoder.from_config(config)
        return self._encoders[field]

    @property
    def outputs(self) -> Any:
        """What the task's `encode` needs besides the input encoder (labels, the target encoder, or None)."""
        return self.task.outputs_from_card(self.card)

    def ensure_compiled(self) -> TrainedModel:
        """Compiles the Keras model with its task's loss and metrics when it is not compiled (for `evaluate`)."""
        from rnnzoo.saving import compile_model

        if not getattr(self.model, "compiled", False):
            compile_model(self.model, self.task)
        return self

    # -- the compiled forward call ------------------------------------------------------------------------------
    def predict(self, inputs: Any, batch_size: int = 64) -> Any:
        """The model's outputs (NumPy) for a batch of inputs, through one compiled call per length bucket.

        Token inputs of text tasks (right-padded ids) are padded further to `length_bucket(length)`, which leaves
        the outputs at the real positions unchanged (the padding is masked), and the outputs' time axis is cut
        back. Other inputs are fed as they are.

        Args:
            inputs: an array, or a list of arrays (one per model input).
            batch_size: int. Rows per call.
        """
        single = not isinstance(inputs, (list, tuple))
        inputs = [np.asarray(x) for x in ([inputs] if single else inputs)]
        rows = len(inputs[0])
        bucketed = [self.task.text_field is not None and x.ndim == 2 and x.dtype.kind in "iu" for x in inputs]
        chunks = []
        for start in range(0, rows, max(int(batch_size), 1)):
            chunk = [x[start:start + batch_size] for x in inputs]
            lengths = [x.shape[1] if b else None for x, b in zip(chunk, bucketed)]
            chunk = [_pad_to(x, length_bucket(n)) if n else x for x, n in zip(chunk, lengths)]
            out = self._call_for(chunk)(*chunk)
            out = keras.tree.map_structure(lambda y: np.asarray(keras.ops.convert_to_numpy(y)), out)
            chunks.append(keras.tree.map_structure(lambda y: _cut(y, chunk, lengths), out))
        if not chunks:
            raise ValueError("No inputs to predict from; pass at least one row.")
        return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *chunks)

    def with_onnx(self, path: str | os.PathLike) -> TrainedModel:
        """The same trained model served by ONNX Runtime, with this model's text pipeline, labels and card.

        `path` is a `model.onnx` written by `export(..., onnx=True)`, or the export directory. `predict`, and every
        verb built on it (`predict_text`, `score`, forecasts, CTC recognition), runs `model.onnx` instead of
        Keras; for a seq2seq model or captioner, `translate` / `caption` (greedy and beam search) run
        `encoder.onnx` + `decoder_step.onnx` through `rnnzoo.export.onnx_decoder.OnnxDecoder`. Language models'
        `generate` still steps the Keras model.

        Examples:
        >>> tagger = rnnzoo.load("pos_bilstm").with_onnx("exports/pos")  # doctest: +SKIP
        >>> rnnzoo.predict_text(tagger, "the cat sat on the mat")  # doctest: +SKIP
        >>> rnnzoo.translate(rnnzoo.load("dates_bahdanau").with_onnx("exports/dates"), "May 4 2001")  # doctest: +SKIP
        """
        from rnnzoo.export.onnx import session
        from rnnzoo.export.onnx_decoder import OnnxDecoder

        path = os.fspath(path)
        directory = path if os.path.isdir(path) else None
        model_file = os.path.join(path, "model.onnx") if directory else path
        served = TrainedModel(self.model, self.card, self.task, self.path)
        if getattr(self.task, "decoder", False) and directory:
            served._decoder = OnnxDecoder.from_directory(directory)
            return served
        if not os.path.isfile(model_file):
            raise FileNotFoundError(f"No ONNX file at {model_file!r}; write one with rnnzoo.export.export(model, DIR, "
                                    "onnx=True) (rnnzoo export MODEL --onnx --out DIR).")
        runner = session(model_file)
        name = runner.get_inputs()[0].name
        integer = "int" in runner.get_inputs()[0].type

        def run(*chunk):
            return runner.run(None, {name: chunk[0].astype("int64" if integer else "float32")})[0]

        served._runtime = run
        return served

    def decode_ids(self, source_ids: np.ndarray, max_length: int, beam_width: int = 1, sampler: Any = "greedy",
                   alpha: float = 0.6, seed: int | None = None, attention: bool = False) -> dict:
        """An encoder–decoder's decoding of a batch of sources (`rnnzoo.decoding.decode_ids`), or through its
        ONNX files after `with_onnx` (greedy and beam search; sampling needs the Keras model)."""
        if self._decoder is None:
            from rnnzoo.decoding import decode_ids

            return decode_ids(self.model, source_ids, max_length, beam_width=beam_width, sampler=sampler,
                              alpha=alpha, seed=seed, attention=attention)
        if sampler != "greedy":
            raise ValueError(f"The ONNX decoder runs greedy decoding and beam search, not sampler={sampler!r}; "
                             "sample with the Keras model (rnnzoo.load without with_onnx).")
        return self._decoder.decode_ids(source_ids, max_length, beam_width=beam_width, alpha=alpha,
                                        attention=attention)

    def with_tflite(self, path: str | os.PathLike) -> TrainedModel:
        """The same trained model served by the LiteRT interpreter: `predict` and the verbs built on it run
        `path`, a full-sequence `model.tflite` (or `model_dynamic.tflite`, `model_fused.tflite`) from `export`,
        one row at a time, each padded to the file's fixed length (a longer row is an error naming that length).

        Examples:
        >>> classifier = rnnzoo.load("sentiment_bilstm").with_tflite("exports/sentiment/model.tflite")  # doctest: +SKIP
        >>> rnnzoo.predict_text(classifier, "a gripping, funny film")  # doctest: +SKIP
        """
        from rnnzoo.export.tflite import TFLiteModel

        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No TFLite file at {path!r}; write one with rnnzoo.export.export(model, DIR) "
                                    "(rnnzoo export MODEL --out DIR).")
        runner = TFLiteModel(path)
        if len(runner.inputs) != 1:
            raise ValueError(f"{path!r} takes {sorted(runner.inputs)}: serve a one-input full-sequence file "
                             "(model.tflite), not a step file.")
        name, (shape, dtype) = next(iter(runner.inputs.items()))

        def run(*chunk):
            x = chunk[0]
            rows = []
            for row in x:
                if len(shape) > 1 and row.shape[0] > shape[1]:
                    if np.any(row[shape[1]:] != 0):
                        raise ValueError(f"A row is longer than {shape[1]} steps, the length {path!r} was "
                                         "exported with; export again with a larger sequence_length.")
                    row = row[:shape[1]]
                padded = np.zeros(shape[1:], dtype)
                padded[tuple(slice(0, n) for n in row.shape)] = row
                out = runner(**{name: padded[None]})
                rows.append(np.asarray(next(iter(out.values())))[0])
            out = np.stack(rows)
            if out.ndim == 3 and len(shape) > 1 and out.shape[1] == shape[1]:  # per step: back to the chunk's length
                out = out[:, : x.shape[1]]
                out = np.pad(out, ((0, 0), (0, x.shape[1] - out.shape[1]), (0, 0)))
            return out

        served = TrainedModel(self.model, self.card, self.task, self.path)
        served._runtime = run
        return served

    def _call_for(self, chunk):
        from rnnzoo.inference import compiled_call

        if getattr(self, "_runtime", None) is not None:
            return self._runtime

        backend = keras.backend.backend()
        key = (backend,) + tuple((x.shape[1:], x.dtype.str) for x in chunk)
        if key not in self._calls:
            signature = None
            if backend == "tensorflow":  # a free batch axis: one trace per length bucket, whatever the batch
                import tensorflow as tf

                signature = [tf.TensorSpec((None,) + x.shape[1:], tf.as_dtype(x.dtype)) for x in chunk]
            self._calls[key] = compiled_call(self.model, jit_compile=False, input_signature=signature,
                                             on_trace=self._traced)
        return self._calls[key]

    def _traced(self):
        self.traces += 1  # when traced (TensorFlow, JAX); on every call on PyTorch

    # -- what users do with it ----------------------------------------------------------------------------------
    def evaluate(self, data: Any, batch_size: int = 64, beam_width: int = 1,
                 translation_limit: int | None = None) -> dict:
        """Evaluates on a data source, honestly (`rnnzoo.evaluate`): the held-out split recorded in the card
        when `data` is the training source, all of any other source."""
        from rnnzoo.evaluation import evaluate_trained

        return evaluate_trained(self, data, batch_size=batch_size, beam_width=beam_width,
                                translation_limit=translation_limit)

    def export(self, directory: str | os.PathLike, **options: Any) -> dict:
        """Writes SavedModel and TFLite files for serving and devices (`rnnzoo.export.export`; the options are
        its keyword arguments)."""
        from rnnzoo.export.writer import export_trained

        return export_trained(self, directory, **options)

    def save(self, path: str | os.PathLike, include_optimizer: bool = False) -> str:
        """Saves the model (with its card) atomically to `path` (a `.keras` file); returns the path."""
        from rnnzoo.saving import save

        return save(self.model, path, include_optimizer=include_optimizer)

    def describe(self) -> dict:
        """What the model is, from its card and files (`rnnzoo info`): task, cells and sizes, parameters, data and
        split, vocabulary sizes, metrics, the training command, versions, and the exports beside its file."""
        from rnnzoo.saving import describe_model

        return describe_model(self.model, self.card, self.path)

    def __repr__(self) -> str:
        where = f", path={self.path!r}" if self.path else ""
        return f"<TrainedModel {self.name} ({self.task.name}){where}>"


def _pad_to(x, length):
    if x.shape[1] >= length:
        return x
    return np.pad(x, ((0, 0), (0, length - x.shape[1])))


def _cut(y, chunk, lengths):
    """Cuts an output's time axis back to the unpadded length of the token input it follows."""
    if y.ndim < 3:
        return y
    for x, n in zip(reversed(chunk), reversed(lengths)):
        if n is not None and y.shape[1] == x.shape[1] != n:
            return y[:, :n]
    return y


def load(path: str | os.PathLike, compile: bool = True) -> TrainedModel:
    """Loads a model saved by rnnzoo: a preset name (`rnnzoo.presets()`), a preset URL (`https://…/NAME.tar.gz`
    or `file://…`, cached after the first download and checked against its manifest), a `.keras` file or a
    training directory (`str` or `pathlib.Path`). Returns a `TrainedModel`.

    This is the one place that resolves a name, a path or a URL: every verb, `evaluate`, `export` and the CLI
    come through it (`TrainedModel.of`).

    With `compile=True` the model is ready for `evaluate` and further training: a model saved without its
    optimizer (as the presets are) is compiled with its task's loss and metrics. The card is read and checked
    (a card from a newer rnnzoo raises a clear error).

    Examples:
    >>> t = rnnzoo.load("g2p_bahdanau_ls_long_seed2_cmudict")  # doctest: +SKIP
    >>> t.model.count_params(), t.card.metrics.get("beam")  # doctest: +SKIP
    """
    from rnnzoo.presets import MANIFEST_FILE, locate, verify
    from rnnzoo.saving import load_model, resolve_model_path

    folder = locate(os.fspath(path))  # a preset name or URL → its folder (None: a path)
    if folder is not None and os.path.isfile(os.path.join(folder, MANIFEST_FILE)):
        verify(folder)
    file = resolve_model_path(os.fspath(path) if folder is None else folder)
    model = load_model(file, compile=False)
    try:
        trained = TrainedModel(model, path=file)
    except ValueError:
        raise ValueError(
            f"{file!r} holds a Keras model ({model.name!r}) without an rnnzoo model card, so rnnzoo cannot tell "
            "its task, text pipeline or labels. Load it with keras.saving.load_model(path); to use it with rnnzoo, "
            "build it with rnnzoo.build, train it with rnnzoo.train and save it with TrainedModel.save.") from None
    trained.keep()
    if compile:
        trained.ensure_compiled()
    return trained


def card_of(model: ModelSource) -> ModelCard:
    """The `ModelCard` of a trained model in any form `TrainedModel.of` takes.

    Examples:
    >>> rnnzoo.card_of("g2p_bahdanau_ls_long_seed2_cmudict").split.fractions  # doctest: +SKIP
    [0.9, 0.02, 0.08]
    """
    return TrainedModel.of(model).card


def evaluate(model: ModelSource, data: Any, batch_size: int = 64, beam_width: int = 1,
             translation_limit: int | None = None) -> dict:
    """Evaluates a trained model (any form `TrainedModel.of` takes) on a data source, honestly.

    For the source the model was trained on (same content fingerprint), the held-out split recorded in its card
    is rebuilt and scored; a source with the training source's name but other content is refused; any other
    source is scored whole. The result names what was scored (`evaluated_on`) and how many examples.

    Examples:
    >>> rnnzoo.evaluate("g2p_bahdanau_ls_long_seed2_cmudict", "cmudict")["evaluated_on"]  # doctest: +SKIP
    'held-out test split of cmudict (10084 of 126052 examples; ...)'
    """
    return TrainedModel.of(model, compile=True).evaluate(data, batch_size=batch_size, beam_width=beam_width,
                                                         translation_limit=translation_limit)
