"""Exports a trained checkpoint to a tokenloom-image GGUF (FORMAT.md) and writes reference logits.

  python3 export.py runs/stageS.npz ../Sources/TokenloomModels/Resources/emoji.gguf --name emoji \
      --reference ../Tests/ModelsTests/Fixtures/image/emoji_reference.json
Matrices and embedding tables are stored F16; norms, biases, scales, statistics and the palette F32.
The reference logits are computed by the JAX model from the F16-rounded weights Swift will read.
"""
import argparse, json, os
import numpy as np
import jax.numpy as jnp
import gguf
import model as M
from train import load, load_data
from data import tokenizer

ARCH = "tokenloom-image"
HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER_KEYS = ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                  "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                  "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                  "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_space_prefix"]


def smollm2_path():
    home = os.environ.get("TOKENLOOM_MODEL_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tokenloom", "models")
    return os.path.join(home, "SmolLM2-135M-Instruct.Q4_1.gguf")


def is_matrix(name, a):
    return a.ndim == 2 and name not in ("fuser.stab", "fuser.instr_hidden", "img.level_embd")


def rounded(params):
    """The parameters as Swift reads them: matrices through F16."""
    return {k: jnp.asarray(np.asarray(v, np.float32).astype(np.float16).astype(np.float32)) if is_matrix(k, np.asarray(v))
            else jnp.asarray(np.asarray(v, np.float32)) for k, v in params.items()}


def copy_tokenizer(w):
    r = gguf.GGUFReader(smollm2_path())
    for key in TOKENIZER_KEYS:
        f = r.fields[key]
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            sub = f.types[1]
            vals = [f.parts[i] for i in f.data]
            if sub == gguf.GGUFValueType.STRING:
                w.add_array(key, [bytes(v).decode("utf-8") for v in vals])
            else:
                w.add_array(key, [int(v[0]) for v in vals])
        elif t == gguf.GGUFValueType.STRING:
            w.add_string(key, bytes(f.parts[f.data[0]]).decode("utf-8"))
        elif t == gguf.GGUFValueType.BOOL:
            w.add_bool(key, bool(f.parts[f.data[0]][0]))
        else:
            w.add_uint32(key, int(f.parts[f.data[0]][0]))


def write_gguf(path, name, params, cfg, meta, vocab, data, fused):
    w = gguf.GGUFWriter(path, ARCH)
    w.add_name(name)
    p = ARCH + "."
    for key, val in [("embedding_length", cfg.d), ("head_count", cfg.heads), ("feed_forward_length", cfg.ffn),
                     ("block_count", cfg.dec_layers), ("encoder.block_count", cfg.enc_layers),
                     ("text_length", cfg.text_len), ("stabiliser_count", cfg.stab), ("grid", cfg.grid),
                     ("image_vocab", cfg.colours), ("levels", cfg.levels)]:
        w.add_uint32(p + key, int(val))
    w.add_float32(p + "layer_norm_rms_epsilon", float(cfg.eps))
    w.add_array(p + "sigmas", [float(s) for s in meta["sigmas"]])
    w.add_array(p + "text_vocab", [int(v) for v in vocab])
    w.add_array(p + "prompts", data["prompts"])
    w.add_bool(p + "fused", fused)
    if fused:
        w.add_uint32(p + "llm.embedding_length", int(cfg.llm_dim))
        w.add_uint32(p + "llm.layer", int(meta["llm_layer"]))
        w.add_string(p + "llm.model", "smollm2")
        from features import INSTRUCTIONS
        w.add_array(p + "llm.instructions", INSTRUCTIONS)
    copy_tokenizer(w)
    tensors = dict(params)
    tensors["img.mu"] = np.array(meta.get("mu", np.zeros(cfg.d)), np.float32)
    tensors["img.sd"] = np.array(meta.get("sd", np.ones(cfg.d)), np.float32)
    tensors["img.palette"] = data["palette"].astype(np.float32)         # [colours, 3] RGB 0..255
    tensors["img.references"] = data["tokens"].astype(np.int8)          # [prompts, 256] training images
    if not fused:
        for k in ("fuser.z_beta.weight", "fuser.z_beta.bias", "fuser.scale", "fuser.instr_hidden"):
            tensors.pop(k, None)
    for k in sorted(tensors):
        if k == "img.references":
            w.add_tensor(k, np.ascontiguousarray(tensors[k]))
            continue
        a = np.asarray(tensors[k], np.float32)
        if is_matrix(k, a) and k not in ("img.palette",):
            # JAX [in, out] -> ggml rows of `in` (numpy [out, in]); tables [rows, d] stay as they are
            if k.endswith("embd") or k in ("text.token_embd", "img.token_embd"):
                w.add_tensor(k, a.astype(np.float16))
            else:
                w.add_tensor(k, np.ascontiguousarray(a.T).astype(np.float16))
        else:
            w.add_tensor(k, np.ascontiguousarray(a))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def local_ids(text, vocab, tok, cfg):
    ids = list(tok(text))[: cfg.text_len]
    loc = [1 + int(np.searchsorted(vocab, t)) if t in set(vocab.tolist()) else 0 for t in ids]
    return ids, loc


def reference_forward(p, cfg, loc, H, instr, inputs, mu, sd):
    """Logits [len(inputs), colours] for the decoder inputs after the condition: each is ("boi",),
    ("token", t) or ("embedding", vector, level); input j sits at image slot j (pixel j's embedding)."""
    ids = np.full((1, cfg.text_len), -1, np.int32); ids[0, : len(loc)] = loc
    Hp = None
    if H is not None:
        Hp = np.zeros((1, cfg.text_len, cfg.llm_dim), np.float32); Hp[0, : len(H)] = H
    cond, cv = M.condition(p, jnp.asarray(ids), None if Hp is None else jnp.asarray(Hp),
                           None if instr is None else jnp.asarray(instr), cfg)
    g = cfg.grid
    pos = (p["img.row_embd"][:, None, :] + p["img.col_embd"][None, :, :]).reshape(g * g, -1)
    rows = []
    for j, inp in enumerate(inputs):
        if inp[0] == "boi":
            v = p["img.boi"]
        elif inp[0] == "token":
            v = p["img.token_embd"][inp[1]] + p["img.level_embd"][0]
        else:
            v = jnp.asarray(inp[1]) + p["img.level_embd"][inp[2]]
        rows.append(v + pos[j])
    lg = M.decode(p, cond, cv, jnp.stack(rows)[None], cfg)
    return np.asarray(lg[0], np.float64)


def gates(p, cfg, loc, H):
    ids = np.full((1, cfg.text_len), -1, np.int32); ids[0, : len(loc)] = loc
    E, _ = M.encode_text(p, jnp.asarray(ids), cfg)
    E = E[0, : len(loc)]
    base = E + E @ p["fuser.z_theta.weight"] + p["fuser.z_theta.bias"]
    llm = M.llm_branch(p, jnp.asarray(H), cfg)
    nb, nl = np.linalg.norm(np.asarray(base), axis=-1), np.linalg.norm(np.asarray(llm), axis=-1)
    return (nl / (nb + nl)).tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint"); ap.add_argument("out")
    ap.add_argument("--name", required=True)
    ap.add_argument("--reference", help="write reference logits JSON here")
    ap.add_argument("--data", default=os.path.join(HERE, "data", "emoji.npz"))
    ap.add_argument("--features", default=os.path.join(HERE, "data", "features.npz"))
    a = ap.parse_args()
    params, cfg, vocab, meta = load(a.checkpoint)
    data = load_data(a.data, cfg)
    fused = "fuser.instr_hidden" in params
    write_gguf(a.out, a.name, params, cfg, meta, vocab, data, fused)
    print(f"wrote {a.out}: {os.path.getsize(a.out) / 1e6:.2f} MB")
    if not a.reference:
        return
    p = rounded(params)
    mu = np.array(meta.get("mu", np.zeros(cfg.d)), np.float32)
    sd = np.array(meta.get("sd", np.ones(cfg.d)), np.float32)
    sig = np.array(meta["sigmas"], np.float32); al, sb = M.alpha_sigma(sig)
    tok = tokenizer()
    rng = np.random.default_rng(7)
    feats = np.load(a.features) if fused else None
    instr = np.asarray(params["fuser.instr_hidden"]) if fused else None
    cases = []
    names = ["grinning face", "cat face", "red apple", "rocket"]
    prompts = [(n, data["prompts"].index(n)) for n in names if n in data["prompts"]] + [("", None)]
    if not fused:
        prompts.append(("space rocket with a puppy", None))
    for text, idx in prompts:
        ids, loc = local_ids(text, vocab, tok, cfg) if text else ([], [])
        img = data["tokens"][idx] if idx is not None else rng.integers(0, cfg.colours, 256)
        inputs = [("boi",)] + [("token", int(t)) for t in img[:4]]
        # two noisy inputs in model space: sd * (alpha e0 + sbar eps) + mu, at levels 5 and 20
        for k, t in ((5, img[4]), (cfg.levels, img[5])):
            e0 = (np.asarray(p["img.token_embd"][int(t)]) - mu) / sd
            z = al[k] * e0 + sb[k] * rng.standard_normal(cfg.d).astype(np.float32)
            inputs.append(("embedding", (z * sd + mu).astype(np.float32), k))
        H = None
        if fused:
            H = feats["H"][idx, : len(ids)] if idx is not None else np.zeros((0, cfg.llm_dim), np.float32)
        lg = reference_forward(p, cfg, loc, H, instr, inputs, mu, sd)
        case = dict(prompt=text, prompt_tokens=ids, local_tokens=loc,
                    inputs=[{"token": cfg.colours} if i[0] == "boi" else {"token": i[1]} if i[0] == "token"
                            else {"embedding": i[1].tolist(), "level": i[2]} for i in inputs],
                    logits=lg.tolist())
        if fused:
            case["hidden"] = H.tolist()
            case["gates"] = gates(p, cfg, loc, H) if len(loc) else []
        cases.append(case)
    os.makedirs(os.path.dirname(a.reference), exist_ok=True)
    with open(a.reference, "w") as f:
        json.dump(dict(model=a.name, boi=cfg.colours, cases=cases), f)
    print(f"wrote {a.reference}: {len(cases)} cases")


if __name__ == "__main__":
    main()
