#!/usr/bin/env python3
"""llama.cpp (llama-cpp-python, n_threads=2) on the same figures as `tokenloom bench engine`:
prompt-eval tokens/s (a 128-token batch), AR decode tokens/s over 128 tokens, the time of one
k-token batch with logits for all k after a 64-token prefix (k = 1 ... 64), and peak RSS.
Medians of several runs. Token ids follow the same formula as tokenloom's benchmark.

Usage: python3 Tests/reference/bench_llama_cpp.py [MODEL.gguf] [--threads N] [--runs R] [--json]
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np
import llama_cpp


def model_dir():
    if os.environ.get("TOKENLOOM_MODEL_DIR"):
        return os.environ["TOKENLOOM_MODEL_DIR"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tokenloom", "models")


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default=os.path.join(model_dir(), "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    common = dict(model_path=args.model, n_ctx=1024, n_batch=512, n_threads=args.threads,
                  n_threads_batch=args.threads, verbose=False)
    llm = llama_cpp.Llama(logits_all=False, **common)
    vocab = llm.n_vocab()
    ids = [(i * 7919 + 13) % vocab for i in range(128)]

    def prompt_run():
        llm.reset()
        return timed(lambda: llm.eval(ids[:128]))
    llm.eval(ids[:8])
    prompt_ms = statistics.median(prompt_run() for _ in range(args.runs))

    def decode_run():
        llm.reset()
        llm.eval([ids[0]])
        def go():
            for _ in range(128):
                nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                llm.eval([nxt])
        return timed(go)
    decode_ms = statistics.median(decode_run() for _ in range(max(1, args.runs // 2)))

    # k-token batches with logits for every position (what a Jacobi step needs).
    del llm
    llm = llama_cpp.Llama(logits_all=True, **common)
    llm.eval(ids[:64])
    forward = {}
    for k in (1, 2, 4, 8, 16, 32, 64):
        times = []
        for _ in range(args.runs):
            llm.n_tokens = 64          # eval drops cache cells after n_tokens
            times.append(timed(lambda: llm.eval(ids[64:64 + k])))
        forward[str(k)] = statistics.median(times)

    report = {"engine": "llama.cpp via llama-cpp-python " + llama_cpp.__version__, "threads": args.threads,
              "prompt_tokens_per_s": 128 / (prompt_ms / 1000), "decode_tokens_per_s": 128 / (decode_ms / 1000),
              "forward_ms": forward, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.json:
        print(json.dumps(report, sort_keys=True))
        return
    print(f"{report['engine']}, {args.threads} threads")
    print(f"prompt eval (128 tokens): {report['prompt_tokens_per_s']:.1f} tokens/s")
    print(f"AR decode (128 tokens):  {report['decode_tokens_per_s']:.1f} tokens/s")
    for k, ms in forward.items():
        print(f"forward k={k:<2} after 64: {ms:7.2f} ms  ({ms / int(k):.2f} ms/position)")
    print(f"peak RSS: {report['peak_rss_mb']:.0f} MB (the Python process included)")


if __name__ == "__main__":
    main()
