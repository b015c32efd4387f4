"""Streaming step models for on-device loops: the app owns the loop, the TFLite files own the math.

Language models export one step, `(token, state_*) → (logits, state_*)`. Seq2seq models export an encoder,
`source → (memory, keys, mask, state_*)`, and a decoder step, `(token, memory, keys, mask, state_*) →
(logits, weights, state_*)`. States are plain inputs and outputs (no resource variables), so the same file serves
any number of concurrent sequences. `greedy_lm` and `greedy_translate` are reference loops an app can copy.
"""

import numpy as np

from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

SUPPRESS = (PAD_ID, UNK_ID, START_ID)


def _flatten(states):
    """{"states": [a, b], "weights": w, ...} → {"state_0": a, "state_1": b, "weights": w, ...}."""
    out = {}
    for key, value in states.items():
        if key == "states":
            out.update({f"state_{i}": v for i, v in enumerate(value)})
        else:
            out[key] = value
    return out


def _unflatten(named):
    states = [named[f"state_{i}"] for i in range(sum(k.startswith("state_") for k in named))]
    return {"states": states, **{k: v for k, v in named.items() if not k.startswith("state_")}}


def lm_step(model):
    """(function, input specs) for one language-model step with batch 1."""
    import tensorflow as tf

    from rnnzoo.decoding import StepModel

    step = StepModel(model)
    sizes = []
    for cell in step.cells:
        sizes += list(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    names = [f"state_{i}" for i in range(len(sizes))]

    def fn(token, *states):
        logits, new = step(token, list(states))
        return {"logits": logits, **dict(zip(names, new))}

    specs = [tf.TensorSpec([1], tf.int32, name="token")] + [
        tf.TensorSpec([1, int(s)], tf.float32, name=n) for n, s in zip(names, sizes)]
    return fn, specs


def seq2seq_steps(model, source_length):
    """((encoder function, specs), (step function, specs)) for a seq2seq model or captioner with batch 1."""
    import tensorflow as tf

    from rnnzoo.decoding import Seq2SeqStep

    step = Seq2SeqStep(model)

    def encode(source):
        states = step.encode(source)
        if "mask" in states:
            states["mask"] = tf.cast(states["mask"], tf.float32)  # float in the interface; bool inside
        return _flatten(states)

    source = model.inputs[0]  # token ids (seq2seq) or a fixed-size image (captioner)
    shape = [1] + [source_length if d is None else int(d) for d in source.shape[1:]]
    encoder_specs = [tf.TensorSpec(shape, tf.as_dtype(source.dtype), name=source.name)]
    example = encode(tf.zeros(shape, tf.as_dtype(source.dtype)))
    names = list(example)
    changing = [n for n in names if n not in ("memory", "keys", "mask")]

    def decode(token, *values):
        states = _unflatten(dict(zip(names, values)))
        if "mask" in states:
            states["mask"] = states["mask"] > 0.5
        logits, new = step.step(token, states)
        new = _flatten(new)
        return {"logits": logits, **{n: new[n] for n in changing}}

    step_specs = [tf.TensorSpec([1], tf.int32, name="token")] + [
        tf.TensorSpec(example[n].shape, tf.float32, name=n) for n in names]
    return (encode, encoder_specs), (decode, step_specs)


def _pick(logits, suppress=SUPPRESS):
    logits = np.array(logits, dtype="float32").reshape(-1)
    logits[list(suppress)] = -np.inf
    return int(np.argmax(logits))


def greedy_lm(step, prompt_ids, max_new):
    """Greedy generation with a TFLite LM step (`TFLiteModel`): returns prompt + generated ids (stops at [END])."""
    states = {name: np.zeros(shape, dtype) for name, (shape, dtype) in step.inputs.items() if name != "token"}
    ids = list(prompt_ids)
    for t in range(len(ids) + max_new - 1):
        out = step(token=np.array([ids[t]], "int32"), **states)
        states = {k: v for k, v in out.items() if k != "logits"}
        if t + 1 >= len(ids):
            ids.append(_pick(out["logits"]))
            if ids[-1] == END_ID:
                break
    return ids


def greedy_translate(encoder, step, source_ids, max_length):
    """Greedy decoding with TFLite encoder and step models: returns (output ids incl. [END], attention rows).

    `source_ids` are a seq2seq model's source ids, or a captioner's image (height, width, channels)."""
    name, (shape, dtype) = next(iter(encoder.inputs.items()))
    if np.issubdtype(dtype, np.floating):  # a captioner reads one fixed-size image
        states = encoder(**{name: np.asarray(source_ids, dtype).reshape(shape)})
        source_ids = []
    else:
        length = shape[1]
        if len(source_ids) > length:
            raise ValueError(f"The source has {len(source_ids)} tokens; this export reads at most {length}.")
        padded = np.zeros((1, length), "int32")
        padded[0, : len(source_ids)] = source_ids
        states = encoder(**{name: padded})
    token, ids, weights = START_ID, [], []
    for _ in range(max_length):
        out = step(token=np.array([token], "int32"), **states)
        states.update({k: v for k, v in out.items() if k != "logits"})
        if "weights" in out:
            weights.append(out["weights"][0, : len(source_ids)])
        token = _pick(out["logits"])
        ids.append(token)
        if token == END_ID:
            break
    return ids, np.array(weights)
