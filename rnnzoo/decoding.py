"""Samplers and the compiled decode loop for recurrent language models.

A sampler turns next-token logits into a token id. It is a small object picked by name (`get_sampler`), written
with `keras.ops` only, and draws with a uniform number supplied by the caller, so decoding is reproducible from
a seed and the random numbers can be made before a compiled loop starts.

The loop runs one recurrent step per token, carrying the states of every layer (the "cache" of an RNN), inside
one XLA-compiled `while` loop on the TensorFlow backend (`jax.jit` on JAX; eager on PyTorch).
"""

import inspect

import keras
import numpy as np
from keras import ops

from rnnzoo.layers.recurrent import OneHot

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

    Example:
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
        self.input_layer = model.get_layer("embedding") if "embedding" in names else model.get_layer("one_hot")
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
        self.output_layer = model.get_layer("logits")
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


def _decode_loop(step, sampler, prompts, prompt_lengths, uniforms, max_new, end_id, pad_id, suppress=()):
    """Feeds each row's prompt, then samples up to `max_new` tokens; rows stop at `end_id`.

    prompts: (batch, P) int32, right-padded; prompt_lengths: (batch,) int32 ≥ 1; uniforms: (max_new + P, batch).
    Returns (batch, P + max_new) int32: the prompt followed by the generated ids (padding after [END]).
    """
    batch = ops.shape(prompts)[0]
    total = prompts.shape[1] + max_new
    buffer = ops.concatenate([prompts, ops.zeros((batch, max_new), "int32") + pad_id], axis=1)
    limit = prompt_lengths + max_new  # each row's last position + 1
    banned = np.zeros((1, step.vocabulary_size), "float32")
    banned[0, list(suppress)] = NEG_INF  # ids never to generate (padding, [START], [UNK] by default)
    banned = ops.convert_to_tensor(banned)

    def cond(t, buffer, finished, states):
        return ops.logical_and(t < total - 1, ops.logical_not(ops.all(finished)))

    def at(buffer, t):
        return ops.slice(buffer, (0, t), (batch, 1))[:, 0]

    def body(t, buffer, finished, states):
        logits, states = step(at(buffer, t), states)
        logits = ops.cast(logits, "float32") + banned
        # Position t+1 takes a sampled token once the row's prompt is consumed, until it ends or is full.
        writes = (t + 1 >= prompt_lengths) & (t + 1 < limit) & ops.logical_not(finished)
        token = ops.where(writes, sampler(logits, uniforms[t]), at(buffer, t + 1))
        buffer = ops.slice_update(buffer, (0, t + 1), ops.expand_dims(token, 1))
        finished = finished | (writes & (token == end_id)) | (t + 2 >= limit)
        return t + 1, buffer, finished, states

    state0 = step.initial_states(batch)
    _, buffer, _, _ = ops.while_loop(
        cond, body, (ops.convert_to_tensor(0, "int32"), buffer, ops.zeros((batch,), "bool"), state0))
    return buffer


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
    seed = int(np.random.randint(2**31 - 1)) if seed is None else int(seed)
    uniforms = keras.random.uniform((prompts.shape[1] + int(max_new), prompts.shape[0]), seed=seed)
    suppress = tuple(sorted(set(suppress)))
    fn = _compiled(model, sampler, int(max_new), end_id, pad_id, suppress) if compile else None
    if fn is None:
        out = _decode_loop(StepModel(model), sampler, prompts, prompt_lengths, uniforms, int(max_new), end_id, pad_id, suppress)
    else:
        out = fn(prompts, prompt_lengths, uniforms)
    return ops.convert_to_numpy(out)


def _compiled(model, sampler, max_new, end_id, pad_id, suppress):
    backend = keras.backend.backend()
    cache = model.__dict__.setdefault("_rnnzoo_decoders", {})  # compiled loops live with their model
    key = (type(sampler).__name__, tuple(sorted(sampler.get_config().items())), max_new, end_id, pad_id, suppress,
           backend)
    if key in cache:
        return cache[key]
    step = StepModel(model)

    def run(prompts, prompt_lengths, uniforms):
        return _decode_loop(step, sampler, prompts, prompt_lengths, uniforms, max_new, end_id, pad_id, suppress)

    if backend == "tensorflow":
        import tensorflow as tf

        fn = tf.function(run, jit_compile=True)  # one trace per prompt shape: XLA needs static shapes
    elif backend == "jax":
        import jax

        fn = jax.jit(run)
    else:
        fn = None  # PyTorch: the eager loop (torch.compile of a data-dependent while loop is not reliable)
    cache[key] = fn
    return fn
