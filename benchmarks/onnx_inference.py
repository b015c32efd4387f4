"""Batch inference through the exported files, side by side with PyTorch: ONNX Runtime running rnnzoo's
`model.onnx` (native ONNX LSTM / GRU nodes), LiteRT running `model_fused.tflite` (the fused
UNIDIRECTIONAL_SEQUENCE_LSTM, LSTM only) and rnnzoo's compiled call on the default backend, against PyTorch's
forward under `no_grad` — the same network (`Embedding → LSTM/GRU → Dense`, random weights) and the same batch.

Configurations as `benchmarks/speed.py`: char — vocabulary 65, embedding 64, 256 units, length 100, batch 64;
word — vocabulary 8000, embedding 256, 512 units, length 64, batch 64. Figures are tokens per second (batch ×
length ÷ seconds per batch, outputs as NumPy arrays on every side: what a server returns) and the ratio to
PyTorch, the median over `--repeats` turns with its range; each side runs in a fresh process per turn (the sides
take turns), with the threads every side gets by default on this machine.

Batch-1 greedy generation (`--generation-tokens`, 0 to leave it out): `--generation-tokens` new ids from a
one-id prompt, one token at a time, through ONNX Runtime running `step.onnx` (ids and states in, logits and states
out), LiteRT running `step.tflite` (`rnnzoo.export.streaming.lm_step`, XNNPACK), rnnzoo's compiled decode loop
(`rnnzoo.decoding.decode`, behind `rnnzoo.generate`) and PyTorch's eager loop (one `nn.LSTM` step with carried
states, `nn.Linear`, argmax; `benchmarks/speed.py`'s `worker_generate`, which also runs rnnzoo's side). Each side
makes one untimed call, then 3 timed calls; the median call counts, and the table gives the median over turns.

    python benchmarks/onnx_inference.py                     # char and word, LSTM and GRU, 5 turns
    python benchmarks/onnx_inference.py --configs char --repeats 3
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import median_range, provenance, timed, write_json  # noqa: E402

STEPS, WARMUP = 20, 3

CONFIGS = {"char": dict(vocab=65, embed=64, units=256, length=100, batch=64),
           "word": dict(vocab=8000, embed=256, units=512, length=64, batch=64)}
SIDES = ("pytorch", "compiled_call", "onnxruntime", "litert_fused")
GENERATION_SIDES = ("pytorch", "compiled_loop", "onnxruntime_step", "litert_step")


def _ids(cfg, seed=0):
    import numpy as np

    return np.random.default_rng(seed).integers(1, cfg["vocab"], size=(cfg["batch"], cfg["length"]))


def _keras_model(cfg, cell):
    import rnnzoo

    return rnnzoo.build(f"{cell}_language_model", vocabulary_size=cfg["vocab"], embedding_dim=cfg["embed"],
                        units=cfg["units"], mask_zero=False)  # full-length rows: no padding to skip


def worker(side, config, cell):
    """Seconds per batch of one side, in this (fresh) process."""
    import numpy as np

    cfg = CONFIGS[config]
    x = _ids(cfg)
    if side == "pytorch":
        import torch

        torch.manual_seed(0)
        rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(cfg["embed"], cfg["units"], batch_first=True)
        net = torch.nn.ModuleList([torch.nn.Embedding(cfg["vocab"], cfg["embed"]), rnn,
                                   torch.nn.Linear(cfg["units"], cfg["vocab"])])
        ids = torch.as_tensor(x).long()

        def run():
            with torch.no_grad():
                return net[2](net[1](net[0](ids))[0]).numpy()

        return {"s_per_batch": timed(run, STEPS, WARMUP), "threads": torch.get_num_threads()}
    model = _keras_model(cfg, cell)
    if side == "compiled_call":
        import keras

        from rnnzoo.inference import compiled_call

        call = compiled_call(model)
        return {"s_per_batch": timed(lambda: keras.ops.convert_to_numpy(call(x)), STEPS, WARMUP), "backend": keras.backend.backend()}
    if side == "onnxruntime":
        import onnxruntime

        from rnnzoo.export.onnx import session, to_onnx

        runner = session(to_onnx(model))
        feed = {"tokens": x.astype("int64")}
        return {"s_per_batch": timed(lambda: runner.run(None, feed)[0], STEPS, WARMUP),
                "onnxruntime": onnxruntime.__version__,
                "threads": runner.get_session_options().intra_op_num_threads or "default"}
    if side == "litert_fused":
        if cell != "lstm":
            return {"skipped": "the fused TFLite op exists for LSTM only"}
        from rnnzoo.export.fused import convert_fused
        from rnnzoo.export.tflite import TFLiteModel

        content, _ = convert_fused(model, cfg["length"])
        runner = TFLiteModel(content, num_threads=os.cpu_count())  # the threads the other sides use
        name, (shape, dtype) = next(iter(runner.inputs.items()))
        rows = x.astype(dtype)

        def run():  # the file takes batch 1: one call per row
            return np.concatenate([next(iter(runner(**{name: row[None]}).values())) for row in rows])

        return {"s_per_batch": timed(run, 3, 1), "batch_1_file": True}
    raise ValueError(side)


def generation_worker(side, config, cell, tokens):
    """Batch-1 greedy generation, tokens/s, of one side in this (fresh) process."""
    import numpy as np

    from speed import worker_generate

    cfg = CONFIGS[config]
    if side in ("pytorch", "compiled_loop"):
        return worker_generate("torch" if side == "pytorch" else "rnnzoo", cfg, cell, tokens)
    model = _keras_model(cfg, cell)
    if side == "onnxruntime_step":
        from rnnzoo.export.onnx import TOKENS, session, to_onnx

        proto = to_onnx(model, step=True)
        runner = session(proto)
        names = [i.name for i in proto.graph.input[1:]]
        zeros = {n: np.zeros((1, cfg["units"]), "float32") for n in names}

        def step(token, states):
            out = runner.run(None, {TOKENS: np.array([[token]], "int64"), **states})
            return out[0][0, -1], dict(zip(names, out[1:]))
    elif side == "litert_step":
        from rnnzoo.export.streaming import lm_step
        from rnnzoo.export.tflite import TFLiteModel, convert

        runner = TFLiteModel(convert(*lm_step(model)))
        zeros = {n: np.zeros(shape, dtype) for n, (shape, dtype) in runner.inputs.items() if n != "token"}

        def step(token, states):
            out = runner(token=np.array([token], "int32"), **states)
            return out["logits"][0], {k: v for k, v in out.items() if k != "logits"}
    else:
        raise ValueError(side)

    def run():
        token, states = 1, zeros
        for _ in range(tokens):
            logits, states = step(token, states)
            token = int(np.argmax(logits))

    run()
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return {"tokens_per_s": tokens / median_range(seconds)[0], "calls": 3, "tokens": tokens}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="char,word")
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--sides", default=",".join(SIDES))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "onnx_inference.json"))
    ap.add_argument("--generation-tokens", type=int, default=500, help="batch-1 generation length (0: none)")
    ap.add_argument("--worker", nargs=3, metavar=("SIDE", "CONFIG", "CELL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        side, config, cell = args.worker
        print(json.dumps(generation_worker(side[len("gen:"):], config, cell, args.generation_tokens)
                         if side.startswith("gen:") else worker(side, config, cell)))
        return
    jobs = [(c, cell, side) for c in args.configs.split(",") for cell in args.cells.split(",")
            for side in args.sides.split(",")]
    if args.generation_tokens:
        jobs += [(c, cell, f"gen:{side}") for c in args.configs.split(",") for cell in args.cells.split(",")
                 for side in GENERATION_SIDES]
    raw = {job: [] for job in jobs}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for turn in range(args.repeats):
        for job in jobs:
            config, cell, side = job
            proc = subprocess.run([sys.executable, __file__, "--worker", side, config, cell,
                                   "--generation-tokens", str(args.generation_tokens)], capture_output=True,
                                  text=True, env=env, timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"{job} failed:\n{proc.stderr[-3000:]}")
            raw[job].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"turn {turn + 1}: {config} {cell} {side}: {raw[job][-1]}", file=sys.stderr, flush=True)
    rows = []
    for config in args.configs.split(","):
        cfg = CONFIGS[config]
        tokens = cfg["batch"] * cfg["length"]
        for cell in args.cells.split(","):
            peer = [r["s_per_batch"] for r in raw.get((config, cell, "pytorch"), [])]
            for side in args.sides.split(","):
                runs = raw[(config, cell, side)]
                if runs and "skipped" in runs[0]:
                    rows.append({"config": config, "cell": cell, "side": side, "skipped": runs[0]["skipped"]})
                    continue
                seconds = [r["s_per_batch"] for r in runs]
                rate, rate_range = median_range([tokens / s for s in seconds])
                row = {"config": config, "cell": cell, "side": side, "tokens_per_second": round(rate),
                       "range": [round(v) for v in rate_range], "details": runs[0]}
                if peer and side != "pytorch":  # the ratio of each turn to PyTorch in the same turn
                    ratio, ratio_range = median_range([p / s for p, s in zip(peer, seconds)])
                    row.update(vs_pytorch=round(ratio, 2), vs_pytorch_range=[round(v, 2) for v in ratio_range])
                rows.append(row)
    generation = []
    for config in args.configs.split(",") if args.generation_tokens else []:
        for cell in args.cells.split(","):
            peer = [r["tokens_per_s"] for r in raw[(config, cell, "gen:pytorch")]]
            for side in GENERATION_SIDES:
                rates = [r["tokens_per_s"] for r in raw[(config, cell, f"gen:{side}")]]
                rate, rate_range = median_range(rates)
                row = {"config": config, "cell": cell, "side": side, "tokens_per_second": round(rate),
                       "range": [round(v) for v in rate_range], "tokens": args.generation_tokens}
                if side != "pytorch":
                    ratio, ratio_range = median_range([r / p for r, p in zip(rates, peer)])
                    row.update(vs_pytorch=round(ratio, 2), vs_pytorch_range=[round(v, 2) for v in ratio_range])
                generation.append(row)
    report = {"results": rows, "generation": generation, "repeats": args.repeats, "configs": {c: CONFIGS[c] for c in args.configs.split(",")},
              **provenance("onnx_inference.py", argv)}
    write_json(report, args.out)
    print(f"{report['date']}, {report['machine']}; median of {args.repeats} turns [range]")
    print("| config | cell | runtime | tokens/s | ÷ PyTorch |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['config']} | {r['cell']} | {r['side']} | — ({r['skipped']}) | — |")
            continue
        ratio = (f"{r['vs_pytorch']:.2f} [{r['vs_pytorch_range'][0]:.2f}–{r['vs_pytorch_range'][1]:.2f}]"
                 if "vs_pytorch" in r else "1")
        print(f"| {r['config']} | {r['cell']} | {r['side']} | {r['tokens_per_second']:,} | {ratio} |")
    if generation:
        print(f"\nbatch-1 greedy generation ({args.generation_tokens} tokens); median of {args.repeats} turns [range]")
        print("| config | cell | runtime | tokens/s | ÷ PyTorch eager |")
        print("| --- | --- | --- | --- | --- |")
        for r in generation:
            ratio = (f"{r['vs_pytorch']:.2f} [{r['vs_pytorch_range'][0]:.2f}–{r['vs_pytorch_range'][1]:.2f}]"
                     if "vs_pytorch" in r else "1")
            print(f"| {r['config']} | {r['cell']} | {r['side']} | {r['tokens_per_second']:,} | {ratio} |")


if __name__ == "__main__":
    main()
