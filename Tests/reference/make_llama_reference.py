#!/usr/bin/env python3
"""Reference logits from llama.cpp (via llama-cpp-python) for the SmolLM2 parity tests.

For each prompt: llama.cpp's token ids, the top-10 next-token logits, and a greedy 32-token
continuation with the top1 - top2 logit margin at every step. Writes
Tests/ModelsTests/Fixtures/reference/smollm2_llama_cpp.json.

Usage: python3 Tests/reference/make_llama_reference.py [MODEL.gguf]
(default model: $TOKENLOOM_MODEL_DIR, else $XDG_CACHE_HOME/tokenloom/models, else ~/.cache/tokenloom/models)
"""
import json
import os
import sys

import numpy as np
import llama_cpp

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
STEPS = 32
TOP = 10

# (text, parse special tokens)
PROMPTS = [
    ("The quick brown fox", False),
    ("Once upon a time, in a land far away, there lived", False),
    ("def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    ", False),
    ("I love 🍕 and 🎉!   日本語のテキストも少し。", False),
    ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n", True),
]


def model_dir():
    if os.environ.get("TOKENLOOM_MODEL_DIR"):
        return os.environ["TOKENLOOM_MODEL_DIR"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tokenloom", "models")


def top_k(logits, k):
    ids = np.argsort(-logits, kind="stable")[:k]
    return [{"id": int(i), "logit": float(logits[i])} for i in ids]


# Other valid llama.cpp attention set-ups: their top-10 logits differ from the default's by the
# "spread" recorded per prompt, llama.cpp's own sensitivity to attention rounding on this model.
ALTERNATIVES = [dict(flash_attn=True), dict(type_k=0, type_v=0)]  # 0 = GGML_TYPE_F32 cache


def last_logits(path, tokens, **kw):
    llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=2, logits_all=True, verbose=False, **kw)
    llm.eval(tokens)
    return np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(model_dir(), MODEL_FILE)
    llm = llama_cpp.Llama(model_path=path, n_ctx=512, n_threads=2, n_batch=512,
                          logits_all=True, verbose=False, seed=0)
    out = {"model": MODEL_FILE, "alternatives": [str(kw) for kw in ALTERNATIVES], "llama_cpp_python": llama_cpp.__version__, "n_threads": 2,
           "steps": STEPS, "prompts": []}
    for text, special in PROMPTS:
        llm.reset()
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=special)
        llm.eval(tokens)
        first = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        greedy, margins = [], []
        logits = first
        for _ in range(STEPS):
            order = np.argsort(-logits, kind="stable")
            greedy.append(int(order[0]))
            margins.append(float(logits[order[0]] - logits[order[1]]))
            llm.eval([int(order[0])])
            logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        top_ids = np.argsort(-first, kind="stable")[:TOP]
        spread = max(float(np.abs(last_logits(path, tokens, **kw)[top_ids] - first[top_ids]).max())
                     for kw in ALTERNATIVES)
        out["prompts"].append({"text": text, "parse_special": special, "tokens": [int(t) for t in tokens],
                               "top": top_k(first, TOP), "greedy": greedy, "margins": margins,
                               "spread": spread})
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ModelsTests", "Fixtures",
                        "reference", "smollm2_llama_cpp.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.normpath(dest))


if __name__ == "__main__":
    main()
