"""SavedModel export: a numeric signature (ids → outputs) and, where the model carries its text pipeline, a
raw-string signature with tokenization, vocabulary lookup and decoding inside the graph.

Loading the SavedModel needs `import tensorflow_text` (its normalisation and splitting ops live there).
"""


from rnnzoo.quiet import tensorflow_log_level
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


class TextSide:
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


class TextKit:
    """What a task's `text_signature` builds with: TensorFlow, the source `TextSide`, the raw-string input spec,
    a `TextSide` for any other encoder, detokenization, and `keep` for tables the module must hold."""

    def __init__(self, tf, module, source):
        self.tf, self.module, self.source = tf, module, source
        self.text_spec = [tf.TensorSpec([None], tf.string, name="texts")]

    def text_side(self, encoder):
        return TextSide(self.tf, encoder)

    def detokenize(self, side, ids):
        return _detokenize(self.tf, side.tokens, ids, side.encoder.tokenizer.separator)

    def keep(self, **tables):
        for name, table in tables.items():
            setattr(self.module, name, table)


def build_module(trained, max_new_tokens=64):
    """A `tf.Module` with the serving functions of a `TrainedModel`; returns (module, signatures dict,
    description)."""
    import tensorflow as tf

    model, task, card = trained.model, trained.task, trained.card
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
    if not card.text:
        return module, signatures, described
    kit = TextKit(tf, module, TextSide(tf, trained.encoder))
    module.source_table = kit.source.table
    made = task.text_signature(trained, kit, max_new_tokens)
    if made is not None:
        name, fn, kind = made
        signatures[name] = fn
        described[name] = {"inputs": {"texts": [None]}, "kind": kind}
    return module, signatures, described


def write(trained, path, max_new_tokens=64):
    """Writes the SavedModel of a `TrainedModel` to `path`; returns the signature descriptions."""
    import tensorflow as tf

    from rnnzoo import config

    with config.using(fast_inference=False):  # Keras' own recurrent graph in the exported functions
        module, signatures, described = build_module(trained, max_new_tokens)
        with tensorflow_log_level():
            tf.saved_model.save(module, path, signatures=signatures)
    return described
