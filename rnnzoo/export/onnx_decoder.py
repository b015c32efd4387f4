"""Decoding an exported encoder–decoder on ONNX Runtime: greedy and beam search over `encoder.onnx` +
`decoder_step.onnx` (written by `export(..., onnx=True)` for seq2seq models and captioners).

This module needs only NumPy and ONNX Runtime, so a server or an app can copy it without TensorFlow or Keras. Its
beam search is the algorithm of `rnnzoo.decoding.beam_search` step for step (same GNMT length penalty, same
ranking, same handling of ended hypotheses), so it returns what `rnnzoo.translate` returns for the same model
(tests/test_onnx.py checks 100 held-out words of the G2P preset at beam 5).

The special ids (padding, start, end, and the ids never generated) are read from `decoder_step.onnx`'s metadata.

Examples:
>>> decoder = OnnxDecoder.from_directory("exports/g2p")  # doctest: +SKIP
>>> out = decoder.decode_ids(np.array([[5, 9, 12, 0]]), max_length=20, beam_width=5)  # doctest: +SKIP
>>> out["tokens"][0, 0, : out["lengths"][0, 0]]  # doctest: +SKIP

With the model's text pipeline (`rnnzoo.load(...).with_onnx(directory)`), `rnnzoo.translate` runs this driver.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

ENCODER_FILE, DECODER_STEP_FILE = "encoder.onnx", "decoder_step.onnx"
NEG_INF = np.float32(-1e9)
STEP_OUT = "_out"


def length_penalty(lengths: np.ndarray, alpha: float) -> np.ndarray:
    """GNMT's ((5 + |Y|) / 6)^α, in float32 as the Keras beam search computes it."""
    return np.power((np.float32(5.0) + lengths.astype("float32")) / np.float32(6.0), np.float32(alpha))


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values per row, ties to the lower index (as `top_k` in TensorFlow and JAX)."""
    return np.argsort(-values, axis=-1, kind="stable")[..., :k]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


class OnnxDecoder:
    """An exported encoder and decoder step on ONNX Runtime, with greedy decoding and beam search.

    Args:
        encoder, decoder_step: paths (or serialized bytes) of `encoder.onnx` and `decoder_step.onnx`.
        threads: int or None. ONNX Runtime's intra-op threads (None: its default, every core).
    """

    def __init__(self, encoder: Any, decoder_step: Any, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = int(threads)
        self.encoder = ort.InferenceSession(encoder, options, providers=["CPUExecutionProvider"])
        self.decoder_step = ort.InferenceSession(decoder_step, options, providers=["CPUExecutionProvider"])
        meta = self.decoder_step.get_modelmeta().custom_metadata_map
        missing = {"pad_id", "start_id", "end_id", "suppress"} - set(meta)
        if missing:
            raise ValueError(f"decoder_step.onnx lacks the metadata {sorted(missing)}: re-export it with "
                             "rnnzoo.export.export(model, DIR, onnx=True).")
        self.pad_id, self.start_id, self.end_id = (int(meta[k]) for k in ("pad_id", "start_id", "end_id"))
        self.suppress = tuple(int(i) for i in meta["suppress"].split(","))
        self.source_name = self.encoder.get_inputs()[0].name
        self.source_integer = "int" in self.encoder.get_inputs()[0].type
        self.state_names = [i.name for i in self.decoder_step.get_inputs()][1:]
        self.output_names = [o.name for o in self.decoder_step.get_outputs()]
        self.vocabulary_size = int(self.decoder_step.get_outputs()[0].shape[-1])
        self.attention = "weights" + STEP_OUT in self.output_names

    @classmethod
    def from_directory(cls, directory: str | os.PathLike, threads: int | None = None) -> OnnxDecoder:
        """The pair in an export directory (`encoder.onnx`, `decoder_step.onnx`)."""
        paths = [os.path.join(os.fspath(directory), f) for f in (ENCODER_FILE, DECODER_STEP_FILE)]
        for path in paths:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"No {os.path.basename(path)} in {os.fspath(directory)!r}: export a seq2seq "
                                        "model or captioner with rnnzoo.export.export(model, DIR, onnx=True) "
                                        "(rnnzoo export MODEL --onnx --out DIR).")
        return cls(*paths, threads=threads)

    # -- the two files ---------------------------------------------------------------------------------------------
    def encode(self, source: np.ndarray) -> dict:
        """The decoder's starting states for a batch of right-padded source ids (or images)."""
        source = np.asarray(source).astype("int64" if self.source_integer else "float32")
        names = [o.name for o in self.encoder.get_outputs()]
        return dict(zip(names, self.encoder.run(None, {self.source_name: source})))

    def step(self, tokens: np.ndarray, states: dict) -> tuple:
        """One decoder step: tokens (batch,) → (logits (batch, vocabulary), the new states)."""
        feed = {"token": np.asarray(tokens).astype("int64"), **{n: states[n] for n in self.state_names}}
        out = dict(zip(self.output_names, self.decoder_step.run(None, feed)))
        new = dict(states)
        new.update({k[: -len(STEP_OUT)]: v for k, v in out.items() if k.endswith(STEP_OUT)})
        return out["logits"], new

    # -- decoding --------------------------------------------------------------------------------------------------
    def _banned(self) -> np.ndarray:
        banned = np.zeros(self.vocabulary_size, "float32")
        banned[list(self.suppress)] = NEG_INF
        return banned

    def greedy(self, source: np.ndarray, max_length: int, attention: bool = False) -> tuple:
        """Greedy decoding: (tokens (batch, max_length) ending in [END] then padding, attention rows (batch,
        max_length, source) or None)."""
        states = self.encode(source)
        batch = len(np.asarray(source))
        tokens = np.full((batch, max_length), self.pad_id, "int32")
        token = np.full(batch, self.start_id, "int64")
        finished = np.zeros(batch, bool)
        history = [] if attention and self.attention else None
        banned = self._banned()
        for t in range(max_length):
            logits, states = self.step(token, states)
            token = np.argmax(logits + banned, axis=-1)
            tokens[:, t] = np.where(finished, self.pad_id, token)
            if history is not None:
                history.append(states["weights"])
            finished |= token == self.end_id
            if finished.all():
                break
        weights = None if history is None else np.pad(np.stack(history, 1),
                                                      ((0, 0), (0, max_length - len(history)), (0, 0)))
        return tokens, weights

    def beam_search(self, source: np.ndarray, beam_width: int, max_length: int, alpha: float = 0.6,
                    attention: bool = False) -> tuple:
        """Batched beam search, as `rnnzoo.decoding.beam_search`: (tokens (batch, beam, max_length), scores
        (batch, beam), lengths (batch, beam), attention (batch, beam, max_length, source) or None), best first."""
        B, K, V = len(np.asarray(source)), int(beam_width), self.vocabulary_size
        rows = B * K
        states = {k: np.repeat(v, K, axis=0) for k, v in self.encode(source).items()}
        tokens = np.full((rows, max_length + 1), self.pad_id, "int32")
        tokens[:, 0] = self.start_id
        scores = np.full((B, K), NEG_INF, "float32")
        scores[:, 0] = 0.0  # all beams start identical: only one may expand at the first step
        banned = self._banned()[None, None]
        pad_only = np.where(np.arange(V) == self.pad_id, 0.0, NEG_INF).astype("float32")[None, None]
        lengths = np.zeros((B, K), "int32")
        finished = np.zeros((B, K), bool)
        record = attention and self.attention
        history = np.zeros((rows, max_length, states["weights"].shape[-1]), "float32") if record else None
        row_base = (np.arange(B, dtype="int32") * K)[:, None]
        t = 0
        while t < max_length and not finished.all():
            logits, states = self.step(tokens[:, t], states)
            logp = _log_softmax(logits.astype("float32").reshape(B, K, V) + banned)
            logp = np.where(finished[..., None], pad_only, logp)  # ended: only padding, at no cost
            total = scores[..., None] + logp
            new_lengths = np.where(finished, lengths, lengths + 1)
            ranked = total / length_penalty(new_lengths, alpha)[..., None]
            index = _top_k(ranked.reshape(B, K * V), K)
            beam, token = index // V, (index % V).astype("int32")
            scores = np.take_along_axis(total.reshape(B, K * V), index, axis=1)
            lengths = np.take_along_axis(new_lengths, beam, axis=1)
            finished = np.take_along_axis(finished, beam, axis=1) | (token == self.end_id)
            chosen = (row_base + beam).reshape(rows)
            tokens = tokens[chosen]
            tokens[:, t + 1] = token.reshape(rows)
            states = {k: v[chosen] for k, v in states.items()}
            if record:
                history = history[chosen]
                history[:, t] = states["weights"]
            t += 1
        final = scores / length_penalty(lengths, alpha)
        order = _top_k(final, K)
        chosen = (row_base + order).reshape(rows)
        out_tokens = tokens[chosen][:, 1:].reshape(B, K, max_length)
        weights = None if not record else history[chosen].reshape(B, K, max_length, -1)
        return (out_tokens, np.take_along_axis(final, order, axis=1), np.take_along_axis(lengths, order, axis=1),
                weights)

    def decode_ids(self, source_ids: np.ndarray, max_length: int, beam_width: int = 1, alpha: float = 0.6,
                   attention: bool = False) -> dict:
        """What `rnnzoo.decoding.decode_ids` returns (greedy for beam_width 1, else beam search): `tokens`
        (batch, beam, max_length), `scores` (None when greedy), `lengths`, `attention` (or None)."""
        if int(beam_width) < 1:
            raise ValueError(f"beam_width must be a positive integer; got {beam_width!r}.")
        if attention and not self.attention:
            raise ValueError("This decoder has no attention (a fixed-context model or captioner); use "
                             "attention=False.")
        if int(beam_width) == 1:
            tokens, weights = self.greedy(source_ids, int(max_length), attention)
            ended = tokens == self.end_id
            lengths = np.where(ended.any(-1), ended.argmax(-1) + 1, tokens.shape[-1]).astype("int32")
            return {"tokens": tokens[:, None], "scores": None, "lengths": lengths[:, None],
                    "attention": None if weights is None else weights[:, None]}
        tokens, scores, lengths, weights = self.beam_search(source_ids, int(beam_width), int(max_length), alpha,
                                                            attention)
        return {"tokens": tokens, "scores": scores, "lengths": lengths, "attention": weights}
