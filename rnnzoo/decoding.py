"""Samplers and the compiled decode loops: language models, and encoder–decoder models (seq2seq, captioning).

A sampler turns next-token logits into a token id. It is a small object picked by name (`get_sampler`), written
with `keras.ops` only, and draws with a uniform number supplied by the caller, so decoding is reproducible from
a seed and the random numbers can be made before a compiled loop starts.

The loop runs one recurrent step per token, carrying the states of every layer (the "cache" of an RNN), inside
one XLA-compiled `while` loop on the TensorFlow backend (`jax.jit` on JAX; eager on PyTorch).

Encoder–decoder models decode through `Seq2SeqStep` (the encoder half and one decoder step of the trained model,
found by layer name: the encoder is the sub-graph from the `source` input to `memory` and `decoder_init_i`; one
step is `target_embedding` → `decoder` (its `step`, the function the teacher-forced pass scans) → `logits`),
with greedy, sampled or beam-search decoding (`decode_ids`).
"""

import copy
import inspect
import weakref

import keras
import numpy as np
from keras import ops

from rnnzoo.inference import OwnFunction, length_bucket
from rnnzoo.layers.attention import AttentionDecoder
from rnnzoo.layers.recurrent import OneHot
from rnnzoo.names import DECODER, DECODER_INIT, EMBEDDING, LOGITS, MEMORY, ONE_HOT, TARGET_EMBEDDING
from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

NEG_INF = -1e9


class Sampler:
    """Base class: `filter` reshapes the logits, `__call__` picks a token from them with uniforms `u`."""

    name = None

    def __init__(self, temperature=1.0):
        if not temperature > 0:
            raise ValueError(f"temperature must be positive; got {temperature!r}. Use the greedy sampler for 0.")
        self.temperature = float(temperature)

    def filter(self, logits):
        return logits / self.temperature

    def __call__(self, logits, u):
        """logits: (batch, vocabulary) floats; u: (batch,) uniforms in [0, 1). Returns (batch,) int32 ids."""
        probs = ops.softmax(self.filter(ops.cast(logits, "float32")), axis=-1)
        # Inverse-CDF sampling: the first id whose cumulative probability exceeds u.
        below = ops.cast(ops.cumsum(probs, axis=-1) <= ops.expand_dims(u, -1), "int32")
        return ops.minimum(ops.sum(below, axis=-1), ops.shape(logits)[-1] - 1)

    def get_config(self):
        return {"temperature": self.temperature}


class GreedySampler(Sampler):
    """Always the most probable token (deterministic; ignores the uniforms)."""

    name = "greedy"

    def __init__(self):
        super().__init__(1.0)

    def __call__(self, logits, u):
        return ops.cast(ops.argmax(logits, axis=-1), "int32")


class RandomSampler(Sampler):
    """Samples from softmax(logits / temperature): < 1 sharpens, > 1 flattens the distribution."""

    name = "random"


class TopKSampler(Sampler):
    """Samples among the `k` most probable tokens only."""

    name = "top_k"

    def __init__(self, k=10, temperature=1.0):
        super().__init__(temperature)
        if int(k) < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        self.k = int(k)

    def filter(self, logits):
        k = min(self.k, logits.shape[-1])
        kth = ops.min(ops.top_k(logits, k=k, sorted=True)[0], axis=-1, keepdims=True)
        return ops.where(logits >= kth, logits, NEG_INF) / self.temperature

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class TopPSampler(Sampler):
    """Nucleus sampling: samples among the smallest set of tokens whose probability reaches `p`."""

    name = "top_p"

    def __init__(self, p=0.9, temperature=1.0):
        super().__init__(temperature)
        if not 0 < p <= 1:
            raise ValueError(f"p must be in (0, 1]; got {p!r}.")
        self.p = float(p)

    def filter(self, logits):
        logits = logits / self.temperature
        sorted_logits = ops.top_k(logits, k=logits.shape[-1], sorted=True)[0]
        probs = ops.softmax(sorted_logits, axis=-1)
        before = ops.cumsum(probs, axis=-1) - probs  # probability mass ranked above each token
        kept = ops.where(before < self.p, sorted_logits, ops.max(sorted_logits, axis=-1, keepdims=True))
        threshold = ops.min(kept, axis=-1, keepdims=True)
        return ops.where(logits >= threshold, logits, NEG_INF)

    def get_config(self):
        return {**super().get_config(), "p": self.p}


SAMPLERS = {s.name: s for s in (GreedySampler, RandomSampler, TopKSampler, TopPSampler)}


def get_sampler(sampler="greedy", **options):
    """Returns a sampler by name ("greedy", "random", "top_k", "top_p") or passes a `Sampler` through.

    Examples:
    >>> get_sampler("top_p", p=0.9, temperature=0.8).p
    0.9
    """
    if isinstance(sampler, Sampler):
        return sampler
    if sampler not in SAMPLERS:
        raise ValueError(f"Unknown sampler {sampler!r}; use one of {sorted(SAMPLERS)}.")
    cls = SAMPLERS[sampler]
    if cls is GreedySampler:
        options.pop("temperature", None)
    unknown = set(options) - set(inspect.signature(cls.__init__).parameters) - {"self"}
    if unknown:
        raise ValueError(f"The {sampler!r} sampler does not take {sorted(unknown)}.")
    return cls(**options)


class StepModel:
    """One recurrent step of a trained language model: (token ids, states) → (logits, new states).

    Built from the model's named layers (`embedding` or `one_hot`, `recurrent_1..n`, `logits`), sharing their
    weights, so it stays in sync with the trained model. Dropout is inactive (inference).
    """

    def __init__(self, model):
        names = {layer.name for layer in model.layers}
        self.input_layer = model.get_layer(EMBEDDING if EMBEDDING in names else ONE_HOT)
        self.cells, self.residual = [], []
        i = 1
        while f"recurrent_{i}" in names:
            layer = model.get_layer(f"recurrent_{i}")
            if isinstance(layer, keras.layers.Bidirectional):
                raise ValueError("A bidirectional model cannot generate step by step; use a left-to-right model.")
            self.cells.append(layer.cell)
            self.residual.append(f"recurrent_{i}_residual" in names)
            i += 1
        if not self.cells:
            raise ValueError(f"Model {model.name!r} has no layers named recurrent_1.. to step through.")
        self.output_layer = model.get_layer(LOGITS)
        self.vocabulary_size = self.output_layer.units

    def initial_states(self, batch_size):
        states = []
        for cell in self.cells:
            sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
            states += [ops.zeros((batch_size, s), "float32") for s in sizes]
        return states

    def __call__(self, tokens, states):
        if isinstance(self.input_layer, OneHot):
            x = ops.one_hot(tokens, self.input_layer.num_tokens)
        else:
            x = ops.take(self.input_layer.embeddings, tokens, axis=0)
        new_states, pos = [], 0
        for cell, residual in zip(self.cells, self.residual):
            n = len(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else 1
            h, cell_states = cell(x, states[pos:pos + n], training=False)
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            new_states += cell_states
            x = x + h if residual else h
            pos += n
        return self.output_layer(x), new_states


def decode_loop(step, sampler, prompts, prompt_lengths, uniforms, max_new, end_id, pad_id, suppress=(),
                 record=None):
    """Feeds each row's prompt, then samples up to `max_new` tokens; rows stop at `end_id`.

    prompts: (batch, P) int32, right-padded; prompt_lengths: (batch,) int32 ≥ 1; uniforms: (max_new + P, batch).
    record: None, or a function of the step's states returning a (batch, ...) tensor kept for every step
    (e.g. attention weights).
    Returns (batch, P + max_new) int32: the prompt followed by the generated ids (padding after [END]), and with
    `record` also the recorded values (batch, P + max_new − 1, ...), entry t made while predicting id t + 1.
    """
    batch = ops.shape(prompts)[0]
    total = ops.shape(prompts)[1] + max_new  # a tensor when the prompt length is only known at run time
    buffer = ops.concatenate([prompts, ops.zeros((batch, max_new), "int32") + pad_id], axis=1)
    limit = prompt_lengths + max_new  # each row's last position + 1
    banned = _banned(step.vocabulary_size, suppress)
    state0 = step.initial_states(batch)
    history = ops.zeros((1,), "float32")  # a placeholder loop variable when nothing is recorded
    if record is not None:
        shape = tuple(ops.shape(record(state0)))
        history = ops.zeros((shape[0], total - 1) + shape[1:], "float32")

    def cond(t, buffer, finished, states, history):
        return ops.logical_and(t < total - 1, ops.logical_not(ops.all(finished)))

    def at(buffer, t):
        return ops.slice(buffer, (0, t), (batch, 1))[:, 0]

    def body(t, buffer, finished, states, history):
        logits, states = step(at(buffer, t), states)
        logits = ops.cast(logits, "float32") + banned
        # Position t+1 takes a sampled token once the row's prompt is consumed, until it ends or is full.
        writes = (t + 1 >= prompt_lengths) & (t + 1 < limit) & ops.logical_not(finished)
        token = ops.where(writes, sampler(logits, uniforms[t]), at(buffer, t + 1))
        buffer = ops.slice_update(buffer, (0, t + 1), ops.expand_dims(token, 1))
        finished = finished | (writes & (token == end_id)) | (t + 2 >= limit)
        if record is not None:
            value = ops.expand_dims(ops.cast(record(states), "float32"), 1)
            history = ops.slice_update(history, (0, t) + (0,) * (len(value.shape) - 2), value)
        return t + 1, buffer, finished, states, history

    _, buffer, _, _, history = ops.while_loop(
        cond, body, (ops.convert_to_tensor(0, "int32"), buffer, ops.zeros((batch,), "bool"), state0, history))
    return buffer if record is None else (buffer, history)


def _banned(vocabulary_size, suppress):
    """A (1, vocabulary) row adding −∞ to the logits of ids that are never generated."""
    banned = np.zeros((1, vocabulary_size), "float32")
    banned[0, list(suppress)] = NEG_INF
    return ops.convert_to_tensor(banned)


def length_penalty(lengths, alpha):
    """GNMT's length normalisation ((5 + |Y|) / 6)^α (Wu et al. 2016); α = 0 ranks by total log-probability."""
    return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, alpha)


def beam_search(step, states, batch_size, beam_width, max_length, start_id=2, end_id=3, pad_id=0,
                alpha=0.0, suppress=(0, 1, 2), record=None):
    """Batched beam search over a step function, written with `keras.ops` (compiles with XLA or jit).

    Keeps the `beam_width` best partial outputs per row. A hypothesis ends at `end_id`; ended hypotheses keep
    their score and compete with the others under the length penalty `length_penalty(len, alpha)`. With
    `beam_width=1` this is exactly greedy decoding.

    Args:
        step: callable `(tokens (batch·beam,), states) → (logits (batch·beam, vocabulary), states)`, with
            `vocabulary_size`; `states` is any nest of tensors whose first axis is batch·beam.
        states: the initial states for batch·beam rows (each row repeated `beam_width` times).
        batch_size, beam_width, max_length: ints.
        alpha: float. Length-penalty exponent.
        suppress: ids never generated (end-of-output padding aside).
        record: None or a function of the states returning (batch·beam, ...) values kept per step.

    Returns:
        `(tokens (batch, beam, max_length) int32, scores (batch, beam) float32, lengths (batch, beam) int32,
        history (batch, beam, max_length, ...) or None)`, beams sorted best first; scores are the summed
        log-probabilities divided by the length penalty; tokens exclude `[START]` and include `[END]`.
    """
    B, K, V = batch_size, beam_width, step.vocabulary_size
    rows = B * K
    tokens = ops.zeros((rows, max_length + 1), "int32") + pad_id
    tokens = ops.slice_update(tokens, (0, 0), ops.zeros((rows, 1), "int32") + start_id)
    first = np.full((1, K), NEG_INF, "float32")
    first[0, 0] = 0.0  # all beams start identical: only one may expand at the first step
    scores = ops.tile(ops.convert_to_tensor(first), (B, 1))
    banned = ops.reshape(_banned(V, suppress), (1, 1, V))
    pad_only = ops.convert_to_tensor(np.where(np.arange(V) == pad_id, 0.0, NEG_INF).astype("float32")[None, None])
    history = ops.zeros((1,), "float32")
    if record is not None:
        shape = tuple(ops.shape(record(states)))
        history = ops.zeros((rows, max_length) + shape[1:], "float32")
    row_base = ops.expand_dims(ops.arange(B, dtype="int32") * K, 1)

    def cond(t, tokens, scores, lengths, finished, states, history):
        return ops.logical_and(t < max_length, ops.logical_not(ops.all(finished)))

    def body(t, tokens, scores, lengths, finished, states, history):
        logits, states = step(ops.slice(tokens, (0, t), (rows, 1))[:, 0], states)
        logp = ops.log_softmax(ops.reshape(ops.cast(logits, "float32"), (B, K, V)) + banned, axis=-1)
        logp = ops.where(ops.expand_dims(finished, -1), pad_only, logp)  # ended: only padding, at no cost
        total = ops.expand_dims(scores, -1) + logp
        new_lengths = ops.where(finished, lengths, lengths + 1)
        ranked = total / ops.expand_dims(length_penalty(new_lengths, alpha), -1)
        _, index = ops.top_k(ops.reshape(ranked, (B, K * V)), k=K)
        beam, token = index // V, ops.cast(index % V, "int32")
        scores = ops.take_along_axis(ops.reshape(total, (B, K * V)), index, axis=1)
        lengths = ops.take_along_axis(new_lengths, beam, axis=1)
        finished = ops.take_along_axis(finished, beam, axis=1) | (token == end_id)
        source = ops.reshape(row_base + ops.cast(beam, "int32"), (rows,))
        tokens = ops.slice_update(ops.take(tokens, source, axis=0), (0, t + 1), ops.reshape(token, (rows, 1)))
        states = keras.tree.map_structure(lambda t: ops.take(t, source, axis=0), states)
        if record is not None:
            value = ops.expand_dims(ops.cast(record(states), "float32"), 1)
            history = ops.slice_update(ops.take(history, source, axis=0),
                                       (0, t) + (0,) * (len(value.shape) - 2), value)
        return t + 1, tokens, scores, lengths, finished, states, history

    lengths = ops.zeros((B, K), "int32")
    finished = ops.zeros((B, K), "bool")
    _, tokens, scores, lengths, finished, _, history = ops.while_loop(
        cond, body, (ops.convert_to_tensor(0, "int32"), tokens, scores, lengths, finished, states, history))
    final = scores / length_penalty(lengths, alpha)
    final, order = ops.top_k(final, k=K)
    source = ops.reshape(row_base + ops.cast(order, "int32"), (rows,))
    tokens = ops.reshape(ops.take(tokens, source, axis=0)[:, 1:], (B, K, max_length))
    lengths = ops.take_along_axis(lengths, order, axis=1)
    if record is None:
        return tokens, final, lengths, None
    history = ops.take(history, source, axis=0)
    return tokens, final, lengths, ops.reshape(history, (B, K) + tuple(ops.shape(history)[1:]))


def draw_uniforms(steps, batch, seed=None):
    """The (steps, batch) float32 uniforms in [0, 1) a sampling loop draws with: NumPy's PCG64 from `seed` (a
    random seed when None), so the same seed gives the same numbers on every backend, and drawing them costs
    ~0.05 ms (a Keras random op started from Python cost 0.35–1 ms a call, most of a short generation's time)."""
    seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
    return ops.convert_to_tensor(np.random.default_rng(seed).random((int(steps), int(batch)), dtype=np.float32))


def decode(model, prompts, prompt_lengths, max_new, sampler, seed=None, end_id=3, pad_id=0, compile=True,
           suppress=(0, 1, 2)):
    """Generates ids from a language model; see `rnnzoo.generate` for the text-level API.

    Args:
        model: keras.Model. A left-to-right language model built by rnnzoo.
        prompts: int array (batch, P), right-padded with `pad_id`; every row holds at least one id.
        prompt_lengths: int array (batch,).
        max_new: int. Most tokens generated per row.
        sampler: `Sampler` or name.
        seed: int or None. Same seed, same output.
        compile: bool. Run the loop compiled (XLA on TensorFlow, jit on JAX).
        suppress: ids that are never generated (default `[PAD]`, `[UNK]`, `[START]`).

    Returns:
        int32 NumPy array (batch, P + max_new): prompts followed by generated ids, `pad_id` after `[END]`.
    """
    sampler = get_sampler(sampler)
    prompts = ops.convert_to_tensor(prompts, "int32")
    prompt_lengths = ops.convert_to_tensor(prompt_lengths, "int32")
    uniforms = draw_uniforms(prompts.shape[1] + int(max_new), prompts.shape[0], seed)
    suppress = tuple(sorted(set(suppress)))
    fn = _compiled(model, sampler, int(max_new), end_id, pad_id, suppress) if compile else None
    if fn is None:
        out = decode_loop(StepModel(model), sampler, prompts, prompt_lengths, uniforms, int(max_new), end_id, pad_id, suppress)
    else:
        out = fn(prompts, prompt_lengths, uniforms, sampler_values(sampler))
    return ops.convert_to_numpy(out)


VALUE_SETTINGS = ("temperature", "p")  # sampler settings a compiled loop takes as values, not as constants


def sampler_key(sampler):
    """What a compiled loop is cached under for `sampler`: its type and the settings that change the graph (top_k's
    k), not its temperature or p, which the loop takes as a value (`sampler_values`), so sweeping them reuses one
    compiled loop (each new value used to compile a new one, and TensorFlow warned about retracing)."""
    return type(sampler).__name__, tuple(sorted((k, v) for k, v in sampler.get_config().items()
                                                if k not in VALUE_SETTINGS))


def sampler_values(sampler):
    return ops.convert_to_tensor(np.array([getattr(sampler, k, 1.0) for k in VALUE_SETTINGS], "float32"))


def with_values(sampler, values):
    """A copy of `sampler` whose temperature and p are read from `values` (inside a compiled loop)."""
    sampler = copy.copy(sampler)
    for i, name in enumerate(VALUE_SETTINGS):
        if hasattr(sampler, name):
            setattr(sampler, name, values[i])
    return sampler


def _compiled(model, sampler, max_new, end_id, pad_id, suppress):
    key = (sampler_key(sampler), max_new, end_id, pad_id, suppress)

    def make():
        step = StepModel(model)
        return lambda prompts, prompt_lengths, uniforms, values: decode_loop(
            step, with_values(sampler, values), prompts, prompt_lengths, uniforms, max_new, end_id, pad_id, suppress)

    return compiled(model, key, make)


class DecoderCache:
    """Compiled decode loops, per model and per setting, held for as long as the model lives.

    One shared instance (`DECODERS`) serves `generate`, `translate` and `caption`; `clear()` drops every compiled
    loop (e.g. after changing a model's weights in place).
    """

    def __init__(self):
        self._loops = weakref.WeakKeyDictionary()

    def get(self, owner, key, make):
        """The compiled `make()` for `owner` under `key`, or None on PyTorch.

        TensorFlow: `tf.function(jit_compile=True)` (XLA; one trace per input shape). JAX: `jax.jit`. PyTorch:
        None, callers run eagerly (torch.compile of a data-dependent while loop is not reliable)."""
        backend = keras.backend.backend()
        loops = self._loops.setdefault(owner, {})
        key = (key, backend)
        if key not in loops:
            if backend == "tensorflow":
                import tensorflow as tf

                loops[key] = tf.function(OwnFunction(make()), jit_compile=True, reduce_retracing=True)
            elif backend == "jax":
                import jax

                loops[key] = jax.jit(make())
            else:
                loops[key] = None
        return loops[key]

    def value(self, owner, key, make):
        """A plain (uncompiled) per-model value, e.g. the step object of a seq2seq model."""
        values = self._loops.setdefault(owner, {})
        if key not in values:
            values[key] = make()
        return values[key]

    def clear(self):
        self._loops = weakref.WeakKeyDictionary()


DECODERS = DecoderCache()


def compiled(model, key, make):
    """`DECODERS.get(model, key, make)`: a compiled loop cached for `model`, or None on PyTorch."""
    return DECODERS.get(model, key, make)


def decode_length(card, source_lengths=None, fallback=32):
    """The default most output tokens of a decoder: twice the longest training target plus 10.

    The one rule used by `translate`, `caption`, the SavedModel `translate` signature and the TFLite decoder.
    Without a recorded target length, the longest source (when given) or `fallback` stands in for it."""
    longest = card.get("max_target_length") if card is not None else None
    if not longest:
        longest = max(source_lengths) if source_lengths else fallback
    return 2 * int(longest) + 10


# -- encoder–decoder models (seq2seq, captioning): one decoder step, and the decode loop over it ----------------

DEFAULT_ALPHA = 0.6


class Seq2SeqStep:
    """The encoder and one decoder step of a trained seq2seq model, sharing its weights.

    `encode(source_ids)` returns the per-row states the step needs (decoder states, and for attention models
    the memory, its precomputed keys and the source mask); `step(tokens, states)` returns
    `(logits, new states)`. The states are a dict of tensors whose first axis is the batch, so beam search can
    reorder and repeat them.
    """

    def __init__(self, model):
        model = getattr(model, "model", model)  # a TrainedModel or its keras.Model
        names = {layer.name for layer in model.layers}
        init = [DECODER_INIT.format(i) for i in (1, 2) if DECODER_INIT.format(i) in names]
        self.embedding = model.get_layer(TARGET_EMBEDDING)
        self.decoder = model.get_layer(DECODER)
        self.output_layer = model.get_layer(LOGITS)
        self.vocabulary_size = self.output_layer.units
        self.attention = isinstance(self.decoder, AttentionDecoder)
        outputs = [model.get_layer(n).output for n in init]
        if self.attention:  # the fixed-context baseline never reads the encoder outputs
            outputs.insert(0, model.get_layer(MEMORY).output)
        self.encoder = keras.Model(model.inputs[0], outputs, name=f"{model.name}_encoder")

    def encode(self, source_ids):
        outputs = self.encoder(source_ids, training=False)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if not self.attention:
            return {"states": outputs}
        memory, *init = outputs
        states = self.decoder.initial_carry(init, memory)
        states.update(memory=memory, keys=self.decoder.keys(memory), mask=ops.not_equal(source_ids, PAD_ID))
        return states

    def step(self, tokens, states):
        x = ops.take(self.embedding.embeddings, tokens, axis=0)  # a plain lookup: one step carries no mask
        if self.attention:
            fixed = {k: states[k] for k in ("memory", "keys", "mask")}
            carry = {k: v for k, v in states.items() if k not in fixed}
            output, carry = self.decoder.step(x, carry, fixed["keys"], fixed["memory"], fixed["mask"])
            return self.output_layer(output), {**carry, **fixed}
        h, new = self.decoder.cell(x, states["states"], training=False)
        return self.output_layer(h), {"states": list(new) if isinstance(new, (list, tuple)) else [new]}

    __call__ = step  # the interface `beam_search` steps through

    @staticmethod
    def record(states):
        return states["weights"]


class EnsembleStep:
    """`Seq2SeqStep` of an `Ensemble`: member states side by side, log-probabilities averaged."""

    def __init__(self, steps):
        self.steps = list(steps)
        self.vocabulary_size = self.steps[0].vocabulary_size
        self.attention = all(s.attention for s in self.steps)

    def encode(self, source_ids):
        return {f"member_{i}": s.encode(source_ids) for i, s in enumerate(self.steps)}

    def step(self, tokens, states):
        log_probs, new = [], {}
        for i, s in enumerate(self.steps):
            logits, new[f"member_{i}"] = s.step(tokens, states[f"member_{i}"])
            log_probs.append(ops.log_softmax(logits, axis=-1))
        return ops.mean(ops.stack(log_probs), axis=0), new

    __call__ = step

    def record(self, states):
        return ops.mean(ops.stack([s.record(states[f"member_{i}"]) for i, s in enumerate(self.steps)]), axis=0)


class LoopStep:
    """Adapts `Seq2SeqStep` to the sampling loop's interface (states made before the loop)."""

    def __init__(self, step, states):
        self.step, self.states, self.vocabulary_size = step, states, step.vocabulary_size

    def initial_states(self, batch):
        return self.states

    def __call__(self, tokens, states):
        return self.step.step(tokens, states)


def decode_ids(model, source_ids, max_length, beam_width=1, sampler="greedy", alpha=DEFAULT_ALPHA, seed=None,
               attention=False, compile=True, suppress=(PAD_ID, UNK_ID, START_ID)):
    """Decodes a batch of source id sequences; see `translate` for the text-level API.

    Args:
        model: a seq2seq keras.Model, or an `Ensemble` of trained ones.
        source_ids: int array (batch, S), right-padded with 0.
        max_length: int. Most target tokens per output ([END] included).
        beam_width: int. 1 uses `sampler`; > 1 runs beam search.
        sampler: str or `Sampler`. Greedy, random, top_k or top_p (beam_width 1 only).
        alpha: float. Beam search length-penalty exponent.
        seed: int or None. Sampling seed.
        attention: bool. Also return the attention weights (attention models only).
        compile: bool. Compile the loop (XLA on TensorFlow, jit on JAX).
        suppress: ids never generated.

    Returns:
        dict with `tokens` (batch, beam, max_length) int32 (rows end with [END] then padding), `scores`
        (batch, beam) or None when sampling, `lengths`, and `attention` (batch, beam, max_length, S) or None.
    """
    step = step_of(model)
    source_ids = np.asarray(source_ids)  # token ids, or images for a captioner
    source_length = source_ids.shape[1]
    if source_ids.dtype.kind in "iu" and source_ids.ndim == 2:  # a few compiled shapes, whatever the lengths
        source_ids = np.pad(source_ids, ((0, 0), (0, length_bucket(source_length) - source_length)))
    source_ids = ops.convert_to_tensor(source_ids.astype("float32" if source_ids.dtype.kind == "f" else "int32"))
    batch, max_length, beam_width = int(source_ids.shape[0]), int(max_length), int(beam_width)
    if beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer; got {beam_width!r}.")
    if attention and not step.attention:
        raise ValueError(f"Model {model.name!r} has no attention (a fixed-context baseline); use attention=False.")
    record = step.record if attention else None
    suppress = tuple(sorted(set(suppress)))
    if beam_width > 1 and sampler != "greedy":
        raise ValueError("Beam search is deterministic; pass sampler='greedy' (the default) with beam_width > 1.")
    sampler_obj = get_sampler(sampler)

    if beam_width == 1:
        uniforms = draw_uniforms(max_length + 1, batch, seed)

        def run(source_ids, uniforms, values):
            loop = LoopStep(step, step.encode(source_ids))
            prompts = ops.zeros((ops.shape(source_ids)[0], 1), "int32") + START_ID
            return decode_loop(loop, with_values(sampler_obj, values), prompts,
                               ops.ones((ops.shape(source_ids)[0],), "int32"), uniforms, max_length, END_ID, PAD_ID,
                               suppress, record=record)

        key = ("seq2seq_sample", sampler_key(sampler_obj), max_length, suppress, attention)
        fn = (compiled(model, key, lambda: run) if compile else None) or run
        out = fn(source_ids, uniforms, sampler_values(sampler_obj))
        ids, history = (out if attention else (out, None))
        ids = ops.convert_to_numpy(ids)[:, 1:]
        result = {"tokens": ids[:, None], "scores": None, "lengths": _lengths(ids)[:, None],
                  "attention": None if history is None else ops.convert_to_numpy(history)[:, None, ..., :source_length]}
        return result

    def run_beam(source_ids):
        states = keras.tree.map_structure(lambda t: ops.repeat(t, beam_width, axis=0), step.encode(source_ids))
        return beam_search(step, states, ops.shape(source_ids)[0], beam_width, max_length,
                           start_id=START_ID, end_id=END_ID, pad_id=PAD_ID, alpha=alpha, suppress=suppress,
                           record=record)

    key = ("seq2seq_beam", beam_width, max_length, float(alpha), suppress, attention)
    fn = (compiled(model, key, lambda: run_beam) if compile else None) or run_beam
    tokens, scores, lengths, history = fn(source_ids)
    return {"tokens": ops.convert_to_numpy(tokens), "scores": ops.convert_to_numpy(scores),
            "lengths": ops.convert_to_numpy(lengths),
            "attention": None if history is None else ops.convert_to_numpy(history)[..., :source_length]}


def _lengths(ids):
    """Generated length of each row: up to and including [END], or the whole row."""
    ended = ids == END_ID
    return np.where(ended.any(-1), ended.argmax(-1) + 1, ids.shape[-1]).astype("int32")


def step_of(model):
    """The (cached) `Seq2SeqStep` of an encoder–decoder keras.Model, or the `EnsembleStep` of an object with
    `members` (`rnnzoo.tasks.seq2seq.translation.Ensemble`)."""
    members = getattr(model, "members", None)
    return DECODERS.value(model, "seq2seq_step", lambda: EnsembleStep(step_of(m.model) for m in members)
                          if members is not None else Seq2SeqStep(model))
