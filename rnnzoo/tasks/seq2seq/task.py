"""The seq2seq task: source strings → target strings (translation, G2P, dates), decoded greedily or by beam."""

import keras

from rnnzoo.task import Verb, Examples, Task, register_task
from rnnzoo.tasks.seq2seq.model import example_batch


class DecoderTask(Task):
    """What every encoder–decoder task shares: teacher-forced training and the on-device streaming pair."""

    sequence_output = True
    decoder = True  # the model has an encoder, `decoder_init_i` layers and a decoder step (`Seq2SeqStep`)

    def loss(self, label_smoothing=0.0):
        from rnnzoo.losses import sparse_crossentropy

        return sparse_crossentropy(from_logits=True, label_smoothing=label_smoothing)

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def outputs_from_card(self, card):
        from rnnzoo.text import TextEncoder

        return TextEncoder.from_config(card.target_text)

    def streaming_units(self, trained, sequence_length):
        from rnnzoo.export.streaming import seq2seq_steps

        (enc, enc_specs), (dec, dec_specs) = seq2seq_steps(trained.model, sequence_length)
        return [("encoder", enc, enc_specs), ("decoder_step", dec, dec_specs)]


class Seq2SeqTask(DecoderTask):
    """Sequence-to-sequence with a source and a target text pipeline."""

    def verbs(self):
        def run(trained, items, options):
            from rnnzoo.tasks.seq2seq.translation import translate

            return [{"text": t, "translation": out} for t, out in zip(items, translate(trained, items))]

        return [Verb("translate", "turn source texts into target texts (greedy; `rnnzoo translate --help` for beam "
                                  "search and ensembles)", run)]

    name = "seq2seq"
    text_field = "sources"
    # Under mixed precision the source side (embedding and first encoder layer) stays float32: on G2P, over the
    # same two seeds, it cut bfloat16's mean WER gap to float32 at five of six epochs (1.11 -> 0.26 points after
    # the first), for a little of bfloat16's speed (benchmarks/RESULTS.md, 2026-12-05).
    mixed_precision_float32 = ("embedding", "encoder_1")

    @property
    def train_options(self):  # how many distinct test sources are decoded (greedy) for exact match and WER
        return {**super().train_options, "translation_limit": 2000}

    example_batch = staticmethod(example_batch)

    def example_data(self, seed=0):
        from rnnzoo.datasets import synthetic

        return synthetic.dates(80, seed=seed)

    def fit_outputs(self, train_data, options):
        from rnnzoo.text import TextEncoder

        target = TextEncoder.fit(train_data.targets, min_frequency=options.get("min_frequency", 1),
                                 max_size=options.get("max_size"), **options.get("target", {}))
        longest = int(max(len(t) for t in target.encode(train_data.targets)))
        return target, {"target_text": target.get_config(), "settings": {"max_target_length": longest}}

    def head_options(self, target):
        return {"target_vocabulary_size": len(target)}

    def encode(self, data, encoder, target, window=None):
        sources = encoder.encode(data.sources)
        targets = target.encode(data.targets, add_start=True, add_end=True)
        keep = [i for i, (x, y) in enumerate(zip(sources, targets)) if len(x) and len(y) > 2]
        return Examples(([sources[i] for i in keep], [targets[i][:-1] for i in keep]),
                        [targets[i][1:] for i in keep])

    def evaluate(self, trained, data, examples_metrics, beam_width=1, translation_limit=None, **options):
        from rnnzoo.tasks.seq2seq.translation import evaluate_translations

        if translation_limit == 0 or not len(data):
            return {}
        return evaluate_translations(trained, data, beam_width=beam_width, limit=translation_limit)

    def text_signature(self, trained, kit, max_new_tokens):
        from rnnzoo.decoding import GreedySampler, LoopStep, Seq2SeqStep, decode_length, decode_loop
        from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

        tf = kit.tf
        target = kit.text_side(trained.target_encoder)
        step = Seq2SeqStep(trained.model)
        limit = decode_length(trained.card)

        @tf.function(input_signature=kit.text_spec)
        def translate(texts):
            ids, _ = kit.source.ids(texts)
            batch = tf.shape(ids)[0]
            loop = LoopStep(step, step.encode(ids))
            prompts = tf.fill([batch, 1], tf.constant(START_ID, tf.int32))
            out = decode_loop(loop, GreedySampler(), prompts, tf.ones([batch], tf.int32), tf.zeros([limit + 1, batch]),
                              limit, END_ID, PAD_ID, (PAD_ID, UNK_ID, START_ID))
            return {"translation": kit.detokenize(target, out[:, 1:])}

        kit.keep(target_table=target.table)
        return "translate", translate, "raw strings → greedy translation"


TASK = register_task(Seq2SeqTask())
