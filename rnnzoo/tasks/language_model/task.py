"""The language-model task: running text → next-token predictions; scoring and generation."""

import math

import keras

from rnnzoo.task import Examples, Task, Verb, register_task
from rnnzoo.tasks.language_model.model import example_batch

WINDOW = {"char": 100, "word": 50}  # default training window (tokens) per tokenizer level


class LanguageModelTask(Task):
    """Next-token language models (word or character level)."""

    name = "language_model"
    sequence_output = True
    text_field = "texts"
    stateful_training = True  # `rnnzoo.train(..., stateful=True)`: truncated BPTT over the whole text

    def loss(self, label_smoothing=0.0):
        from rnnzoo.losses import sparse_crossentropy

        return sparse_crossentropy(from_logits=True, label_smoothing=label_smoothing)

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    example_batch = staticmethod(example_batch)

    def verbs(self):
        from rnnzoo.tasks.language_model import generation

        def generate(trained, prompts, o):
            options = {k: v for k, v in (("temperature", o.temperature), ("p", o.p), ("k", o.k)) if v is not None}
            texts = generation.generate(trained, prompts, max_length=o.max_length, sampler=o.sampler, seed=o.seed,
                                        **options)
            return [{"prompt": p, "text": t} for p, t in zip(prompts, texts)]

        def score(trained, texts, o):
            return [{"text": t, "log_prob": r["log_prob"], "perplexity": r["perplexity"], "tokens": r["num_tokens"],
                     "unknown": r["unknown"]} for t, r in zip(texts, generation.score(trained, texts))]

        return [
            Verb("generate", "continue prompts with a language model", generate, options=(
                (("--sampler",), dict(default="greedy", choices=["greedy", "random", "top_k", "top_p"])),
                (("--temperature",), dict(type=float, help="random/top_k/top_p: softmax temperature")),
                (("--p",), dict(type=float, help="top_p: nucleus mass, e.g. 0.9")),
                (("--k",), dict(type=int, help="top_k: number of candidates")),
                (("--max-length",), dict(type=int, default=200, help="most tokens generated after the prompt")),
                (("--seed",), dict(type=int, help="the same seed gives the same text"))),
                render=lambda r: r["text"]),
            Verb("score", "log-probability, perplexity and unknown words of texts under a language model", score,
                 render=lambda r: (f"log_prob {r['log_prob']:.3f}  perplexity {r['perplexity']:.2f}  tokens "
                                   f"{r['tokens']}  unknown {r['unknown'] or '-'}  {r['text']}")),
        ]

    def example_data(self, seed=0):
        import numpy as np

        from rnnzoo.datasets import TextCorpus

        rng = np.random.default_rng(seed)
        subjects, verbs, objects = ["the king", "my lord", "the queen"], ["is", "was", "seems"], ["dead", "here", "gone"]
        lines = [" ".join(str(rng.choice(part)) for part in (subjects, verbs, objects)) for _ in range(80)]
        return TextCorpus(lines, name="example_lines")

    def window(self, encoder, window=None):
        """The training window: `window`, else the default for the tokenizer level."""
        return int(window or WINDOW[encoder.level])

    def encode(self, data, encoder, outputs, window=None):
        window = self.window(encoder, window)
        inputs, targets = [], []
        for ids in encoder.encode(data.texts, add_start=True, add_end=True):
            # Windows of window+1 ids overlapping by one, so every token is predicted exactly once.
            for start in range(0, max(len(ids) - 1, 1), window):
                chunk = ids[start:start + window + 1]
                if len(chunk) >= 2:
                    inputs.append(chunk[:-1])
                    targets.append(chunk[1:])
        return Examples(inputs, targets)

    def evaluate(self, trained, data, examples_metrics, **options):
        return {"perplexity": math.exp(examples_metrics["loss"])} if "loss" in examples_metrics else {}

    def text_signature(self, trained, kit, max_new_tokens):
        from rnnzoo.decoding import GreedySampler, StepModel, decode_loop
        from rnnzoo.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID

        tf = kit.tf
        step = StepModel(trained.model)

        @tf.function(input_signature=kit.text_spec)
        def generate(texts):
            ids, _ = kit.source.ids(texts, add_start=True)
            lengths = tf.reduce_sum(tf.cast(ids > 0, tf.int32), axis=1)
            uniforms = tf.zeros([tf.shape(ids)[1] + max_new_tokens, tf.shape(ids)[0]])  # greedy ignores them
            out = decode_loop(step, GreedySampler(), ids, lengths, uniforms, max_new_tokens, END_ID, PAD_ID,
                              (PAD_ID, UNK_ID, START_ID))
            return {"text": kit.detokenize(kit.source, out)}

        return "generate", generate, f"prompts → greedy continuation ({max_new_tokens} tokens at most)"

    def streaming_units(self, trained, sequence_length):
        from rnnzoo.export.streaming import lm_step

        fn, specs = lm_step(trained.model)
        return [("step", fn, specs)]


TASK = register_task(LanguageModelTask())
