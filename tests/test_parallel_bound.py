"""`benchmarks/parallel_rnn.py bound` times a minGRU language model's matrix products alone as the lower bound
of its training step; the bound is only a bound if those are all the model's matrices."""

import os
import sys

import rnnzoo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))

import parallel_rnn  # noqa: E402


def test_the_bound_multiplies_by_every_matrix_of_the_mingru_language_model():
    spec = {**parallel_rnn.BASE, "length": 1000, "batch": 16}
    model = rnnzoo.build("char_mingru_language_model", vocabulary_size=spec["vocab"], embedding_dim=spec["embed"],
                         units=spec["units"], num_layers=1)
    matrices = sorted(tuple(w.shape) for w in model.trainable_weights
                      if len(w.shape) == 2 and "embedding" not in w.path)
    assert matrices == sorted(parallel_rnn.bound_kernels(spec))
