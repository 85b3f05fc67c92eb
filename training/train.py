"""Trains the tokenloom-image model in stages (JAX + optax), with fixed seeds.

  --stage A     encoder-only AR model from scratch (condition dropout for classifier-free guidance)
  --stage sjd2  next-clean-token fine-tune of A: noisy segments of normalised embeddings at Karras levels
  --stage B     fused model: A/sjd2 weights plus the token fuser fed SmolLM2 hidden states (--features)
Each stage writes training/runs/<name>.npz (parameters + config + vocab) and prints its wall time.
"""
import argparse, json, math, os, time
import numpy as np
import jax
import jax.numpy as jnp
import optax
import model as M

HERE = os.path.dirname(os.path.abspath(__file__))


def load_data(path, cfg):
    z = np.load(path)
    ids = z["prompt_ids"]
    vocab = np.unique(ids[ids >= 0])                      # SmolLM2 ids the encoder knows (local id = 1 + index)
    local = np.full(ids.shape, -1, np.int32)
    for i in range(ids.shape[0]):
        for t in range(ids.shape[1]):
            if ids[i, t] >= 0:
                local[i, t] = 1 + int(np.searchsorted(vocab, ids[i, t]))
    pad = np.full((ids.shape[0], cfg.text_len), -1, np.int32)
    pad[:, : ids.shape[1]] = local
    out = dict(ids=pad, tokens=z["tokens"].astype(np.int32), palette=z["palette"], images=z["images"],
               prompts=[str(p) for p in z["prompts"]], vocab=vocab.astype(np.int64))
    if "train_prompts" in z.files:   # v2 (data_v2.py): ids are the training prompt strings, not one per image
        out.update(v2=True, train_prompts=[str(p) for p in z["train_prompts"]], aug=z["aug_tokens"].astype(np.int32),
                   name_idx=z["name_idx"], kw_ptr=z["kw_ptr"], kw_idx=z["kw_idx"], cat_ptr=z["cat_ptr"],
                   cat_idx=z["cat_idx"])
    return out


def v2_batch(rng, data, B, p_name=0.5, p_kw=0.25, p_aug=0.5):
    """v2 sampling: an image uniformly, then its name (p_name), one of its aliases/keywords (p_kw) or one of its
    category prompts (the rest; falling back to the name); the original rendering or one of its augmentations."""
    M = len(data["tokens"])
    img = rng.integers(0, M, B)
    pr = np.empty(B, np.int64)
    for b, i in enumerate(img):
        r = rng.random()
        k0, k1 = data["kw_ptr"][i], data["kw_ptr"][i + 1]
        c0, c1 = data["cat_ptr"][i], data["cat_ptr"][i + 1]
        if r < p_name:
            pr[b] = data["name_idx"][i]
        elif r < p_name + p_kw and k1 > k0:
            pr[b] = data["kw_idx"][rng.integers(k0, k1)]
        elif c1 > c0:
            pr[b] = data["cat_idx"][rng.integers(c0, c1)]
        else:
            pr[b] = data["name_idx"][i]
    A = data["aug"].shape[1]
    v = rng.integers(0, A, B)
    use = rng.random(B) < p_aug
    toks = np.where(use[:, None], data["aug"][img, v], data["tokens"][img])
    return data["ids"][pr].copy(), toks, img


def save(path, params, cfg, vocab, extra):
    arrays = {k: np.asarray(v) for k, v in params.items()}
    meta = dict(extra, cfg=cfg.__dict__)
    np.savez(path, __meta__=np.array(json.dumps(meta)), __vocab__=vocab, **arrays)


def load(path):
    z = np.load(path)
    meta = json.loads(str(z["__meta__"]))
    params = {k: jnp.asarray(z[k]) for k in z.files if not k.startswith("__")}
    return params, M.Config(**meta["cfg"]), z["__vocab__"], meta


def noise_plan(rng, B, n, K, clean_frac):
    """Per sample, the level of each of the n image input slots (0 = clean): a clean prefix, then a noisy tail
    whose levels rise along the sequence the way an SJD2 window's do (or random-level segments)."""
    levels = np.zeros((B, n), np.int32)
    for b in range(B):
        if rng.random() < clean_frac:
            continue
        a = int(rng.integers(0, n))
        m = n - a
        if rng.random() < 0.7:
            k0, r = rng.integers(1, K + 1), rng.uniform(0.0, 1.0)
            ks = k0 + np.floor(np.arange(m) * r + rng.uniform(-1.5, 1.5, m))
        else:
            ks, o = np.zeros(m), 0
            while o < m:
                L = int(rng.integers(1, 17)); ks[o:o + L] = rng.integers(1, K + 1); o += L
        levels[b, a:] = np.clip(ks, 1, K).astype(np.int32)
    return levels


def make_step(cfg, opt, fused, sjd2, mu, sd, alphas, sbars):
    mu_j, sd_j = jnp.asarray(mu), jnp.asarray(sd)
    a_j, s_j = jnp.asarray(alphas), jnp.asarray(sbars)

    def loss_fn(p, ids, H, instr, tokens, levels, key):
        noisy = None
        if sjd2:
            eps = jax.random.normal(key, tokens[:, :-1].shape + (cfg.d,), jnp.float32)
            e0 = (jax.lax.stop_gradient(p["img.token_embd"])[tokens[:, :-1]] - mu_j) / sd_j
            noisy = a_j[levels][..., None] * e0 + s_j[levels][..., None] * eps
        lg = M.logits(p, ids, H if fused else None, instr if fused else None, tokens, cfg,
                      noisy=noisy, levels=levels, mu=mu_j, sd=sd_j)
        return optax.softmax_cross_entropy_with_integer_labels(lg, tokens).mean()

    @jax.jit
    def step(p, st, ids, H, instr, tokens, levels, key):
        loss, g = jax.value_and_grad(loss_fn)(p, ids, H, instr, tokens, levels, key)
        up, st = opt.update(g, st, p)
        return optax.apply_updates(p, up), st, loss
    return step


def sample_ar(p, cfg, ids, H, instr, key, temperature=1.0, top_k=0, cfg_scale=1.0, mu=0.0, sd=1.0):
    """Plain AR sampling by full recomputation (fixed shapes). ids [B, T]. Returns tokens [B, 256]."""
    B = ids.shape[0]
    empty = jnp.full_like(ids, -1)
    Hn = None if H is None else jnp.zeros_like(H)

    @jax.jit
    def one(tokens, j, key):
        lg = M.logits(p, ids, H, instr, tokens, cfg)[:, j]
        if cfg_scale != 1.0:
            lu = M.logits(p, empty, Hn, instr, tokens, cfg)[:, j]
            lg = lu + cfg_scale * (lg - lu)
        lg = lg / temperature
        if top_k:
            kth = jnp.sort(lg, -1)[:, -top_k][:, None]
            lg = jnp.where(lg < kth, -jnp.inf, lg)
        return tokens.at[:, j].set(jax.random.categorical(key, lg, -1))

    tokens = jnp.zeros((B, cfg.n_img), jnp.int32)
    for j in range(cfg.n_img):
        key, k = jax.random.split(key)
        tokens = one(tokens, j, k)
    return np.asarray(tokens)


def retrieval(gen_tokens, ref_idx, data):
    """Share of generated images nearer (pixel L2) to their own reference than to every other reference,
    and the mean absolute pixel error to their own reference."""
    pal = data["palette"].astype(np.float64)
    refs = pal[data["tokens"]].reshape(len(data["tokens"]), -1)          # [N, 768]
    gen = pal[gen_tokens].reshape(len(gen_tokens), -1)
    d = ((gen[:, None, :] - refs[None]) ** 2).sum(-1)
    acc = float(np.mean(np.argmin(d, 1) == ref_idx))
    err = float(np.abs(gen - refs[ref_idx]).mean())
    return acc, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=["A", "sjd2", "B"], required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "data", "emoji.npz"))
    ap.add_argument("--init", help="checkpoint to start from (sjd2, B)")
    ap.add_argument("--features", help="npz with SmolLM2 hidden states: H [N, T, 576], instr [S, 576] (stage B)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--drop", type=float, default=0.1, help="condition dropout (CFG)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval", type=int, default=64, help="prompts to sample for the retrieval check (0: none)")
    ap.add_argument("--max-seconds", type=float, default=0, help="stop training after this wall time")
    ap.add_argument("--tiny", action="store_true", help="a tiny model, for smoke tests")
    ap.add_argument("--model", default="", help="config overrides for a new model, e.g. d=128,heads=4,ffn=512")
    ap.add_argument("--ckpt-every", type=float, default=0, help="write <out>.ckpt.npz every this many seconds")
    ap.add_argument("--resume", action="store_true", help="continue from <out>.ckpt.npz if it exists")
    a = ap.parse_args()

    t0 = time.time()
    if a.init:
        params, cfg, vocab, meta = load(a.init)
    else:
        over = {k: int(v) for k, v in (kv.split("=") for kv in a.model.split(",") if kv)}
        cfg = M.Config(**(dict(d=32, heads=2, ffn=64, enc_layers=1, dec_layers=1) if a.tiny else over))
        meta = {}
    data = load_data(a.data, cfg)
    if a.init:
        assert np.array_equal(vocab, data["vocab"]), "checkpoint and data disagree on the text vocabulary"
    else:
        cfg.text_vocab = 1 + len(data["vocab"])
        params = M.init_params(cfg, jax.random.key(a.seed))
    fused, sjd2 = a.stage == "B", a.stage in ("sjd2", "B")
    sig = M.karras_sigmas(cfg)
    alphas, sbars = M.alpha_sigma(sig)
    if sjd2 and "mu" not in meta:
        Etab = np.asarray(params["img.token_embd"], np.float64)
        meta["mu"], meta["sd"] = Etab.mean(0).tolist(), (Etab.std(0) + 1e-6).tolist()
    mu = np.array(meta.get("mu", np.zeros(cfg.d)), np.float32)
    sd = np.array(meta.get("sd", np.ones(cfg.d)), np.float32)

    N = len(data["ids"]) if data.get("v2") else len(data["tokens"])
    H_all = np.zeros((N, cfg.text_len, cfg.llm_dim), np.float32)
    instr = np.zeros((cfg.stab, cfg.llm_dim), np.float32)
    if fused:
        f = np.load(a.features)
        assert f["H"].shape[0] == N, "features and data disagree on the prompt count"
        H_all[:, : f["H"].shape[1]] = f["H"]
        instr = f["instr"].astype(np.float32)
        meta["llm_layer"] = int(f["layer"])
        params["fuser.instr_hidden"] = jnp.asarray(instr)

    # LR: warmup, then cosine to 5% over max(step / steps, wall / max-seconds), so a time-capped run still decays.
    warm = min(200, a.steps // 10 + 1)
    opt = optax.chain(optax.clip_by_global_norm(1.0),
                      optax.inject_hyperparams(optax.adamw)(learning_rate=0.0, weight_decay=0.01))
    trainable = {k: v for k, v in params.items() if k != "fuser.instr_hidden"}
    st = opt.init(trainable)
    step = make_step(cfg, opt, fused, sjd2, mu, sd, alphas, sbars)
    instr_j = jnp.asarray(instr)
    ckpt = a.out.replace(".npz", ".ckpt.npz")
    s0, done_s = 0, 0.0
    if a.resume and os.path.exists(ckpt):
        z = np.load(ckpt)
        cm = json.loads(str(z["__meta__"]))
        trainable = {k: jnp.asarray(z[k]) for k in trainable}
        leaves, tdef = jax.tree_util.tree_flatten(st)
        st = jax.tree_util.tree_unflatten(tdef, [jnp.asarray(z[f"__opt{i}__"]) for i in range(len(leaves))])
        s0, done_s = cm["ckpt_step"], cm["ckpt_seconds"]
        meta.update({k: v for k, v in cm.items() if k in ("mu", "sd")})
        print(f"resumed from {ckpt} at step {s0} ({done_s:.0f}s trained)", flush=True)

    def lr_at(s, el):
        if s < warm:
            return a.lr * (s + 1) / warm
        f = max((s - warm) / max(1, a.steps - warm), el / a.max_seconds if a.max_seconds else 0.0)
        return a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, f))))

    def write_ckpt(s, el):
        leaves = jax.tree_util.tree_leaves(st)
        extra = {f"__opt{i}__": np.asarray(x) for i, x in enumerate(leaves)}
        cm = dict(meta, cfg=cfg.__dict__, ckpt_step=s, ckpt_seconds=el)
        np.savez(ckpt + ".tmp.npz", __meta__=np.array(json.dumps(cm)), __vocab__=data["vocab"],
                 **{k: np.asarray(v) for k, v in trainable.items()}, **extra)
        os.replace(ckpt + ".tmp.npz", ckpt)

    t1 = time.time() - done_s
    last_ck = time.time()
    s = s0 - 1
    for s in range(s0, a.steps):
        rng = np.random.default_rng([a.seed + 1, s])          # per-step streams: a resumed run draws the same
        if data.get("v2"):
            ids, toks, _ = v2_batch(rng, data, a.batch)
            idx = np.zeros(a.batch, np.int64)
        else:
            idx = rng.integers(0, N, a.batch)
            ids, toks = data["ids"][idx].copy(), data["tokens"][idx]
        H = H_all[idx].copy()
        drop = rng.random(a.batch) < a.drop
        ids[drop] = -1; H[drop] = 0.0
        levels = noise_plan(rng, a.batch, cfg.n_img - 1, cfg.levels, 0.25) if sjd2 else \
            np.zeros((a.batch, cfg.n_img - 1), np.int32)
        k = jax.random.fold_in(jax.random.key(a.seed + 2), s)
        el = time.time() - t1
        st[1].hyperparams["learning_rate"] = jnp.asarray(lr_at(s, el), jnp.float32)
        trainable, st, loss = step(trainable, st, ids, H, instr_j, toks, levels, k)
        if s % 50 == 0 or s == a.steps - 1:
            print(f"step {s} loss {float(loss):.4f} lr {lr_at(s, el):.2e} {time.time() - t1:.0f}s", flush=True)
        if a.ckpt_every and time.time() - last_ck > a.ckpt_every:
            write_ckpt(s + 1, time.time() - t1); last_ck = time.time()
        if a.max_seconds and time.time() - t1 > a.max_seconds:
            print(f"stopping at step {s + 1}: --max-seconds {a.max_seconds} reached", flush=True)
            break
    a.steps = s + 1
    if a.ckpt_every:
        write_ckpt(a.steps, time.time() - t1)
    params = dict(trainable)
    if fused:
        params["fuser.instr_hidden"] = instr_j
    train_s = time.time() - t1
    meta.update(stage=a.stage, steps=a.steps, batch=a.batch, lr=a.lr, seed=a.seed, train_seconds=train_s,
                sigmas=sig.tolist())
    if a.eval and not data.get("v2"):
        ev = np.linspace(0, N - 1, min(a.eval, N)).astype(int)
        gen = sample_ar(params, cfg, jnp.asarray(data["ids"][ev]), jnp.asarray(H_all[ev]) if fused else None,
                        instr_j if fused else None, jax.random.key(1234))
        acc, err = retrieval(gen, ev, data)
        meta.update(eval_prompts=len(ev), retrieval_accuracy=acc, pixel_error=err)
        print(f"AR temperature 1 over {len(ev)} prompts: retrieval accuracy {acc:.3f}, mean pixel error {err:.1f}")
        np.save(a.out.replace(".npz", "_samples.npy"), gen)
    save(a.out, params, cfg, data["vocab"], meta)
    print(f"stage {a.stage}: {a.steps} steps in {train_s:.0f}s (total {time.time() - t0:.0f}s) -> {a.out}")


if __name__ == "__main__":
    main()
