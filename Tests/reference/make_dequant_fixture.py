#!/usr/bin/env python3
"""Dequantisation reference: raw blocks of every supported tensor type and the floats the `gguf`
Python package decodes them to. Writes Tests/KernelsTests/Fixtures/dequant_gguf.json.

Blocks are seeded random bytes with the scale fields set to sane half floats, plus (when the model
is cached) a few real blocks of SmolLM2 (Q4_1 attention weights, Q8_0 token embedding).
Usage: python3 Tests/reference/make_dequant_fixture.py
"""
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

BLOCKS = 3
rng = np.random.default_rng(1234)


def half_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8)


def random_blocks(qtype):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(BLOCKS, size), dtype=np.uint8)
    for b in range(BLOCKS):
        # Where each type keeps its f16 scale (d) and, for the offset types, its min / dmin.
        if qtype in (T.Q4_0, T.Q8_0, T.Q5_0, T.IQ4_NL):
            raw[b, 0:2] = half_bytes([rng.uniform(-0.1, 0.1)])
        elif qtype in (T.Q4_1, T.Q4_K, T.Q5_1, T.Q5_K):
            raw[b, 0:4] = half_bytes([rng.uniform(0.001, 0.1), rng.uniform(-0.1, 0.1)])
        elif qtype == T.Q6_K:
            raw[b, 208:210] = half_bytes([rng.uniform(-0.05, 0.05)])
        elif qtype == T.Q2_K:
            raw[b, 80:84] = half_bytes([rng.uniform(0.001, 0.1), rng.uniform(-0.1, 0.1)])
        elif qtype == T.Q3_K:
            raw[b, 108:110] = half_bytes([rng.uniform(-0.05, 0.05)])
    return raw.reshape(-1), block * BLOCKS


def float_blocks(qtype):
    x = rng.standard_normal(64).astype(np.float32) * 3
    if qtype == T.F32:
        return x.view(np.uint8), 64
    if qtype == T.F16:
        return x.astype(np.float16).view(np.uint8), 64
    bits = (x.view(np.uint32) >> 16).astype(np.uint16)  # BF16: the top half of an F32
    return bits.view(np.uint8), 64


def case(name, qtype, raw, n):
    values = gguf.quants.dequantize(raw, qtype).reshape(-1)[:n]
    assert values.size == n, (name, values.size, n)
    return {"name": name, "type": qtype.name, "elements": int(n), "bytes": raw.tobytes().hex(),
            "values": [float(v) for v in values]}


def model_path():
    root = os.environ.get("TOKENLOOM_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "tokenloom", "models")
    return os.path.join(root, "SmolLM2-135M-Instruct.Q4_1.gguf")


def main():
    cases = []
    for qtype in (T.F32, T.F16, T.BF16):
        raw, n = float_blocks(qtype)
        cases.append(case(f"random {qtype.name}", qtype, raw, n))
    # New types go at the end, so the seeded draws of the earlier cases stay the same.
    for qtype in (T.Q4_0, T.Q4_1, T.Q8_0, T.Q4_K, T.Q6_K, T.Q5_0, T.Q5_1, T.Q5_K, T.Q3_K, T.Q2_K, T.IQ4_NL):
        raw, n = random_blocks(qtype)
        cases.append(case(f"random {qtype.name}", qtype, raw, n))
    if os.path.exists(model_path()):
        reader = gguf.GGUFReader(model_path())
        for tensor in reader.tensors:
            if tensor.name in ("blk.0.attn_q.weight", "token_embd.weight"):
                block, size = gguf.GGML_QUANT_SIZES[tensor.tensor_type]
                raw = np.asarray(tensor.data).view(np.uint8).reshape(-1)[: 4 * size].copy()
                cases.append(case(f"SmolLM2 {tensor.name}", tensor.tensor_type, raw, 4 * block))
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "KernelsTests", "Fixtures",
                        "dequant_gguf.json")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as f:
        json.dump({"gguf_python": gguf.__version__ if hasattr(gguf, "__version__") else "?", "cases": cases}, f)
        f.write("\n")
    print("wrote", os.path.normpath(dest), len(cases), "cases")


if __name__ == "__main__":
    main()
