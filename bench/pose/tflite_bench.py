#!/usr/bin/env python3
"""frames/s of the upstream TFLite interpreter on a pose network: the peer of nn_bench.

    tflite_bench.py MODEL.tflite --input X.npy [--threads N] [--seconds S] [--builtin]

Default: the interpreter as MediaPipe runs it, with its default XNNPACK
delegate and N threads. --builtin: TFLite's builtin kernels without any
delegate (the reference the parity tests compare against). The input's first
item is used (batch 1, as the networks are stored). Prints one JSON line in
nn_bench's format: frames_per_s (wall) and cpu_ms_per_frame (process CPU
time, all threads: steadier on a shared machine)."""
import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--builtin", action="store_true")
    a = ap.parse_args()
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kw = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES} if a.builtin else {}
    it = Interpreter(model_path=a.model, num_threads=a.threads, **kw)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], np.load(a.input).astype(np.float32)[:1].reshape(d["shape"]))
    for _ in range(a.warmup):
        it.invoke()
    runs, t0, c0 = 0, time.perf_counter(), time.process_time()
    while runs < 5 or time.perf_counter() - t0 < a.seconds:
        it.invoke()
        runs += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"model": a.model, "device": "tflite-builtin" if a.builtin else "tflite-xnnpack",
                      "batch": 1, "threads": a.threads, "runs": runs,
                      "ms_per_batch": round(1e3 * wall / runs, 3), "frames_per_s": round(runs / wall, 2),
                      "cpu_ms_per_frame": round(1e3 * cpu / runs, 3)}))


if __name__ == "__main__":
    main()
