#!/usr/bin/env python3
"""Re-quantises SmolLM2 with llama.cpp (llama-cpp-python's llama_model_quantize) into the mixes that
common downloads use, to check that tokenloom loads them (issue 15). For SmolLM2's 576-wide rows
llama.cpp falls back from the K types to Q5_0 / Q5_1 / Q8_0 (Q4_K_M, Q5_K_M) or IQ4_NL (Q4_K_S and
smaller), which is what makes these files exercise the 32-element block types.

The source is the cached Q4_1 file (the one `tokenloom fetch smollm2` downloads), so the weights are
re-quantised from already quantised values: fine for a loading and parity check against llama.cpp on
the same output file, not for judging a quantisation's quality. Prints each output's tensor types.

Usage: python3 Tests/reference/requantize_smollm2.py OUT_DIR [MIX ...] [--source MODEL.gguf] [--pure]
  MIX: Q4_K_M, Q5_K_M (default both), or any llama.cpp ftype name such as Q3_K_M, Q2_K, IQ4_NL.
  --pure: every tensor in the mix's base type where its rows allow (llama.cpp's --pure); the only way
  to get Q2_K blocks into a SmolLM2 file, since the Q2_K mix picks Q3_K / Q4_0 for every tensor.
"""
import argparse
import collections
import os

import gguf
import llama_cpp

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def model_dir():
    if os.environ.get("TOKENLOOM_MODEL_DIR"):
        return os.environ["TOKENLOOM_MODEL_DIR"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tokenloom", "models")


def quantize(source, dest, mix, pure):
    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{mix}", None)
    if ftype is None:
        raise SystemExit(f"unknown llama.cpp ftype {mix}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = 2
    params.allow_requantize = True   # the source is already quantised
    params.pure = pure
    rc = llama_cpp.llama_model_quantize(source.encode(), dest.encode(), params)
    if rc != 0:
        raise SystemExit(f"llama_model_quantize {mix} failed ({rc})")


def type_counts(path):
    counts = collections.Counter(t.tensor_type.name for t in gguf.GGUFReader(path).tensors)
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("mixes", nargs="*", default=["Q4_K_M", "Q5_K_M"])
    ap.add_argument("--source", default=os.path.join(model_dir(), MODEL_FILE))
    ap.add_argument("--pure", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for mix in args.mixes:
        dest = os.path.join(args.out_dir, f"SmolLM2-135M-Instruct.{mix}{'-pure' if args.pure else ''}.gguf")
        quantize(args.source, dest, mix, args.pure)
        print(f"{dest}: {type_counts(dest)}")


if __name__ == "__main__":
    main()
