"""Batch-1 generation speed: rnnzoo's compiled decode loop (`rnnzoo.decoding.decode`, the loop behind
`rnnzoo.generate`) vs a PyTorch 2.13 eager loop, same sizes, one run.

The PyTorch peer is the usual hand-written loop: `nn.Embedding` → `nn.LSTM` (one step, states carried) →
`nn.Linear` → softmax → `torch.multinomial`, under `torch.no_grad()`. Not a test:

    python benchmarks/generation.py [--model saved_models/char_lstm_512_tiny_shakespeare] [--tokens 2000]

Without --model (or when it is missing) a randomly initialised model with the reference sizes is used: speed
does not depend on the weights. Writes benchmarks/results/generation.json.
"""

import argparse
import datetime
import json
import os
import platform
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def torch_eager(vocabulary, embedding_dim, units, layers, tokens, repeats):
    import torch

    torch.manual_seed(0)
    embed = torch.nn.Embedding(vocabulary, embedding_dim)
    lstm = torch.nn.LSTM(embedding_dim, units, num_layers=layers, batch_first=True)
    head = torch.nn.Linear(units, vocabulary)

    def run():
        with torch.no_grad():
            token = torch.tensor([[2]])
            state = None
            for _ in range(tokens):
                out, state = lstm(embed(token), state)
                probs = torch.softmax(head(out[:, -1]), dim=-1)
                token = torch.multinomial(probs, 1)

    run()
    return tokens / best_of(run, repeats), torch.__version__, torch.get_num_threads()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(HERE, "..", "saved_models", "char_lstm_512_tiny_shakespeare"))
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--layers", type=int, default=2, help="LSTM layers of the random model (without --model)")
    args = ap.parse_args(argv)

    import keras

    import rnnzoo
    from rnnzoo.decoding import StepModel, decode, get_sampler

    if os.path.exists(os.path.join(args.model, "model.keras")):
        model, source = rnnzoo.load(args.model), args.model
    else:
        from rnnzoo.text import TextEncoder

        encoder = TextEncoder.fit(["".join(chr(32 + i) for i in range(65))], level="char", min_frequency=1)
        model = rnnzoo.build("char_lstm_language_model", vocabulary_size=len(encoder), embedding_dim=64, units=256,
                             num_layers=args.layers, metadata={"task": "language_model", "text": encoder.get_config()})
        source = f"random weights, {args.layers} layer(s)"
    step = StepModel(model)
    vocabulary, layers = step.vocabulary_size, len(step.cells)
    units = step.cells[0].units
    embedding_dim = model.get_layer("embedding").output_dim
    sizes = {"vocabulary": vocabulary, "embedding_dim": embedding_dim, "units": units, "layers": layers}

    prompt, length = np.array([[2]], "int32"), np.array([1], "int32")  # [START]

    def ours():  # end_id=-1: never stop early, so exactly args.tokens tokens are sampled, as in the peer
        decode(model, prompt, length, args.tokens, get_sampler("random"), seed=1, end_id=-1)

    ours()  # compile once
    ours_tps = args.tokens / best_of(ours, args.repeats)
    torch_tps, torch_version, threads = torch_eager(vocabulary, embedding_dim, units, layers, args.tokens,
                                                    args.repeats)
    record = {"date": datetime.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "model": os.path.relpath(source) if source == args.model else source, "sizes": sizes,
              "tokens": args.tokens, "keras_backend": keras.backend.backend(),
              "rnnzoo_tokens_per_second": ours_tps, "torch_eager_tokens_per_second": torch_tps,
              "ratio": ours_tps / torch_tps, "torch": torch_version, "torch_threads": threads}
    print(f"batch-1 generation, {sizes}, {args.tokens} tokens, best of {args.repeats}:")
    print(f"  rnnzoo compiled loop ({keras.backend.backend()}, XLA): {ours_tps:,.0f} tokens/s")
    print(f"  PyTorch {torch_version} eager loop:            {torch_tps:,.0f} tokens/s")
    print(f"  ratio: {record['ratio']:.1f}x")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    name = "generation.json" if source == args.model else f"generation_random_{args.layers}layer.json"
    with open(os.path.join(HERE, "results", name), "w") as f:
        json.dump(record, f, indent=2)
    return record


if __name__ == "__main__":
    main()
