#!/usr/bin/env python3
"""tokenloom against llama.cpp on the same GGUF files (issue 15: files of the block types llama.cpp's
K-quant mixes produce, written by requantize_smollm2.py).

For each file and each prompt of make_llama_reference.py, both engines see the same token ids
(tokenloom's, from `tokenloom logits --json`): the next-token distributions are compared (KL of
tokenloom's from llama.cpp's in nats, top-1 agreement, the largest logit difference over
llama.cpp's top 10), then a greedy continuation of STEPS tokens from `tokenloom generate --json`:
how many leading tokens agree, and llama.cpp's top-1/top-2 margin where they first differ
(a near tie, < 0.1, is rounding; a wide margin is a wrong kernel).

With --exact, both are also measured against exact_forward.py's float64 logits (KL of each engine's
next-token distribution from the exact one): which engine the differences between them come from.

Usage: python3 Tests/reference/compare_logits.py [--exact] TOKENLOOM_BINARY MODEL.gguf [MODEL.gguf ...]
"""
import json
import os
import subprocess
import sys

import numpy as np
import llama_cpp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_llama_reference import PROMPTS  # noqa: E402
from exact_forward import ExactLlama  # noqa: E402

STEPS = 16


def tokenloom(binary, *args):
    out = subprocess.run([binary, *args, "--json"], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def log_softmax(x):
    x = x.astype(np.float64) - x.max()
    return x - np.log(np.exp(x).sum())


def kl(p_logits, q_logits):
    """KL(p || q) in nats of the softmax distributions."""
    lp, lq = log_softmax(p_logits), log_softmax(q_logits)
    return float((np.exp(lp) * (lp - lq)).sum())


def compare(binary, path, text, exact):
    ours = tokenloom(binary, "logits", "--model", path, "--prompt", text, "--top", "1000000")
    tokens = ours["prompt_tokens"]
    mine = np.full(len(ours["top"]), np.nan, dtype=np.float32)   # [vocab]
    for e in ours["top"]:
        mine[e["id"]] = e["logit"]
    llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=2, logits_all=True, verbose=False)
    llm.eval(tokens)
    ref = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    assert mine.shape == ref.shape and not np.isnan(mine).any(), (mine.shape, ref.shape)
    top10 = np.argsort(-ref, kind="stable")[:10]
    row = {"kl": kl(ref, mine), "top1": int(np.argmax(ref)) == int(np.argmax(mine)),
           "dmax": float(np.abs(ref[top10] - mine[top10]).max())}
    if exact is not None:
        truth = exact.logits(tokens)[-1]
        row.update(kl_ours=kl(truth, mine), kl_llama=kl(truth, ref))
    gen = tokenloom(binary, "generate", "--model", path, "--prompt", text, "--max-tokens", str(STEPS))
    assert gen["prompt_tokens"] == tokens
    logits, agree, margin = ref, 0, None
    for t in gen["tokens"]:
        order = np.argsort(-logits, kind="stable")
        if int(order[0]) != t:
            margin = float(logits[order[0]] - logits[order[1]])
            break
        agree += 1
        llm.eval([t])
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    row.update(agree=agree, steps=len(gen["tokens"]), margin=margin)
    return row


def main():
    args = sys.argv[1:]
    use_exact = "--exact" in args
    args = [a for a in args if a != "--exact"]
    if len(args) < 2:
        raise SystemExit(__doc__)
    binary, paths = args[0], args[1:]
    print(f"{'file':34} {'KL mean':>9} {'KL max':>9} {'top-1':>6} {'|dlogit| top10':>14} {'greedy agree':>14}")
    for path in paths:
        exact = ExactLlama(path) if use_exact else None
        rows = [compare(binary, path, text, exact) for text, _ in PROMPTS]
        kls = [r["kl"] for r in rows]
        greedy = " ".join(f"{r['agree']}/{r['steps']}" + (f"@{r['margin']:.2f}" if r["margin"] is not None else "")
                          for r in rows)
        print(f"{os.path.basename(path)[:34]:34} {np.mean(kls):9.2e} {max(kls):9.2e} "
              f"{sum(r['top1'] for r in rows)}/{len(rows):<4} {max(r['dmax'] for r in rows):14.3f}  {greedy}",
              flush=True)
        if exact is not None:
            print(f"{'  vs exact float64: KL mean/max':34} tokenloom {np.mean([r['kl_ours'] for r in rows]):.2e}/"
                  f"{max(r['kl_ours'] for r in rows):.2e}  llama.cpp {np.mean([r['kl_llama'] for r in rows]):.2e}/"
                  f"{max(r['kl_llama'] for r in rows):.2e}", flush=True)


if __name__ == "__main__":
    main()
