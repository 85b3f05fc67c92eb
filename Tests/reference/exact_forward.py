#!/usr/bin/env python3
"""An exact forward pass of a llama GGUF in float64 numpy: the weights decoded by the `gguf` package,
the activations never quantised. Neither engine's arithmetic: the yardstick against which
compare_logits.py measures both tokenloom and llama.cpp (llama.cpp quantises activations to 8 bits,
per 32 for Q4_0 / Q5_0 / IQ4_NL weights and per 256 for the K types; tokenloom does so only for
Q4_0 / Q4_1 / Q8_0 weights).

Follows llama.cpp's llama graph: RMSNorm, rotary embedding on adjacent pairs (rope type NORM),
grouped-query causal attention, SwiGLU; output tied to the token embedding when the file has none.

Usage: python3 Tests/reference/exact_forward.py MODEL.gguf TOKEN_ID [TOKEN_ID ...] [--show ID,ID]
(prints the top 5 next tokens and their logits, then those of the ids after --show)
"""
import sys

import numpy as np
import gguf


def _field(reader, key):
    f = reader.fields[key]
    v = f.parts[f.data[0]]
    return v[0].item() if len(v) == 1 else v


class ExactLlama:
    def __init__(self, path):
        reader = gguf.GGUFReader(path)
        arch = bytes(_field(reader, "general.architecture")).decode()
        self.d = _field(reader, f"{arch}.embedding_length")
        self.layers = _field(reader, f"{arch}.block_count")
        self.heads = _field(reader, f"{arch}.attention.head_count")
        self.kv_heads = _field(reader, f"{arch}.attention.head_count_kv")
        self.eps = _field(reader, f"{arch}.attention.layer_norm_rms_epsilon")
        self.base = _field(reader, f"{arch}.rope.freq_base") if f"{arch}.rope.freq_base" in reader.fields else 10000.0
        self.tensors = {t.name: t for t in reader.tensors}
        self.decoded = {}

    def w(self, name):
        """[rows, cols] float64 (cols = the ggml row length), decoded once."""
        if name not in self.decoded:
            t = self.tensors[name]
            x = gguf.quants.dequantize(t.data, t.tensor_type)
            self.decoded[name] = x.reshape(tuple(int(n) for n in reversed(t.shape))).astype(np.float64)
        return self.decoded[name]

    def rms(self, x, weight):
        return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + self.eps) * weight

    def rope(self, x, positions):
        # x [T, heads, hd]: pairs (2i, 2i + 1) rotate by pos * base^(-2i / hd)
        hd = x.shape[-1]
        theta = positions[:, None] * self.base ** (-np.arange(0, hd, 2) / hd)   # [T, hd/2]
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out

    def logits(self, tokens):
        """[T, vocab] for the token ids `tokens` at positions 0 ..< T."""
        T, H, Hkv = len(tokens), self.heads, self.kv_heads
        hd = self.d // H
        x = self.w("token_embd.weight")[tokens]                                 # [T, d]
        pos = np.arange(T, dtype=np.float64)
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for l in range(self.layers):
            p = f"blk.{l}."
            h = self.rms(x, self.w(p + "attn_norm.weight"))
            q = self.rope((h @ self.w(p + "attn_q.weight").T).reshape(T, H, hd), pos)
            k = self.rope((h @ self.w(p + "attn_k.weight").T).reshape(T, Hkv, hd), pos)
            v = (h @ self.w(p + "attn_v.weight").T).reshape(T, Hkv, hd)
            k, v = np.repeat(k, H // Hkv, axis=1), np.repeat(v, H // Hkv, axis=1)   # [T, H, hd]
            att = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask           # [H, T, T]
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            o = np.einsum("hts,shd->thd", att, v).reshape(T, H * hd)
            x = x + o @ self.w(p + "attn_output.weight").T
            h = self.rms(x, self.w(p + "ffn_norm.weight"))
            g, u = h @ self.w(p + "ffn_gate.weight").T, h @ self.w(p + "ffn_up.weight").T
            x = x + (g / (1 + np.exp(-g)) * u) @ self.w(p + "ffn_down.weight").T
        x = self.rms(x, self.w("output_norm.weight"))
        out = "output.weight" if "output.weight" in self.tensors else "token_embd.weight"
        return x @ self.w(out).T


if __name__ == "__main__":
    args = sys.argv[1:]
    show = []
    if "--show" in args:
        at = args.index("--show")
        show = [int(t) for t in args[at + 1].split(",")]
        args = args[:at] + args[at + 2:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    last = ExactLlama(args[0]).logits([int(t) for t in args[1:]])[-1]
    for i in list(np.argsort(-last)[:5]) + show:
        print(int(i), float(last[i]))
