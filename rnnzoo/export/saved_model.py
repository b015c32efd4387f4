"""SavedModel export: a numeric signature (ids → outputs) and, where the model carries its text pipeline, a
raw-string signature with tokenization, vocabulary lookup and decoding inside the graph.

Loading the SavedModel needs `import tensorflow_text` (its normalisation and splitting ops live there).
"""

import numpy as np

from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

NUM_RESERVED = 4


def _lookup(tf, tokens):
    """A token → id table (unknown tokens → [UNK])."""
    keys = tf.constant(list(tokens), tf.string)
    values = tf.range(len(tokens), dtype=tf.int64)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), default_value=UNK_ID)


def _detokenize(tf, tokens, ids, separator, stop_at_end=True):
    """ids (batch, T) → strings: reserved ids dropped, everything after [END] dropped."""
    keep = ids >= NUM_RESERVED
    if stop_at_end:
        keep &= tf.cumsum(tf.cast(ids == END_ID, tf.int32), axis=1) == 0
    words = tf.ragged.boolean_mask(tf.gather(tokens, ids), keep)
    return tf.strings.reduce_join(words, axis=1, separator=separator)


class _TextSide:
    """The in-graph half of a `TextEncoder`: strings → padded ids."""

    def __init__(self, tf, encoder):
        self.tf, self.encoder = tf, encoder
        self.tokens = tf.constant(encoder.vocabulary.tokens, tf.string)
        self.table = _lookup(tf, encoder.vocabulary.tokens)

    def ids(self, texts, add_start=False):
        tf = self.tf
        pieces = self.encoder.tokenizer.split_tensor(self.encoder.tokenizer.normalize_tensor(texts))
        ids = tf.cast(self.table.lookup(pieces), tf.int32)
        if add_start:
            ids = tf.concat([tf.fill([ids.nrows(), 1], tf.constant(START_ID, tf.int32)), ids], axis=1)
        if self.encoder.max_length:
            ids = ids[:, : self.encoder.max_length]
        return ids.to_tensor(default_value=PAD_ID), pieces


def build_module(model, max_new_tokens=64):
    """A `tf.Module` with the model's serving functions; returns (module, signatures dict, description)."""
    import tensorflow as tf

    from rnnzoo.serving import metadata, task_of

    task = task_of(model).name
    meta = metadata(model)
    module = tf.Module()
    module.model = model
    signatures, described = {}, {}

    input_specs = []
    for tensor in model.inputs:
        shape = [None] * len(tensor.shape)
        if len(tensor.shape) == 3:
            shape[-1] = tensor.shape[-1]
        input_specs.append(tf.TensorSpec(shape, tensor.dtype, name=tensor.name))

    @tf.function(input_signature=input_specs)
    def serve(*inputs):
        out = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
        return {"output": out}

    signatures["serving_default"] = serve
    described["serving_default"] = {"inputs": {s.name: [None if d is None else int(d) for d in s.shape]
                                               for s in input_specs}, "output": "output", "kind": "numeric"}
    if not meta.get("text"):
        return module, signatures, described

    from rnnzoo.serving import text_encoder

    source = _TextSide(tf, text_encoder(model))
    module.source_table = source.table
    text_spec = [tf.TensorSpec([None], tf.string, name="texts")]
    if task in ("classifier", "tagger"):
        labels = tf.constant(meta.get("labels") or [], tf.string)

        @tf.function(input_signature=text_spec)
        def predict_text(texts):
            ids, pieces = source.ids(texts)
            probs = model(ids, training=False)
            best = tf.argmax(probs, axis=-1, output_type=tf.int32)
            if task == "classifier":
                return {"label": tf.gather(labels, best), "probabilities": probs,
                        "probability": tf.reduce_max(probs, axis=-1)}
            return {"tokens": pieces.to_tensor(default_value=""),
                    "tags": tf.where(ids > 0, tf.gather(labels, best), tf.constant("", tf.string))}

        signatures["predict_text"] = predict_text
        described["predict_text"] = {"inputs": {"texts": [None]}, "kind": f"raw strings → {task} output"}
    elif task == "language_model":
        from rnnzoo.decoding import GreedySampler, StepModel, _decode_loop

        step = StepModel(model)

        @tf.function(input_signature=text_spec)
        def generate(texts):
            ids, _ = source.ids(texts, add_start=True)
            lengths = tf.reduce_sum(tf.cast(ids > 0, tf.int32), axis=1)
            uniforms = tf.zeros([tf.shape(ids)[1] + max_new_tokens, tf.shape(ids)[0]])  # greedy ignores them
            out = _decode_loop(step, GreedySampler(), ids, lengths, uniforms, max_new_tokens, END_ID, PAD_ID,
                               (PAD_ID, UNK_ID, START_ID))
            return {"text": _detokenize(tf, source.tokens, out, source.encoder.tokenizer.separator)}

        signatures["generate"] = generate
        described["generate"] = {"inputs": {"texts": [None]}, "kind": f"prompts → greedy continuation "
                                                                        f"({max_new_tokens} tokens at most)"}
    elif task == "seq2seq":
        from rnnzoo.decoding import GreedySampler, _decode_loop
        from rnnzoo.seq2seq import Seq2SeqStep, _LoopStep, target_encoder

        target = _TextSide(tf, target_encoder(model))
        step = Seq2SeqStep(model)
        limit = 2 * int(meta.get("max_target_length") or 32) + 10

        @tf.function(input_signature=text_spec)
        def translate(texts):
            ids, _ = source.ids(texts)
            batch = tf.shape(ids)[0]
            loop = _LoopStep(step, step.encode(ids))
            prompts = tf.fill([batch, 1], tf.constant(START_ID, tf.int32))
            out = _decode_loop(loop, GreedySampler(), prompts, tf.ones([batch], tf.int32), tf.zeros([limit + 1, batch]),
                               limit, END_ID, PAD_ID, (PAD_ID, UNK_ID, START_ID))
            return {"translation": _detokenize(tf, target.tokens, out[:, 1:], target.encoder.tokenizer.separator)}

        module.target_table = target.table
        signatures["translate"] = translate
        described["translate"] = {"inputs": {"texts": [None]}, "kind": "raw strings → greedy translation"}
    return module, signatures, described


def write(model, path, max_new_tokens=64):
    """Writes the SavedModel of `model` to `path`; returns the signature descriptions."""
    import tensorflow as tf

    module, signatures, described = build_module(model, max_new_tokens)
    tf.saved_model.save(module, path, signatures=signatures)
    return described
