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

--json prints one JSON object per file instead of the table (what Tests/CLITests/RequantizedFileTests
reads and judges): the file's tensor types and per prompt the fields above plus, with --exact, the exact
model's top-1/top-2 and margin and each engine's top-1 with its exact logit. --steps N sets the greedy
continuation's length (0: none, for a next-token check only). --threads N for both engines.

Usage: python3 Tests/reference/compare_logits.py [--exact] [--json] [--steps N] [--threads N]
       TOKENLOOM_BINARY MODEL.gguf [MODEL.gguf ...]
"""
import collections
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
THREADS = 2


def plain_cpu_kernels():
    """llama.cpp without its extra buffer types (AMX, repacked Q4_0/Q8_0): on a VM whose CPU reports
    AMX that the kernel does not let it use, the AMX matmul dies with SIGILL. The plain kernels are
    llama.cpp's reference CPU path, and the comparison is against the exact model anyway."""
    default = llama_cpp.llama_cpp.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p
    llama_cpp.llama_cpp.llama_model_default_params = params


plain_cpu_kernels()


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


def compare(binary, path, text, exact, llm, steps):
    ours = tokenloom(binary, "logits", "--model", path, "--prompt", text, "--top", "1000000", "--threads", str(THREADS))
    tokens = ours["prompt_tokens"]
    mine = np.full(len(ours["top"]), np.nan, dtype=np.float32)   # [vocab]
    for e in ours["top"]:
        mine[e["id"]] = e["logit"]
    llm.reset()
    llm.eval(tokens)
    ref = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    assert mine.shape == ref.shape and not np.isnan(mine).any(), (mine.shape, ref.shape)
    top10 = np.argsort(-ref, kind="stable")[:10]
    row = {"prompt": text, "n_tokens": len(tokens), "kl": kl(ref, mine),
           "top1": int(np.argmax(ref)) == int(np.argmax(mine)), "dmax": float(np.abs(ref[top10] - mine[top10]).max())}
    if exact is not None:
        truth = exact.logits(tokens)[-1]
        order = np.argsort(-truth, kind="stable")
        ours1, llama1 = int(np.argmax(mine)), int(np.argmax(ref))
        row.update(kl_ours=kl(truth, mine), kl_llama=kl(truth, ref),
                   exact_top1=int(order[0]), exact_top2=int(order[1]),
                   exact_margin=float(truth[order[0]] - truth[order[1]]),
                   ours_top1=ours1, ours_top1_exact_gap=float(truth[order[0]] - truth[ours1]),
                   llama_top1=llama1, llama_top1_exact_gap=float(truth[order[0]] - truth[llama1]))
    if steps == 0:
        return row
    gen = tokenloom(binary, "generate", "--model", path, "--prompt", text, "--max-tokens", str(steps),
                    "--threads", str(THREADS))
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


def type_counts(path):
    import gguf
    return dict(collections.Counter(t.tensor_type.name for t in gguf.GGUFReader(path).tensors))


def main():
    global THREADS
    args = sys.argv[1:]
    flags = {"--exact", "--json"}
    use_exact, as_json = "--exact" in args, "--json" in args
    steps = STEPS
    for name in ("--steps", "--threads"):
        if name in args:
            at = args.index(name)
            if at + 1 >= len(args) or not args[at + 1].isdigit():
                raise SystemExit(f"{name} needs a whole number")
            if name == "--steps":
                steps = int(args[at + 1])
            else:
                THREADS = max(1, int(args[at + 1]))
            args = args[:at] + args[at + 2:]
    args = [a for a in args if a not in flags]
    if len(args) < 2:
        raise SystemExit(__doc__)
    binary, paths = args[0], args[1:]
    if not as_json:
        print(f"{'file':34} {'KL mean':>9} {'KL max':>9} {'top-1':>6} {'|dlogit| top10':>14} {'greedy agree':>14}")
    for path in paths:
        exact = ExactLlama(path) if use_exact else None
        llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=THREADS, logits_all=True, verbose=False)
        rows = [compare(binary, path, text, exact, llm, steps) for text, _ in PROMPTS]
        llm.close()
        if as_json:
            print(json.dumps({"file": os.path.basename(path), "types": type_counts(path), "rows": rows}), flush=True)
            continue
        kls = [r["kl"] for r in rows]
        greedy = " ".join(f"{r['agree']}/{r['steps']}" + (f"@{r['margin']:.2f}" if r["margin"] is not None else "")
                          for r in rows if "agree" in r)
        print(f"{os.path.basename(path)[:34]:34} {np.mean(kls):9.2e} {max(kls):9.2e} "
              f"{sum(r['top1'] for r in rows)}/{len(rows):<4} {max(r['dmax'] for r in rows):14.3f}  {greedy}",
              flush=True)
        if exact is not None:
            print(f"{'  vs exact float64: KL mean/max':34} tokenloom {np.mean([r['kl_ours'] for r in rows]):.2e}/"
                  f"{max(r['kl_ours'] for r in rows):.2e}  llama.cpp {np.mean([r['kl_llama'] for r in rows]):.2e}/"
                  f"{max(r['kl_llama'] for r in rows):.2e}", flush=True)


if __name__ == "__main__":
    main()
