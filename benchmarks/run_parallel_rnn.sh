#!/usr/bin/env bash
# The evidence of the parallel-scan cells (issue 18), in the order it was recorded; each step writes its JSON.
# Run on an otherwise idle machine: bash benchmarks/run_parallel_rnn.sh  (about 75 minutes on 2 cores)
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
$PY benchmarks/parallel_rnn.py speed --repeats 3
$PY benchmarks/parallel_rnn.py lm --cell qrnn --layers 2 --units 256 --embedding-dim 64 --learning-rate 0.003 \
    --minutes 15 --lstm-minutes 25
$PY benchmarks/adding_problem.py --lengths 1000 --variants mingru,lru --minutes 12 --stop-below 0.002 \
    --out benchmarks/results/adding_parallel.json
$PY benchmarks/parallel_rnn.py latency
